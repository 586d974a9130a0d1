using SqlStudio.Server.Sync;
using Xunit;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>The per-field merge rules (docs/sync.md, "Pushing"), as pure logic.</summary>
public sealed class SyncMergeTests
{
    /// <summary>A row at version 3: title changed at 2 by the laptop, sql at 3 by the desktop.</summary>
    private static SyncRow Row(bool deleted = false)
    {
        var row = new SyncRow
        {
            Id = "q", Version = 3, ServerSeq = 7, UpdatedAt = "2026-11-20T10:03:00.000Z", UpdatedByDevice = "desktop",
            CreatedAt = "2026-11-20T10:00:00.000Z", DeletedAt = deleted ? "2026-11-20T10:03:00.000Z" : null,
            FieldVersions = new()
            {
                ["title"] = new FieldStamp(2, "2026-11-20T10:02:00.000Z", "laptop"),
                ["sql"] = new FieldStamp(3, "2026-11-20T10:03:00.000Z", "desktop"),
            },
        };
        row.Values["title"] = "Revenue";
        row.Values["sql"] = "select 2";
        if (deleted)
        {
            row.FieldVersions[SyncRecords.DeletedField] = new FieldStamp(3, "2026-11-20T10:03:00.000Z", "desktop");
        }
        return row;
    }

    [Fact]
    public void BaseIsCurrent_Applied()
    {
        var (decision, conflicting, rival) = SyncMerge.Decide(Row(), 3, new Dictionary<string, object?> { ["sql"] = "select 3" }, "2026-11-20T09:00:00.000Z", "phone");

        Assert.Equal(MergeDecision.Applied, decision);
        Assert.Empty(conflicting);
        Assert.Null(rival);
    }

    [Fact]
    public void DisjointFields_Merged()
    {
        // The phone saw version 2 and changes the title; only sql moved since: no conflict.
        var (decision, conflicting, _) = SyncMerge.Decide(Row(), 2, new Dictionary<string, object?> { ["title"] = "Revenue by month" }, "2026-11-20T09:00:00.000Z", "phone");

        Assert.Equal(MergeDecision.Merged, decision);
        Assert.Empty(conflicting);
    }

    [Fact]
    public void OverlappingField_LaterWriteWins_EarlierLoses()
    {
        var pushed = new Dictionary<string, object?> { ["sql"] = "select 4" };

        var later = SyncMerge.Decide(Row(), 2, pushed, "2026-11-20T10:04:00.000Z", "phone");
        var earlier = SyncMerge.Decide(Row(), 2, pushed, "2026-11-20T10:01:00.000Z", "phone");

        Assert.Equal(MergeDecision.ConflictWon, later.Decision);
        Assert.Equal(["sql"], later.Conflicting);
        Assert.Equal("desktop", later.Rival!.DeviceId);
        Assert.Equal(MergeDecision.ConflictLost, earlier.Decision);
    }

    [Fact]
    public void SameTime_TheLargerDeviceIdWins_SoEveryServerAgrees()
    {
        var pushed = new Dictionary<string, object?> { ["sql"] = "select 5" };

        var a = SyncMerge.Decide(Row(), 2, pushed, "2026-11-20T10:03:00.000Z", "aaa");
        var z = SyncMerge.Decide(Row(), 2, pushed, "2026-11-20T10:03:00.000Z", "zzz");

        Assert.Equal(MergeDecision.ConflictLost, a.Decision);
        Assert.Equal(MergeDecision.ConflictWon, z.Decision);
    }

    [Fact]
    public void OverlappingField_SameValue_IsNoConflict()
    {
        var (decision, conflicting, _) = SyncMerge.Decide(Row(), 2, new Dictionary<string, object?> { ["sql"] = "select 2" }, "2026-11-20T09:00:00.000Z", "phone");

        Assert.Equal(MergeDecision.Merged, decision);
        Assert.Empty(conflicting);
    }

    [Fact]
    public void EditAgainstADelete_ConflictsOnTheDeletedField()
    {
        // The desktop deleted the record at version 3; the phone, from version 2, edits sql and un-deletes.
        var pushed = new Dictionary<string, object?> { ["sql"] = "select 6", [SyncRecords.DeletedField] = false };

        var (decision, conflicting, rival) = SyncMerge.Decide(Row(deleted: true), 2, pushed, "2026-11-20T10:05:00.000Z", "phone");

        Assert.Equal(MergeDecision.ConflictWon, decision);
        Assert.Contains(SyncRecords.DeletedField, conflicting);
        Assert.Equal("desktop", rival!.DeviceId);
    }

    [Fact]
    public void DeleteFromAnOldVersion_NobodyElseDeleted_Merges()
    {
        var (decision, conflicting, _) = SyncMerge.Decide(Row(), 1, new Dictionary<string, object?> { [SyncRecords.DeletedField] = true },
            "2026-11-20T10:01:30.000Z", "phone");

        // Nobody changed `deleted` since version 1, so the delete merges: deleting is not an edit of the edited fields.
        Assert.Equal(MergeDecision.Merged, decision);
        Assert.Empty(conflicting);
    }

