using System.Text.Json.Nodes;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Data;

/// <summary>`backup --to FILE` (issue #13 §6): an online, consistent copy that a server can be restored from.</summary>
public sealed class BackupCommandTests
{
    private static JsonObject Query(string id, string title) =>
        Upsert("saved_queries", id, 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = title, ["sql"] = "select 1" });

    [Fact]
    public async Task Backup_WhileServing_ThenRestore_HasWhatWasThereAtTheBackup()
    {
        if (TestServer.UseLibSql)
        {
            // libsql-server keeps its own backups; the command says so (exit 2) rather than copying half a database.
            await using var remote = await TestServer.StartAsync();
            var said = new StringWriter();
            Assert.Equal(2, await OperatorCommands.RunAsync(["backup", "--to", Path.Combine(remote.DataDirectory, "b.db"), .. remote.OperatorArgs], said, said));
            Assert.Contains("point-in-time", said.ToString());
            return;
        }
        var backup = Path.Combine(TestServer.NewDataDirectory(), "nested", "backup.db");
        string email;
        await using (var server = await TestServer.StartAsync())
        {
            var user = await NewUserAsync(server);
            email = user.Tokens.User.Email;
            await user.PushAsync("laptop", Query("q1", "before the backup"));

            var output = new StringWriter();
            var code = await OperatorCommands.RunAsync(["backup", "--to", backup, .. server.OperatorArgs], output, output);
            Assert.True(code == 0, output.ToString());
            Assert.Contains("Backed up", output.ToString());
            // Never overwrites.
            Assert.Equal(2, await OperatorCommands.RunAsync(["backup", "--to", backup, .. server.OperatorArgs], output, output));

            await user.PushAsync("laptop", Query("q2", "after the backup"));
        }
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
        }

        // Restore: a server whose Database:Path is the copy.
        var restoredData = TestServer.NewDataDirectory();
        File.Copy(backup, Path.Combine(restoredData, "sqlstudio.db"));
        await using var restored = await TestServer.StartAsync(o => o.DataDirectory = restoredData);
        var again = For(restored, await new AuthClient(restored).LoginAsync(email));
        var (records, _) = await again.PullAllAsync();
        Assert.Equal("before the backup", records[("saved_queries", "q1")]["title"]!.GetValue<string>());
        Assert.False(records.ContainsKey(("saved_queries", "q2")));
    }
}
