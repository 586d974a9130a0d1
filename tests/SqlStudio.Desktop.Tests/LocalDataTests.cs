using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using SqlStudio.Desktop.Workspace;
using SqlStudio.Sync;
using SqlStudio.Testing;

namespace SqlStudio.Desktop.Tests;

/// <summary>
/// Local data (docs/desktop.md): the data folder owner-only, passwords and API keys encrypted at rest (no file of the
/// folder holds them in clear), a connection from another device without its password here, and bad input in words.
/// </summary>
public sealed class LocalDataTests
{
    private const string Password = "db-Pass-91c4e2";
    private const string ApiKey = "sk-test-4a7d09be";

    [Fact]
    public async Task Passwords_AndApiKeys_InNoFileOfTheDataFolder_FolderOwnerOnly()
    {
        var app = await DesktopProcess.StartAsync();
        var home = app.Home;
        await app.DisposeAsync();
        await using (var workspace = Workspaces.Create(home))
        {
            await workspace.Connections.SaveAsync(new ConnectionDetails("conn-pg", "prod", Drivers.PostgreSql, "db.internal", 5432, "app", "ada"), Password);
            await new AiChats(workspace.Store, TimeProvider.System).SaveSettingsAsync("http://127.0.0.1:9/v1", "model-x", ApiKey);

            Assert.True(await workspace.Connections.HasPasswordAsync("conn-pg"));
            Assert.Equal(Password, (await (await workspace.Store.StoreAsync()).SecretsAsync("connections", "conn-pg"))[Connections.PasswordField]);
        }

        foreach (var path in Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(path);
            foreach (var secret in new[] { Password, ApiKey })
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{path} holds a secret in clear");
                Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) < 0, $"{path} holds a secret in clear (UTF-16)");
            }
        }
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(home));
        foreach (var path in Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories))
        {
            Assert.True((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) == 0, path);
        }
    }

    [Fact]
    public async Task ConnectionFromAnotherDevice_HasNoPasswordHere_UntilGivenOnce()
    {
        await using var workspace = Workspaces.Create();
        // What a pull brings: the connection, never its password.
        await workspace.Store.PutAsync("connections", "conn-synced", new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = "from laptop", ["driver"] = Drivers.PostgreSql, ["host"] = "127.0.0.1", ["port"] = 5432, ["username"] = "ada",
        });

        var before = await workspace.Connections.HasPasswordAsync("conn-synced");
        await workspace.Connections.SetPasswordAsync("conn-synced", Password);

        Assert.False(before);
        Assert.True(await workspace.Connections.HasPasswordAsync("conn-synced"));
    }

    [Fact]
    public async Task BadInput_IsASentence_NeverAnException()
    {
        await using var workspace = Workspaces.Create();
        var missing = new ConnectionDetails("c1", "gone", Drivers.Sqlite, Database: "/nowhere/at/all.db");
        Directory.CreateDirectory(workspace.Home);
        var file = Path.Combine(workspace.Home, "big.db");
        new SqliteConnection($"Data Source={file};Pooling=False").Open();
        var big = new ConnectionDetails("c2", "big", Drivers.Sqlite, Database: file);
        var query = workspace.Runner.For("t");

        var notThere = await query.RunAsync(missing, "SELECT 1", 1000);
        var empty = await query.RunAsync(big, "   ", 1000);
        // A 200 MB value: the grid keeps a few thousand characters and says it cut the rest.
        var huge = await query.RunAsync(big, "SELECT printf('%.*c', 200000000, 'x') AS huge, 42 AS after", 1000);

        Assert.Equal("The file /nowhere/at/all.db does not exist. Check the path, or create the database first.", notThere.Error!.Message);
        Assert.Equal("There is nothing to run: write a statement first.", empty.Error!.Message);
        Assert.Null(huge.Error);
        var row = Assert.Single(Assert.Single(huge.Sets).Rows);
        Assert.True(row[0]!.Length < 5_000);
        Assert.EndsWith("(cut at 4,000 characters)", row[0]);
        Assert.Equal("42", row[1]);
    }

    [Fact]
    public async Task AiChat_WithoutEndpoint_SaysHowToSetItUp_WithOne_ContinuesThroughIt()
    {
        await using var workspace = Workspaces.Create();
        var chats = new AiChats(workspace.Store, TimeProvider.System);
        var session = await chats.NewSessionAsync("Slow query");

        var unconfigured = await Assert.ThrowsAsync<InvalidOperationException>(() => chats.ContinueAsync(session, "why?", CancellationToken.None));
        await using var fake = await FakeOpenAi.StartAsync("Add an index on orders(customer).");
        await chats.SaveSettingsAsync(fake.BaseUrl, "test-model", ApiKey);
        var answer = await chats.ContinueAsync(session, "Why is SELECT * FROM orders WHERE customer = 'x' slow?", CancellationToken.None);

        Assert.Contains("Settings", unconfigured.Message);
        Assert.Equal("Add an index on orders(customer).", answer.Content);
        Assert.Equal(["user", "assistant"], (await chats.MessagesAsync(session)).Select(m => m.Role));
        var request = Assert.Single(fake.Requests);
        Assert.Equal("Bearer " + ApiKey, request.Authorization);
        Assert.Contains("test-model", request.Body);
        Assert.Contains("WHERE customer", request.Body);
    }
}
