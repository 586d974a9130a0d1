using System.Text.Json;
using System.Text.Json.Nodes;
using SqlStudio.Testing;

namespace SqlStudio.Cli.Tests;

/// <summary>The device client end to end: two profiles (two devices) of one account, through the commands.</summary>
public sealed class DeviceCommandsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly string _home = TestServer.NewDataDirectory();

    private async Task<(int Code, string Output)> RunAsync(string profile, params string[] args)
    {
        var output = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--home", _home, "--profile", profile], output, output);
        return (code, output.ToString());
    }

    private async Task<string> OkAsync(string profile, params string[] args)
    {
        var (code, output) = await RunAsync(profile, args);
        Assert.True(code == 0, $"sqlstudio {string.Join(' ', args)} → {code}: {output}");
        return output;
    }

    [Fact]
    public async Task TwoProfiles_CreateSyncEditConflictImportUndo()
    {
        var email = AuthClient.NewEmail("cli");
        var api = new AuthClient(fixture.Server);
        await api.RegisterVerifiedAsync(email);
        var server = fixture.Server.BaseAddress.ToString();

        Assert.Contains($"Signed in as {email}", await OkAsync("laptop", "login", "--email", email, "--password", AuthClient.Password, "--server", server));
        Environment.SetEnvironmentVariable("SQLSTUDIO_PASSWORD", AuthClient.Password);
        await OkAsync("desktop", "login", "--email", email, "--server", server);
        Environment.SetEnvironmentVariable("SQLSTUDIO_PASSWORD", null);
        Assert.Contains(email, await OkAsync("laptop", "whoami"));

        var queryId = (await OkAsync("laptop", "queries", "add", "--title", "Monthly revenue", "--sql", "select sum(total) from invoices")).Trim();
        await OkAsync("laptop", "connections", "add", "--name", "prod", "--host", "db.internal", "--port", "5432", "--database", "app",
            "--username", "app", "--password", "cli-secret-pw");
        var tabId = (await OkAsync("laptop", "tabs", "add", "--title", "Scratch", "--content", "select 1")).Trim();
        await OkAsync("laptop", "history", "add", "--sql", "select * from invoices where overdue");
        await OkAsync("laptop", "prefs", "add", "theme", "\"dark\"");
        var firstSync = await OkAsync("laptop", "sync", "now");
        Assert.Contains("pending 0", firstSync);
        // Its own five changes coming back are not "pulled", and the pull's progress ends at 100 % (#22 §11).
        Assert.Contains("Pushed 5, pulled 0", firstSync);
        Assert.Matches(@"pull: \d+/\d+ \(100%\)", firstSync);
        // Times as a person reads them: local, and how long ago.
        Assert.Contains("last synced ", await OkAsync("laptop", "sync", "status"));
        Assert.Contains("(just now)", await OkAsync("laptop", "sync", "status"));

        // A third device signing in after the laptop synced: the first sync, run by login itself, brings everything.
        Assert.Contains("First sync: pulled 5", await OkAsync("tablet", "login", "--email", email, "--password", AuthClient.Password, "--server", server));
        await OkAsync("desktop", "sync", "now");
        var queries = JsonNode.Parse(await OkAsync("desktop", "queries", "list", "--json"))!.AsArray();
        Assert.Equal("Monthly revenue", Assert.Single(queries)!["title"]!.GetValue<string>());
        var connections = JsonNode.Parse(await OkAsync("desktop", "connections", "list", "--json"))!.AsArray();
        Assert.Null(Assert.Single(connections)!["password"]);
        Assert.Contains("overdue", await OkAsync("desktop", "search", "invoices"));
        Assert.Contains("theme = \"dark\"", await OkAsync("desktop", "prefs", "list"));
        var status = JsonNode.Parse(await OkAsync("desktop", "sync", "status", "--json"))!;
        Assert.Equal(0, status["pending"]!.GetValue<long>());
        Assert.Equal("idle", status["state"]!.GetValue<string>());
        // The SDK meter's figures, as the last sync left them.
        Assert.Equal(0, status["metrics"]!["outbox_size"]!.GetValue<long>());
        Assert.True(status["metrics"]!["last_sync_ms"]!.GetValue<long>() >= 0);
        Assert.Equal(0, status["metrics"]!["conflicts"]!.GetValue<long>());

        // Both devices change the same field before either syncs.
        await OkAsync("laptop", "queries", "edit", queryId, "--sql", "select 'laptop'");
        await OkAsync("desktop", "queries", "edit", queryId, "--sql", "select 'desktop'");
        await OkAsync("laptop", "sync", "now");
        var synced = await OkAsync("desktop", "sync", "now");
        Assert.Contains("conflicts 1", synced);
        Assert.Contains("1 conflict needs a decision", synced);
        Assert.Contains("conflicts resolve ID --keep mine|theirs", synced);
        var conflicts = JsonNode.Parse(await OkAsync("laptop", "conflicts", "list", "--json"))!.AsArray();
        var conflictId = Assert.Single(conflicts)!["conflict_id"]!.GetValue<string>();
        var list = await OkAsync("laptop", "conflicts", "list");
        // Piped: a header and one tab-separated line per conflict, the id whole; the other side named by its device.
        var lines = list.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["id", "record", "fields", "mine", "theirs", "from", "kept"], lines[0].Split('\t'));
        var row = Assert.Single(lines, l => l.StartsWith(conflictId + "\t", StringComparison.Ordinal)).Split('\t');
        Assert.Equal("saved_queries “Monthly revenue”", row[1]);
        Assert.Contains("select 'laptop'", row[3]);
        Assert.Contains("profile desktop", row[5]);
        // Relative to the device running the command (#22 §5): on laptop, "mine" is laptop's text. The old words get a sentence.
        var (oldWords, oldOutput) = await RunAsync("laptop", "conflicts", "resolve", conflictId, "--keep", "remote");
        Assert.Equal(2, oldWords);
        Assert.Contains("--keep mine", oldOutput);
        await OkAsync("laptop", "conflicts", "resolve", conflictId, "--keep", "mine");
        await OkAsync("desktop", "sync", "now");
        Assert.Contains("select 'laptop'", await OkAsync("desktop", "queries", "list", "--json"));

        await OkAsync("desktop", "tabs", "rm", tabId);
        await OkAsync("desktop", "sync", "now");
        await OkAsync("laptop", "sync", "now");
        Assert.Equal("[]", JsonNode.Parse(await OkAsync("laptop", "tabs", "list", "--json"))!.ToJsonString());

        // An export of 1,000 records, imported with progress, then undone.
        var file = Path.Combine(_home, "export.json");
        await File.WriteAllTextAsync(file, new JsonObject
        {
            ["format"] = "sqlstudio-export", ["version"] = 1,
            ["saved_queries"] = new JsonArray(Enumerable.Range(0, 600).Select(i => (JsonNode)new JsonObject { ["id"] = $"imp-q{i}", ["title"] = $"Q{i}", ["sql"] = $"select {i}" }).ToArray()),
            ["query_history"] = new JsonArray(Enumerable.Range(0, 400).Select(i => (JsonNode)new JsonObject { ["id"] = $"imp-h{i}", ["query_text"] = $"select {i}", ["executed_at"] = "2026-11-01T00:00:00Z" }).ToArray()),
        }.ToJsonString());
        var imported = await OkAsync("laptop", "import", file);
        Assert.Contains("1000 added", imported);
        Assert.True(imported.Contains("100%"), imported);
        var importId = System.Text.RegularExpressions.Regex.Match(imported, @"import undo (\S+)").Groups[1].Value;
        await OkAsync("desktop", "sync", "now");
        Assert.Equal(601, JsonNode.Parse(await OkAsync("desktop", "queries", "list", "--json"))!.AsArray().Count);
        Assert.Contains("1000 removed", await OkAsync("laptop", "import", "undo", importId));
        await OkAsync("desktop", "sync", "now");
        Assert.Single(JsonNode.Parse(await OkAsync("desktop", "queries", "list", "--json"))!.AsArray());

        var sessions = JsonNode.Parse(await OkAsync("laptop", "sessions", "list", "--json"))!.AsArray();
        // laptop, desktop, tablet, and the test's own registration login.
        Assert.Equal(4, sessions.Count);
        Assert.Single(sessions, s => s!["current"]!.GetValue<bool>());
        // The CLI says who it is, so the account's sessions read "SQL Studio CLI on Linux", not "Unknown app".
        var mine = Assert.Single(sessions, s => s!["current"]!.GetValue<bool>())!["user_agent"]!.GetValue<string>();
        Assert.StartsWith("sqlstudio/", mine);
        Assert.StartsWith("SQL Studio CLI", SqlStudio.Server.Kernel.UserAgents.Describe(mine));
        Assert.Contains("Signed out.", await OkAsync("desktop", "logout"));
        var (signedOut, said) = await RunAsync("desktop", "whoami");
        Assert.Equal(3, signedOut);
        // One sentence, the command named once (#22 §11).
        Assert.Equal(1, System.Text.RegularExpressions.Regex.Count(said, "sqlstudio login"));
    }

    /// <summary>A new verified account, and each profile signed in to it with the password.</summary>
    private async Task SignedInAsync(string prefix, params string[] profiles)
    {
        var email = AuthClient.NewEmail(prefix);
        await new AuthClient(fixture.Server).RegisterVerifiedAsync(email);
        foreach (var profile in profiles)
        {
            await OkAsync(profile, "login", "--email", email, "--password", AuthClient.Password, "--server", fixture.Server.BaseAddress.ToString());
        }
    }

    [Fact]
    public async Task SyncWatch_ShowsWhatArrives_AsItArrives()
    {
        await SignedInAsync("watch", "laptop", "desktop");
        var watched = new StringWriter();
        var output = TextWriter.Synchronized(watched);
        using var stop = new CancellationTokenSource();
        var watch = CliApp.RunAsync(["sync", "watch", "--home", _home, "--profile", "laptop"], output, output, cancellationToken: stop.Token);

        await WaitForAsync(() => watched.ToString().Contains("live", StringComparison.Ordinal) || watched.ToString().Contains("idle", StringComparison.Ordinal));
        await OkAsync("desktop", "queries", "add", "--title", "From the desktop", "--sql", "select 2");
        await OkAsync("desktop", "sync", "now");

        await WaitForAsync(() => watched.ToString().Contains("received 1 change (saved queries)", StringComparison.Ordinal));
        stop.Cancel();
        Assert.Equal(0, await watch);
    }

    /// <summary>Waits for something the watch prints (an upper bound, not a timing: it usually takes well under a second).</summary>
    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    [Fact]
    public async Task LocalCommands_WorkWithoutTheServer()
    {
        var unreachable = "http://127.0.0.1:9";

        var id = (await OkAsync("offline", "queries", "add", "--title", "Offline", "--sql", "select 1", "--server", unreachable)).Trim();
        await OkAsync("offline", "queries", "edit", id, "--title", "Still offline", "--server", unreachable);
        var list = await OkAsync("offline", "queries", "list", "--server", unreachable);
        var (code, output) = await RunAsync("offline", "sync", "now", "--server", unreachable);

        Assert.Contains("Still offline", list);
        Assert.Contains("pending", list);
        Assert.NotEqual(0, code);
        Assert.Contains("Not signed in", output);
    }

    [Fact]
    public async Task Feedback_ReachesTheServer_BadKindOrRatingIsRefused()
    {
        var email = AuthClient.NewEmail("cli");
        await new AuthClient(fixture.Server).RegisterVerifiedAsync(email);
        await OkAsync("fb", "login", "--email", email, "--password", AuthClient.Password, "--server", fixture.Server.BaseAddress.ToString(), "--no-sync");

        var sent = await OkAsync("fb", "feedback", "--kind", "bug", "--rating", "3", "The history search misses words with accents");
        var (badKind, badKindOutput) = await RunAsync("fb", "feedback", "--kind", "rant", "x");
        var (badRating, badRatingOutput) = await RunAsync("fb", "feedback", "--rating", "9", "x");

        Assert.Contains("reached the team", sent);
        // The login named this computer on the account's device list: host name and system, not the device id.
        var tokens = await new AuthClient(fixture.Server).LoginAsync(email);
        var devices = await new AuthClient(fixture.Server).SendAsync(HttpMethod.Get, "/api/sync/devices", tokens.AccessToken);
        var list = await devices.Content.ReadAsStringAsync();
        Assert.Contains(Environment.MachineName, list);
        Assert.Contains("sqlstudio CLI, profile fb", list);
        Assert.DoesNotContain("unknown", list, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, badKind);
        Assert.Contains("rant", badKindOutput);
        Assert.Equal(1, badRating);
        Assert.Contains("1 to 5", badRatingOutput);
    }

    [Fact]
    public async Task Add_MissingRequiredOption_FailsWithMessage()
    {
        var (code, output) = await RunAsync("p", "queries", "add", "--title", "no sql");

        Assert.Equal(2, code);
        Assert.Contains("--sql is required", output);
    }

    [Fact]
    public async Task SyncPauseResumeRetry_AndStatusTellsOfflineWithTheLastError()
    {
        await SignedInAsync("cli", "p");
        await OkAsync("p", "queries", "add", "--title", "Paused", "--sql", "select 1");

        await OkAsync("p", "sync", "pause");
        var paused = JsonNode.Parse(await OkAsync("p", "sync", "status", "--json"))!;
        var (retryCode, retryOutput) = await RunAsync("p", "sync", "retry");
        Assert.Equal("paused", paused["state"]!.GetValue<string>());
        Assert.True(paused["paused"]!.GetValue<bool>());
        Assert.Equal(1, retryCode);
        Assert.Contains("resume", retryOutput);

        await OkAsync("p", "sync", "resume");
        // The server is unreachable for this run: the failure is remembered and shown.
        var (offlineCode, _) = await RunAsync("p", "sync", "now", "--server", "http://127.0.0.1:9");
        var offline = JsonNode.Parse(await OkAsync("p", "sync", "status", "--json"))!;
        Assert.NotEqual(0, offlineCode);
        Assert.Equal("offline", offline["state"]!.GetValue<string>());
        Assert.Contains("127.0.0.1:9", offline["last_error"]!.GetValue<string>());

        Assert.Contains("Pushed 1", await OkAsync("p", "sync", "retry"));
        var idle = JsonNode.Parse(await OkAsync("p", "sync", "status", "--json"))!;
        Assert.Equal("idle", idle["state"]!.GetValue<string>());
        Assert.Null(idle["last_error"]);
        Assert.NotNull(idle["last_synced_at"]);
    }
}
