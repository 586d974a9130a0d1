using SqlStudio.Contracts;
using SqlStudio.Server.Sync;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>/account/sync's activity: lines folded into the sync runs a person saw.</summary>
public sealed class ActivityRunsTests
{
    private static ActivityInfo Line(string device, string kind, long records, string at, long conflicts = 0, string? error = null,
        string? runId = null, long refused = 0) =>
        new(Guid.NewGuid().ToString(), device, kind, records, conflicts, 0, 5, error, at, runId, refused);

    [Fact]
    public void PushesAndPullsOfOneDeviceCloseTogether_AreOneRun_WithTheirTotals()
    {
        var runs = ActivityStore.Runs(
        [
            Line("laptop", "pull", 1200, "2026-11-20T10:01:30.000Z"),
            Line("laptop", "pull", 1000, "2026-11-20T10:01:00.000Z"),
            Line("laptop", "push", 3, "2026-11-20T10:00:00.000Z", conflicts: 1),
        ], TimeSpan.FromMinutes(2));

        var run = Assert.Single(runs);
        Assert.Equal(("laptop", "sync", 3L, 2200L, 1L), (run.DeviceId, run.Kind, run.Sent, run.Received, run.Conflicts));
        Assert.Equal(("2026-11-20T10:00:00.000Z", "2026-11-20T10:01:30.000Z"), (run.Started, run.Ended));
    }

    [Fact]
    public void AnotherDevice_ALongPause_OrAnImport_StartsANewRun()
    {
        var runs = ActivityStore.Runs(
        [
            Line("desktop", "push", 1, "2026-11-20T12:00:00.000Z"),
            Line("laptop", "push", 2, "2026-11-20T11:59:30.000Z"),
            Line("laptop", "push", 4, "2026-11-20T11:50:00.000Z", error: "sync_busy"),
            Line("import", "import", 500, "2026-11-20T11:49:00.000Z"),
            Line("import", "import", 20, "2026-11-20T11:48:30.000Z"),
        ], TimeSpan.FromMinutes(2));

        Assert.Equal(["desktop", "laptop", "laptop", "import", "import"], runs.Select(r => r.DeviceId));
        Assert.Equal(["sync", "sync", "sync", "import", "import"], runs.Select(r => r.Kind));
        Assert.Equal(["sync_busy"], runs[2].Errors);
        Assert.Equal(500, runs[3].Sent);
    }

    [Fact]
    public void BatchesOfOneImport_AreOneRun_EvenWithAnotherImportBetween_AndItsUndoIsARunOfItsOwn()
    {
        var runs = ActivityStore.Runs(
        [
            Line("import", "undo_import", 7, "2026-11-20T12:00:00.000Z", runId: "imp-1"),
            Line("import", "import", 2, "2026-11-20T11:30:00.000Z", error: "too_large", runId: "imp-1", refused: 1),
            Line("import", "import", 9, "2026-11-20T11:29:50.000Z", runId: "imp-2"),
            Line("import", "import", 5, "2026-11-20T11:29:40.000Z", runId: "imp-1"),
        ], TimeSpan.FromMinutes(2));

        Assert.Equal(["undo_import", "import", "import"], runs.Select(r => r.Kind));
        Assert.Equal((7L, 1L, "2026-11-20T11:29:40.000Z"), (runs[1].Sent, runs[1].Refused, runs[1].Started));
        Assert.Equal(["too_large"], runs[1].Errors);
        Assert.Equal(9, runs[2].Sent);
    }

    [Fact]
    public void NoActivity_NoRuns() => Assert.Empty(ActivityStore.Runs([], TimeSpan.FromMinutes(2)));
}
