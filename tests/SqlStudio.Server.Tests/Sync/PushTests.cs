using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Sync;

public sealed class PushTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string T0 = "2026-11-20T10:00:00.000Z";
    private const string T1 = "2026-11-20T10:01:00.000Z";
    private const string T2 = "2026-11-20T10:02:00.000Z";

    [Fact]
    public async Task Push_NewRecord_AppliedWithVersionSeqAndRecord()
    {
        var user = await NewUserAsync(fixture.Server);

        var response = await user.PushAsync("laptop", Upsert("query_tabs", "tab-1", 0, T0, new JsonObject { ["title"] = "Orders", ["content"] = "select 1" }));

        var result = Assert.Single(response.Results);
        Assert.Equal(MutationStatus.Applied, result.Status);
        Assert.Equal(1, result.Version);
        Assert.Equal(1, result.ServerSeq);
        Assert.Equal(1, response.Cursor);
        Assert.Equal("Orders", result.Record!["title"]!.GetValue<string>());
        Assert.Equal(0, result.Record["position"]!.GetValue<long>());
        Assert.False(result.Record["deleted"]!.GetValue<bool>());
        Assert.Equal("laptop", result.Record["updated_by_device"]!.GetValue<string>());
    }

    [Fact]
    public async Task Push_EditsOfDifferentFields_Merge()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a", Upsert("saved_queries", "q", 0, T0, new JsonObject { ["title"] = "T", ["sql"] = "select 1" }));
        await user.PushAsync("a", Upsert("saved_queries", "q", 1, T1, new JsonObject { ["title"] = "Title by A" }));

        var merged = (await user.PushAsync("b", Upsert("saved_queries", "q", 1, T2, new JsonObject { ["sql"] = "select 2" }))).Results[0];

        Assert.Equal(MutationStatus.Merged, merged.Status);
        Assert.Equal(3, merged.Version);
        Assert.Equal("Title by A", merged.Record!["title"]!.GetValue<string>());
        Assert.Equal("select 2", merged.Record["sql"]!.GetValue<string>());
        Assert.Empty(await user.GetAsync<List<ConflictInfo>>("/api/sync/conflicts"));
    }

    [Fact]
    public async Task Push_SameFieldLaterWrite_WinsAndRecordsConflict()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a", Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "base" }));
        await user.PushAsync("a", Upsert("query_tabs", "t", 1, T1, new JsonObject { ["title"] = "from A" }));

        var won = (await user.PushAsync("b", Upsert("query_tabs", "t", 1, T2, new JsonObject { ["title"] = "from B" }))).Results[0];

        Assert.Equal(MutationStatus.ConflictWon, won.Status);
        Assert.Equal("from B", won.Record!["title"]!.GetValue<string>());
        var conflict = Assert.Single(await user.GetAsync<List<ConflictInfo>>("/api/sync/conflicts"));
        Assert.Equal(won.ConflictId, conflict.ConflictId);
        Assert.Equal(["title"], conflict.Fields);
        Assert.Equal("from B", conflict.Local["title"]!.GetValue<string>());
        Assert.Equal("from A", conflict.Remote["title"]!.GetValue<string>());
        Assert.Equal("local", conflict.Winner);
        Assert.Equal("b", conflict.LocalDeviceId);
        Assert.Equal("a", conflict.RemoteDeviceId);
    }

    [Fact]
    public async Task Push_SameFieldEarlierWrite_LosesAndGetsServerRow()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a", Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "base" }));
        await user.PushAsync("a", Upsert("query_tabs", "t", 1, T2, new JsonObject { ["title"] = "from A (later)" }));

        var lost = (await user.PushAsync("b", Upsert("query_tabs", "t", 1, T1, new JsonObject { ["title"] = "from B (earlier)" }))).Results[0];

        Assert.Equal(MutationStatus.ConflictLost, lost.Status);
        Assert.Equal("from A (later)", lost.Record!["title"]!.GetValue<string>());
        Assert.Equal(2, lost.Version);
        var conflict = Assert.Single(await user.GetAsync<List<ConflictInfo>>("/api/sync/conflicts"));
        Assert.Equal("remote", conflict.Winner);
    }

    [Fact]
    public async Task Push_SameTimeTie_LargerDeviceIdWins()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("dev-a", Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "base" }));
        await user.PushAsync("dev-a", Upsert("query_tabs", "t", 1, T1, new JsonObject { ["title"] = "A" }));

        var result = (await user.PushAsync("dev-b", Upsert("query_tabs", "t", 1, T1, new JsonObject { ["title"] = "B" }))).Results[0];

        Assert.Equal(MutationStatus.ConflictWon, result.Status);
    }

    [Fact]
    public async Task Push_ReplayedMutation_IsDuplicateAndChangesNothing()
    {
        var user = await NewUserAsync(fixture.Server);
        var mutation = Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "once" }, mutationId: "m-1");
        var first = await user.PushAsync("a", mutation);

        var replay = await user.PushAsync("a", mutation);

        Assert.Equal(MutationStatus.Duplicate, replay.Results[0].Status);
        Assert.Equal(first.Results[0].Version, replay.Results[0].Version);
        Assert.Equal(first.Cursor, replay.Cursor);
        // The same mutation id from another device is another mutation.
        var other = await user.PushAsync("b", Upsert("query_tabs", "t2", 0, T0, new JsonObject { ["title"] = "x" }, mutationId: "m-1"));
        Assert.Equal(MutationStatus.Applied, other.Results[0].Status);
    }

    [Fact]
    public async Task Push_Delete_MakesTombstoneThatPullsAsDeleted()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a", Upsert("connections", "c", 0, T0, new JsonObject { ["name"] = "prod", ["driver"] = "postgres", ["port"] = 5432 }));

        var deleted = (await user.PushAsync("a", Delete("connections", "c", 1, T1))).Results[0];
        var pulled = await user.ChangesAsync();

        Assert.Equal(MutationStatus.Applied, deleted.Status);
        var record = Assert.Single(pulled.Changes["connections"]);
        Assert.True(record["deleted"]!.GetValue<bool>());
        Assert.Null(record["name"]);
        Assert.Equal(0, (await user.GetAsync<HeadResponse>("/api/sync/head")).Counts["connections"]);
    }

    [Fact]
    public async Task Push_EditOfRecordDeletedMeanwhile_IsAConflictOnDeletion()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a", Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "x" }));
        await user.PushAsync("a", Delete("query_tabs", "t", 1, T2));

        var edit = (await user.PushAsync("b", Upsert("query_tabs", "t", 1, T1, new JsonObject { ["title"] = "edited offline" }))).Results[0];

        Assert.Equal(MutationStatus.ConflictLost, edit.Status);
        Assert.True(edit.Record!["deleted"]!.GetValue<bool>());
        var conflict = Assert.Single(await user.GetAsync<List<ConflictInfo>>("/api/sync/conflicts"));
        Assert.Equal(["deleted"], conflict.Fields);
    }

    [Fact]
    public async Task Push_DeletingChat_DeletesItsMessages()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a",
            Upsert("ai_sessions", "s", 0, T0, new JsonObject { ["title"] = "chat" }),
            Upsert("ai_messages", "m1", 0, T0, new JsonObject { ["session_id"] = "s", ["role"] = "user", ["content"] = "hi" }));

        await user.PushAsync("a", Delete("ai_sessions", "s", 1, T1));
        var pulled = await user.ChangesAsync();

        Assert.True(Assert.Single(pulled.Changes["ai_messages"])["deleted"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Push_SameMutationTwiceInOnePush_SecondIsDuplicate()
    {
        var user = await NewUserAsync(fixture.Server);
        var mutation = Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "once" }, mutationId: "m-twice");

        var pushed = await user.PushAsync("a", mutation, mutation);

        Assert.Equal(MutationStatus.Applied, pushed.Results[0].Status);
        Assert.Equal(MutationStatus.Duplicate, pushed.Results[1].Status);
        Assert.Equal(pushed.Results[0].Version, pushed.Results[1].Version);
        Assert.Equal(1, Assert.Single((await user.ChangesAsync()).Changes["query_tabs"])["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Push_SameRecordEditedTwiceInOnePush_BuildsOnItsOwnFirstEdit()
    {
        var user = await NewUserAsync(fixture.Server);

        var pushed = await user.PushAsync("a",
            Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "first" }),
            Upsert("query_tabs", "t", 1, T1, new JsonObject { ["title"] = "second" }));

        Assert.Equal([MutationStatus.Applied, MutationStatus.Applied], pushed.Results.Select(r => r.Status));
        Assert.Equal(2, pushed.Results[1].Version);
        var row = Assert.Single((await user.ChangesAsync()).Changes["query_tabs"]);
        Assert.Equal("second", row["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Push_MessageEditedAfterItsChatWasDeletedInTheSamePush_SeesTheCascade()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a",
            Upsert("ai_sessions", "s", 0, T0, new JsonObject { ["title"] = "chat" }),
            Upsert("ai_messages", "m", 0, T0, new JsonObject { ["session_id"] = "s", ["role"] = "user", ["content"] = "hi" }));

        var pushed = await user.PushAsync("a",
            Delete("ai_sessions", "s", 1, T1),
            Delete("ai_messages", "m", 2, T1));

        // The cascade tombstoned the message (version 2): the device's delete, based on that version, finds it gone.
        Assert.Equal(MutationStatus.Applied, pushed.Results[1].Status);
        Assert.Equal(2, pushed.Results[1].Version);
        Assert.True(Assert.Single((await user.ChangesAsync()).Changes["ai_messages"])["deleted"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Push_ManyWritesWithACascade_EachTakesItsOwnCursorValue_AndTheHeadIsTheLast()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a",
            Upsert("ai_sessions", "s", 0, T0, new JsonObject { ["title"] = "chat" }),
            Upsert("ai_messages", "m1", 0, T0, new JsonObject { ["session_id"] = "s", ["role"] = "user", ["content"] = "a" }),
            Upsert("ai_messages", "m2", 0, T0, new JsonObject { ["session_id"] = "s", ["role"] = "assistant", ["content"] = "b" }));

        var pushed = await user.PushAsync("a",
            Upsert("query_tabs", "t", 0, T1, new JsonObject { ["title"] = "x" }),
            Delete("ai_sessions", "s", 1, T1),
            Upsert("query_tabs", "t2", 0, T1, new JsonObject { ["title"] = "y" }));
        var rows = (await user.ChangesAsync()).Changes.Values.SelectMany(r => r).ToList();
        var seqs = rows.Select(r => r["server_seq"]!.GetValue<long>()).ToList();
        var head = await user.GetAsync<HeadResponse>("/api/sync/head");

        // 3 + (tab, chat, 2 cascaded messages, tab) = 8 writes, 8 distinct values, the last one the head.
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        Assert.Equal(8, pushed.Cursor);
        Assert.Equal(seqs.Max(), pushed.Cursor);
        Assert.Equal(pushed.Cursor, head.Cursor);
    }

    [Fact]
    public async Task Push_AppendOnlySameIdAgain_IsDuplicate()
    {
        var user = await NewUserAsync(fixture.Server);
        var entry = new JsonObject { ["query_text"] = "select now()", ["executed_at"] = T0 };
        await user.PushAsync("a", Upsert("query_history", "h", 0, T0, entry));

        var again = (await user.PushAsync("b", Upsert("query_history", "h", 0, T1, new JsonObject { ["query_text"] = "changed", ["executed_at"] = T1 }))).Results[0];

        Assert.Equal(MutationStatus.Duplicate, again.Status);
        Assert.Equal("select now()", again.Record!["query_text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Push_MessageWithChatEarlierInSamePush_IsApplied_WithoutChat_IsRejected()
    {
        var user = await NewUserAsync(fixture.Server);

        var ok = await user.PushAsync("a",
            Upsert("ai_sessions", "s1", 0, T0, new JsonObject { ["title"] = "chat" }),
            Upsert("ai_messages", "m1", 0, T0, new JsonObject { ["session_id"] = "s1", ["role"] = "user", ["content"] = "hello" }));
        var orphan = await user.PushAsync("a",
            Upsert("ai_messages", "m2", 0, T0, new JsonObject { ["session_id"] = "nope", ["role"] = "user", ["content"] = "hello" }));

        Assert.All(ok.Results, r => Assert.Equal(MutationStatus.Applied, r.Status));
        Assert.Equal("missing_parent", orphan.Results[0].Error!.Code);
    }

    public static TheoryData<string, JsonObject, string> Invalid => new()
    {
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["password"] = "hunter2" }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["ssh_private_key"] = "-----BEGIN" }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["ssh_password"] = "x" }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["ssh_passphrase"] = "x" }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["options"] = new JsonObject { ["password"] = "x" } }, "secret_field" },
        // Credentials at any depth and in any spelling (issue #13 §4): nested keys, other names, connection strings, user info.
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["options"] = new JsonObject { ["nested"] = new JsonObject { ["password"] = "x" } } }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["options"] = new JsonObject { ["PWD"] = "x" } }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["options"] = new JsonObject { ["clientSecret"] = "x" } }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["options"] = new JsonObject { ["hosts"] = new JsonArray(new JsonObject { ["auth_token"] = "x" }) } }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["options"] = new JsonObject { ["connection_string"] = "Host=db;Username=ada;Password=hunter2;" } }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["options"] = new JsonObject { ["dsn"] = "Server=db; PWD = 'hunter2'" } }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["options"] = new JsonObject { ["url"] = "postgres://ada:hunter2@db:5432/app" } }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["host"] = "ada:hunter2@db" }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["Password"] = "x" }, "secret_field" },
        { "connections", new JsonObject { ["name"] = "db" }, "missing_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["port"] = 70000 }, "invalid_field" },
        { "connections", new JsonObject { ["name"] = "db", ["driver"] = "pg", ["port"] = "5432" }, "invalid_field" },
        { "query_tabs", new JsonObject { ["title"] = "t", ["content"] = new string('x', 1024 * 1024 + 1) }, "too_large" },
        { "query_tabs", new JsonObject { ["title"] = "t", ["colour"] = "red" }, "unknown_field" },
        { "query_history", new JsonObject { ["query_text"] = new string('x', 256 * 1024 + 1), ["executed_at"] = T0 }, "too_large" },
        { "query_history", new JsonObject { ["query_text"] = "x", ["executed_at"] = T0, ["status"] = "weird" }, "invalid_field" },
        { "ui_preferences", new JsonObject { ["key"] = "other", ["value"] = true }, "invalid_id" },
        { "widgets", new JsonObject { ["title"] = "t" }, "unknown_type" },
    };

    [Fact]
    public async Task Push_ConnectionWithoutCredentials_IsApplied_WhateverItsOptionsLookLike()
    {
        var user = await NewUserAsync(fixture.Server);

        var response = await user.PushAsync("a", Upsert("connections", "c1", 0, T0, new JsonObject
        {
            ["name"] = "prod", ["driver"] = "pg", ["host"] = "db.example.com", ["username"] = "ada",
            ["options"] = new JsonObject
            {
                ["sslrootcert"] = "/etc/ssl/root.crt", ["max_tokens"] = 2000, ["password"] = "", ["url"] = "postgres://ada@db:5432/app",
                ["connection_string"] = "Host=db;Username=ada;", ["hosts"] = new JsonArray("db1:5432", "db2:5432"),
            },
        }));

        Assert.Equal(MutationStatus.Applied, Assert.Single(response.Results).Status);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Push_InvalidRecord_IsRejectedAndNothingChanges(string type, JsonObject data, string code)
    {
        var user = await NewUserAsync(fixture.Server);

        var response = await user.PushAsync("a", Upsert(type, "rec-1", 0, T0, data));

        var result = Assert.Single(response.Results);
        Assert.Equal(MutationStatus.Rejected, result.Status);
        Assert.Equal(code, result.Error!.Code);
        Assert.Equal(0, response.Cursor);
    }

    [Fact]
    public async Task Push_BadMutationShapes_AreRejectedOneByOne()
    {
        var user = await NewUserAsync(fixture.Server);
        var badOp = Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "x" });
        badOp["op"] = "patch";
        var badTime = Upsert("query_tabs", "t", 0, "yesterday", new JsonObject { ["title"] = "x" });
        var badId = Upsert("query_tabs", "has space", 0, T0, new JsonObject { ["title"] = "x" });
        var badBase = Upsert("query_tabs", "t9", 5, T0, new JsonObject { ["title"] = "x" });
        var good = Upsert("query_tabs", "ok", 0, T0, new JsonObject { ["title"] = "fine" });

        var results = (await user.PushAsync("a", badOp, badTime, badId, badBase, good)).Results;

        Assert.Equal(["invalid_op", "invalid_updated_at", "invalid_id", "invalid_base_version"], results.Take(4).Select(r => r.Error!.Code));
        Assert.Equal(MutationStatus.Applied, results[4].Status);
    }

    [Fact]
    public async Task Push_FutureClock_CountsAsServerNow()
    {
        var user = await NewUserAsync(fixture.Server);

        var result = (await user.PushAsync("a", Upsert("query_tabs", "t", 0, "2099-01-01T00:00:00Z", new JsonObject { ["title"] = "x" }))).Results[0];

        Assert.StartsWith(DateTime.UtcNow.Year.ToString(), result.Record!["updated_at"]!.GetValue<string>());
    }

    [Fact]
    public async Task Push_TooManyMutations_Returns400()
    {
        var user = await NewUserAsync(fixture.Server);
        var mutations = Enumerable.Range(0, 1001).Select(i => Upsert("query_tabs", $"t{i}", 0, T0, new JsonObject { ["title"] = "x" }));

        var response = await user.PushRawAsync("a", mutations);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Push_UnverifiedEmail_Returns403()
    {
        var api = new AuthClient(fixture.Server);
        var email = AuthClient.NewEmail();
        await api.RegisterAsync(email);
        var user = For(fixture.Server, await api.LoginAsync(email));

        var push = await user.PushRawAsync("a", [Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "x" })]);
        var pull = await user.Http.GetAsync("/api/sync/changes");

        Assert.Equal(HttpStatusCode.Forbidden, push.StatusCode);
        Assert.Equal("email_unverified", (await AuthClient.ProblemAsync(push)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, pull.StatusCode);
    }

    [Fact]
    public async Task Push_WithoutToken_Returns401()
    {
        var response = await fixture.Server.CreateClient().PostAsJsonAsync("/api/sync/push", new { device_id = "a", mutations = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Push_RevokedDevice_Returns403()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("old-laptop", Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "x" }));

        var revoke = await user.Http.DeleteAsync("/api/sync/devices/old-laptop");
        var push = await user.PushRawAsync("old-laptop", [Upsert("query_tabs", "t2", 0, T0, new JsonObject { ["title"] = "x" })]);
        var pull = await user.Http.GetAsync("/api/sync/changes?device_id=old-laptop");

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, push.StatusCode);
        Assert.Equal("device_revoked", (await AuthClient.ProblemAsync(push)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, pull.StatusCode);
    }
}
