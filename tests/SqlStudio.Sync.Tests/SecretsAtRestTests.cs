using System.Text;
using System.Text.Json.Nodes;
using SqlStudio.Testing;

namespace SqlStudio.Sync.Tests;

/// <summary>
/// Issue #22 §3: connection passwords are readable by nobody else on the machine and by nobody who copies the store: the
/// profile is owner-only, the secrets encrypted at rest, and an import's passwords leave with its undo.
/// </summary>
public sealed class SecretsAtRestTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Typed = "typed-pw-5c1e9a";
    private const string Imported = "imported-pw-77f3b2";

    [Fact]
    public async Task Passwords_InNoFileOfTheProfile_FolderAndFilesOwnerOnly_UndoTakesImportedOnesAway()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var device = await devices.OpenAsync("laptop");
        await device.Manager.PushChangeAsync("connections", "c-typed", new JsonObject
        {
            ["name"] = "prod", ["driver"] = "postgres", ["password"] = Typed,
            ["options"] = new JsonObject { ["ssh"] = new JsonObject { ["passphrase"] = Typed + "-ssh" } },
        });
        var file = Path.Combine(devices.Home, "export.json");
        await File.WriteAllTextAsync(file, new JsonObject
        {
            ["format"] = "sqlstudio-export", ["version"] = 1,
            ["connections"] = new JsonArray(new JsonObject { ["id"] = "c-imported", ["name"] = "old", ["driver"] = "postgres", ["password"] = Imported }),
        }.ToJsonString());
        var report = await device.Manager.ImportAsync(file, "skip");
        File.Delete(file);
        await device.Manager.SyncNowAsync();

        Assert.Equal(Typed, (await device.Store.SecretsAsync("connections", "c-typed"))["password"]);
        Assert.Equal(Imported, (await device.Store.SecretsAsync("connections", "c-imported"))["password"]);
        AssertNowhereInClear(device.Folder, Typed, Imported);
        AssertOwnerOnly(device.Folder);

        await device.Manager.UndoImportAsync(report.ImportId);

        Assert.Empty(await device.Store.SecretsAsync("connections", "c-imported"));
        Assert.Equal(Typed, (await device.Store.SecretsAsync("connections", "c-typed"))["password"]);
        await devices.CloseAsync(device);
        AssertNowhereInClear(device.Folder, Typed, Imported);
    }

    [Fact]
    public async Task StoreOfAnOlderVersion_ClearSecretsAreProtectedWhenOpened()
    {
        var folder = Path.Combine(TestServer.NewDataDirectory(), "old-profile");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "store.db");
        using (var first = new LocalStore(path))
        {
            await using var c = first.Open();
            // What an older version wrote: the value itself.
            await Dapper.SqlMapper.ExecuteAsync(c, "INSERT INTO secrets (type, id, field, value) VALUES ('connections', 'c1', 'password', @value)", new { value = Typed });
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        using var reopened = new LocalStore(path);
        var secret = (await reopened.SecretsAsync("connections", "c1"))["password"];
        reopened.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        Assert.Equal(Typed, secret);
        AssertNowhereInClear(folder, Typed);
    }

    private static void AssertNowhereInClear(string folder, params string[] secrets)
    {
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(path);
            foreach (var secret in secrets)
            {
                foreach (var encoding in new Encoding[] { Encoding.UTF8, Encoding.Unicode })
                {
                    Assert.True(bytes.AsSpan().IndexOf(encoding.GetBytes(secret)) < 0, $"{path} holds '{secret}' in clear ({encoding.EncodingName})");
                }
            }
        }
    }

    private static void AssertOwnerOnly(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(folder));
        foreach (var directory in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories))
        {
            Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(directory));
        }
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            Assert.True((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0,
                $"{path} is {File.GetUnixFileMode(path)}");
        }
    }
}