    [Fact]
    public void ConflictWith_TwoFields_RivalIsTheLatestOfThem()
    {
        var pushed = new Dictionary<string, object?> { ["title"] = "t", ["sql"] = "s" };

        var (_, conflicting, rival) = SyncMerge.Decide(Row(), 1, pushed, "2026-11-20T10:10:00.000Z", "phone");

        Assert.Equal(["title", "sql"], conflicting);
        Assert.Equal("2026-11-20T10:03:00.000Z", rival!.UpdatedAt);
    }
}

/// <summary>Decisions in memory (PushPlan) from a state as the read batch leaves it: no database involved.</summary>
public sealed class PushPlanTests
{
    private static SqlStudio.Contracts.Mutation History(string id, string text) => new("m-" + id, "query_history", id, "upsert", 0, "2026-11-20T10:00:00Z",
        System.Text.Json.JsonSerializer.SerializeToElement(new { query_text = text, executed_at = "2026-11-20T10:00:00Z" }));

    [Fact]
    public void AppendOnly_SameIdAgain_IsADuplicate_NoWrite()
    {
        var state = new PushState { Seq = 5, DeviceKnown = true };
        var existing = new SyncRow { Id = "h1", Version = 1, ServerSeq = 5, UpdatedAt = "2026-11-20T10:00:00.000Z", CreatedAt = "2026-11-20T10:00:00.000Z" };
        existing.Values["query_text"] = "select 1";
        state.Rows[("query_history", "h1")] = existing;

        var plan = PushPlan.Decide(state, "u", "d", [History("h1", "select 1 -- again"), History("h2", "select 2")], DateTimeOffset.Parse("2026-11-20T10:00:00Z"),
            TimeSpan.FromMinutes(5), new Dictionary<string, SqlStudio.Contracts.MutationError>());

        Assert.Equal(SqlStudio.Contracts.MutationStatus.Duplicate, plan.Results[0].Status);
        Assert.Equal(SqlStudio.Contracts.MutationStatus.Applied, plan.Results[1].Status);
        // Only h2 took a cursor value.
        Assert.Equal(6, plan.Cursor);
    }

    [Fact]
    public void SameMutationIdTwiceInOnePush_SecondIsADuplicate()
    {
        var state = new PushState { Seq = 0, DeviceKnown = true };
        var twice = History("h9", "select 9");

        var plan = PushPlan.Decide(state, "u", "d", [twice, twice], DateTimeOffset.Parse("2026-11-20T10:00:00Z"), TimeSpan.FromMinutes(5),
            new Dictionary<string, SqlStudio.Contracts.MutationError>());

        Assert.Equal(SqlStudio.Contracts.MutationStatus.Applied, plan.Results[0].Status);
        Assert.Equal(SqlStudio.Contracts.MutationStatus.Duplicate, plan.Results[1].Status);
        Assert.Equal(1, plan.Cursor);
    }
}

/// <summary>The push's shape checks, pure (PushValidator): they run before anything is read.</summary>
public sealed class PushValidatorTests
{
    private static SqlStudio.Contracts.Mutation M(string? id = "m1", string? type = "saved_queries", string? entity = "q", string? op = "upsert",
        long baseVersion = 0, string? at = "2026-11-20T10:00:00Z") => new(id, type, entity, op, baseVersion, at);

    [Theory]
    [InlineData(null, "saved_queries", "q", "upsert", 0, "invalid_mutation_id")]
    [InlineData("m", "widgets", "q", "upsert", 0, "unknown_type")]
    [InlineData("m", "saved_queries", "bad id!", "upsert", 0, "invalid_id")]
    [InlineData("m", "saved_queries", "q", "merge", 0, "invalid_op")]
    [InlineData("m", "saved_queries", "q", "upsert", -1, "invalid_base_version")]
    public void BadShapes_RejectedWithTheirCode(string? id, string type, string entity, string op, long baseVersion, string code)
    {
        var (valid, rejected) = PushValidator.Validate(M(id, type, entity, op, baseVersion), "2026-11-20T10:05:00.000Z");

        Assert.Null(valid);
        Assert.Equal(code, rejected!.Error!.Code);
    }

    [Fact]
    public void DeviceClockInTheFuture_ClampedToTheLatestAllowed()
    {
        var (valid, _) = PushValidator.Validate(M(at: "2030-01-01T00:00:00Z"), "2026-11-20T10:05:00.000Z");

        Assert.Equal("2026-11-20T10:05:00.000Z", valid!.UpdatedAt);
    }

    [Fact]
    public void BadTime_Rejected()
    {
        var (_, rejected) = PushValidator.Validate(M(at: "yesterday"), "2026-11-20T10:05:00.000Z");

        Assert.Equal("invalid_updated_at", rejected!.Error!.Code);
    }
}
