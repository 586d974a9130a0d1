using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Sync.Tests;

public sealed class MultiDeviceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly Dictionary<string, (JsonObject Create, JsonObject Edit)> Samples = new()
    {
        ["connections"] = (new() { ["name"] = "prod", ["driver"] = "postgres", ["host"] = "db.internal", ["port"] = 5432 }, new() { ["port"] = 6432 }),
        ["query_tabs"] = (new() { ["title"] = "Orders", ["content"] = "select 1" }, new() { ["content"] = "select 2" }),
        ["query_history"] = (new() { ["query_text"] = "select count(*) from orders", ["executed_at"] = "2026-11-26T10:00:00Z" }, new()),
        ["saved_queries"] = (new() { ["title"] = "Revenue", ["sql"] = "select sum(total) from orders" }, new() { ["title"] = "Revenue by month" }),
        ["ai_sessions"] = (new() { ["title"] = "Index advice" }, new() { ["title"] = "Index advice (done)" }),
        ["ai_messages"] = (new() { ["session_id"] = "chat-1", ["role"] = "user", ["content"] = "Which index?" }, new()),
        ["ui_preferences"] = (new() { ["key"] = "theme", ["value"] = "dark" }, new() { ["value"] = "light" }),
    };

    private static string IdFor(string type) => type switch
    {
        "ai_sessions" => "chat-1",
        "ui_preferences" => "theme",
        _ => $"{type}-1",
    };

    [Fact]
    public async Task EveryType_CreatedEditedDeletedOnOne_AppearsOnTheOthers()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("laptop");
        var b = await devices.OpenAsync("desktop");
        var c = await devices.OpenAsync("tablet");

        foreach (var (type, sample) in Samples)
        {
            await a.Manager.PushChangeAsync(type, IdFor(type), sample.Create);
        }
        await a.Manager.SyncNowAsync();
        await b.Manager.SyncNowAsync();
        await c.Manager.SyncNowAsync();
        foreach (var (type, sample) in Samples)
        {
            var record = await c.Store.GetAsync(type, IdFor(type));
            Assert.NotNull(record);
            foreach (var (field, value) in sample.Create)
            {
                Assert.Equal(value!.ToJsonString(), record!.Data[field]!.ToJsonString());
            }
        }

        foreach (var (type, sample) in Samples.Where(s => s.Value.Edit.Count > 0))
        {
            await b.Manager.PushChangeAsync(type, IdFor(type), sample.Edit);
        }
        await b.Manager.SyncNowAsync();
        await c.Manager.SyncNowAsync();
        await a.Manager.SyncNowAsync();
        foreach (var (type, sample) in Samples.Where(s => s.Value.Edit.Count > 0))
        {
            foreach (var device in new[] { a, c })
            {
                var record = (await device.Store.GetAsync(type, IdFor(type)))!;
                foreach (var (field, value) in sample.Edit)
                {
                    Assert.Equal(value!.ToJsonString(), record.Data[field]!.ToJsonString());
                }
            }
        }

        foreach (var type in Samples.Keys)
        {
            await c.Manager.DeleteAsync(type, IdFor(type));
        }
        await c.Manager.SyncNowAsync();
        await a.Manager.SyncNowAsync();
        await b.Manager.SyncNowAsync();
        foreach (var device in new[] { a, b })
        {
            foreach (var type in Samples.Keys)
            {
                Assert.True((await device.Store.GetAsync(type, IdFor(type)))!.Deleted, $"{type} not deleted on {device.Folder}");
            }
        }
    }

    [Fact]
    public async Task ConcurrentEdits_ProduceTheConflictOnBothDevices()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("a");
        var b = await devices.OpenAsync("b");
        await a.Manager.PushChangeAsync("saved_queries", "q", new JsonObject { ["title"] = "Base", ["sql"] = "select 1" });
        var first = await a.Manager.SyncNowAsync();
        await b.Manager.SyncNowAsync();
        // The device's own change coming back on the pull is not counted as news (#22 §11).
        Assert.Equal((1, 0), (first.Pushed, first.Pulled));
        var noticed = new List<ConflictNotice>();
        b.Manager.ConflictDetected += (_, notice) => noticed.Add(notice);

        await a.Manager.PushChangeAsync("saved_queries", "q", new JsonObject { ["sql"] = "select 'a'" });
        await b.Manager.PushChangeAsync("saved_queries", "q", new JsonObject { ["sql"] = "select 'b'" });
        await a.Manager.SyncNowAsync();
        var bResult = await b.Manager.SyncNowAsync();
        await a.Manager.SyncNowAsync();

        Assert.Equal(1, bResult.Conflicts);
        var notice = Assert.Single(noticed);
        Assert.Equal(MutationStatus.ConflictWon, notice.Status);
        // Named as a person knows the record (#22 §4), by the same rule the web's conflict view uses.
        Assert.Equal("Base", notice.Title);
        var onA = Assert.Single(await a.Manager.ConflictsAsync());
        var onB = Assert.Single(await b.Manager.ConflictsAsync());
        Assert.Equal(onA.ConflictId, onB.ConflictId);
        Assert.Equal("select 'b'", (await a.Store.GetAsync("saved_queries", "q"))!.Data["sql"]!.GetValue<string>());

        await a.Manager.ResolveConflictAsync(onA.ConflictId, "remote");
        await b.Manager.SyncNowAsync();
        Assert.Equal("select 'a'", (await b.Store.GetAsync("saved_queries", "q"))!.Data["sql"]!.GetValue<string>());
        Assert.Empty(await b.Manager.ConflictsAsync());
    }

    [Fact]
    public async Task ConnectionSecrets_AtAnyDepth_AreStrippedBeforeTheOutbox_AndKeptOnTheDevice()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("a");
        var b = await devices.OpenAsync("b");

        await a.Manager.PushChangeAsync("connections", "c2", new JsonObject
        {
            ["name"] = "prod", ["driver"] = "postgres", ["host"] = "ada:host-pw-1@db",
            ["options"] = new JsonObject
            {
                ["nested"] = new JsonObject { ["PWD"] = "nested-pw-2" },
                ["connection_string"] = "Host=db;Password=cs-pw-3;Username=ada",
                ["url"] = "postgres://ada:url-pw-4@db:5432/app",
                ["hosts"] = new JsonArray(new JsonObject { ["api_key"] = "key-5" }),
                ["sslmode"] = "require",
            },
        });
        var result = await a.Manager.SyncNowAsync();
        await b.Manager.SyncNowAsync();

        Assert.Empty(result.Rejected);
        var arrived = (await b.Store.GetAsync("connections", "c2"))!.Data;
        var text = arrived.ToJsonString();
        foreach (var secret in new[] { "host-pw-1", "nested-pw-2", "cs-pw-3", "url-pw-4", "key-5" })
        {
            Assert.DoesNotContain(secret, text);
        }
        // What is left still describes the connection.
        Assert.Equal("ada@db", arrived["host"]!.GetValue<string>());
        Assert.Equal("postgres://ada@db:5432/app", arrived["options"]!["url"]!.GetValue<string>());
        Assert.Equal("Host=db;Username=ada", arrived["options"]!["connection_string"]!.GetValue<string>());
        Assert.Equal("require", arrived["options"]!["sslmode"]!.GetValue<string>());
        var local = await a.Store.SecretsAsync("connections", "c2");
        Assert.Equal("nested-pw-2", local["options.nested.PWD"]);
        Assert.Equal("postgres://ada:url-pw-4@db:5432/app", local["options.url"]);
        Assert.Equal("ada:host-pw-1@db", local["host"]);
        Assert.Equal("key-5", local["options.hosts[0].api_key"]);
    }

    [Fact]
    public async Task ConnectionSecrets_NeverReachTheServer_AndStayOnTheDevice()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("a");
        var b = await devices.OpenAsync("b");

        await a.Manager.PushChangeAsync("connections", "c1", new JsonObject
        {
            ["name"] = "prod", ["driver"] = "postgres", ["password"] = "Hunter2-very-secret", ["ssh_private_key"] = "-----BEGIN KEY-----abc",
            ["options"] = new JsonObject { ["sslcert"] = "x", ["ssh_passphrase"] = "phrase-secret-42" },
        });
        var result = await a.Manager.SyncNowAsync();
        await b.Manager.SyncNowAsync();

        Assert.Empty(result.Rejected);
        var bytes = await File.ReadAllBytesAsync(fixture.Server.DatabasePath);
        var wal = fixture.Server.DatabasePath + "-wal";
        var all = System.Text.Encoding.UTF8.GetString(bytes) + (File.Exists(wal) ? System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(wal)) : "");
        Assert.DoesNotContain("Hunter2-very-secret", all);
        Assert.DoesNotContain("phrase-secret-42", all);
        Assert.DoesNotContain("BEGIN KEY", all);
        var local = await a.Store.SecretsAsync("connections", "c1");
        Assert.Equal("Hunter2-very-secret", local["password"]);
        Assert.Empty(await b.Store.SecretsAsync("connections", "c1"));
        Assert.Equal("prod", (await b.Store.GetAsync("connections", "c1"))!.Data["name"]!.GetValue<string>());
        Assert.Null((await a.Store.GetAsync("connections", "c1"))!.Data["password"]);
    }

    private static JsonObject History(string text) => new() { ["query_text"] = text, ["executed_at"] = "2026-11-26T10:00:00Z" };

    [Fact]
    public async Task History_SensitiveLiteralsMasked_SkipSetting_OptOut()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("a");
        var b = await devices.OpenAsync("b");

        await a.Manager.PushChangeAsync("query_history", "h1", History("select * from orders"));
        await a.Manager.PushChangeAsync("query_history", "h2", History("alter user app with PASSWORD 'hunter2'"));
        await a.Manager.PushChangeAsync("query_history", "h2b", History("select * from keys where api_key = 'k-123' and token = 42"));
        await a.Manager.PushChangeAsync("ui_preferences", "sync.history.skip_sensitive", new JsonObject { ["key"] = "sync.history.skip_sensitive", ["value"] = true });
        await a.Manager.PushChangeAsync("query_history", "h2c", History("create user x password 'secret-2'"));
        await a.Manager.PushChangeAsync("ui_preferences", "sync.history.enabled", new JsonObject { ["key"] = "sync.history.enabled", ["value"] = false });
        await a.Manager.PushChangeAsync("query_history", "h3", History("select 3"));
        await a.Manager.SyncNowAsync();
        await b.Manager.SyncNowAsync();

        Assert.NotNull(await b.Store.GetAsync("query_history", "h1"));
        // Redaction (the default): the statement syncs with its sensitive literals masked.
        Assert.Equal("alter user app with PASSWORD '***'", (await b.Store.GetAsync("query_history", "h2"))!.Data["query_text"]!.GetValue<string>());
        Assert.Equal("select * from keys where api_key = '***' and token = '***'", (await b.Store.GetAsync("query_history", "h2b"))!.Data["query_text"]!.GetValue<string>());
        // "Skip matching entries entirely": stays on the device, as written.
        Assert.Null(await b.Store.GetAsync("query_history", "h2c"));
        Assert.Equal("create user x password 'secret-2'", (await a.Store.GetAsync("query_history", "h2c"))!.Data["query_text"]!.GetValue<string>());
        // History sync off: nothing leaves.
        Assert.Null(await b.Store.GetAsync("query_history", "h3"));
        Assert.NotNull(await a.Store.GetAsync("query_history", "h3"));
        // b follows a's setting: its own history stays on b too.
        await b.Manager.PushChangeAsync("query_history", "h4", new JsonObject { ["query_text"] = "select 4", ["executed_at"] = "2026-11-26T10:00:00Z" });
        Assert.Equal(0, await b.Store.PendingCountAsync());
    }

    [Fact]
    public async Task HistoryInABatch_FollowsTheSameRules_OptOutNeverReachesTheServer()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("a");
        var b = await devices.OpenAsync("b");

        await a.Manager.PushChangesAsync([
            ("query_history", "b1", History("select 1")),
            ("query_history", "b2", History("update users set password = 'hunter2'")),
            ("connections", "c1", new JsonObject { ["name"] = "prod", ["driver"] = "postgres", ["password"] = "batch-secret-9" }),
        ]);
        await a.Manager.PushChangeAsync("ui_preferences", "sync.history.enabled", new JsonObject { ["key"] = "sync.history.enabled", ["value"] = false });
        await a.Manager.PushChangesAsync([("query_history", "b3", History("select private_stuff")), ("query_history", "b4", History("select 4"))]);
        await a.Manager.SyncNowAsync();
        await b.Manager.SyncNowAsync();

        Assert.Equal("update users set password = '***'", (await b.Store.GetAsync("query_history", "b2"))!.Data["query_text"]!.GetValue<string>());
        Assert.Null((await b.Store.GetAsync("connections", "c1"))!.Data["password"]);
        Assert.Equal("batch-secret-9", (await a.Store.SecretsAsync("connections", "c1"))["password"]);
        Assert.Null(await b.Store.GetAsync("query_history", "b3"));
        Assert.Null(await b.Store.GetAsync("query_history", "b4"));
        // (b pulled everything the server holds: what b lacks never reached the server.)
        Assert.Equal(0, await a.Store.PendingCountAsync());
        await Assert.ThrowsAsync<ArgumentException>(() => a.Manager.PushChangesAsync([("widgets", "w", new JsonObject())]));
    }

    [Fact]
    public async Task Search_FindsSavedQueriesAndHistoryLocally()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("a");
        await a.Manager.PushChangeAsync("saved_queries", "q", new JsonObject { ["title"] = "Churn", ["sql"] = "select * from subscriptions where canceled" });
        await a.Manager.PushChangeAsync("query_history", "h", new JsonObject { ["query_text"] = "select plan from subscriptions", ["executed_at"] = "2026-11-26T10:00:00Z" });

        var found = await a.Store.SearchAsync("subscriptions");

        Assert.Equal(["h", "q"], found.Select(r => r.Id).Order());
    }
}
