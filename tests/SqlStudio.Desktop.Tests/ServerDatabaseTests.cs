using System.Diagnostics;
using Dapper;
using MySqlConnector;
using Npgsql;
using SqlStudio.Desktop.Workspace;
using SqlStudio.Testing;

namespace SqlStudio.Desktop.Tests;

public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await PostgresServer.StartAsync();
        await using var c = new NpgsqlConnection(Server.ConnectionString);
        await c.ExecuteAsync("""
            CREATE SCHEMA sales;
            CREATE TABLE sales.orders (id serial PRIMARY KEY, customer text NOT NULL, total numeric(10,2), placed timestamptz DEFAULT now(), paid boolean, tags text[]);
            INSERT INTO sales.orders (customer, total, paid, tags) SELECT 'customer ' || g, g * 1.5, g % 2 = 0, ARRAY['a','b'] FROM generate_series(1, 2500) g;
            CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE total > 100;
            """);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class MariaDbFixture : IAsyncLifetime
{
    public MariaDbServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await MariaDbServer.StartAsync();
        await using var c = new MySqlConnection(Server.ConnectionString);
        await c.ExecuteAsync("""
            CREATE TABLE products (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(8,2), added DATETIME, stock INT);
            INSERT INTO products (name, price, added, stock) VALUES ('lamp', 19.90, '2026-03-04 05:06:07', 3), ('desk', 249.00, NULL, 0);
            """);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// The SQL client against a real PostgreSQL (Debian's postgresql, initdb + pg_ctl in a temporary folder): connect with
/// the password kept on the device, the schema tree, a run with types in the grid, paging, errors with their position, a
/// wrong password and an unreachable server in words, and Cancel stopping pg_sleep(30) on the server within a second.
/// </summary>
public sealed class PostgresTests(PostgresFixture pg) : IClassFixture<PostgresFixture>
{
    private ConnectionDetails Connection(string? id = null) =>
        new(id ?? WorkspaceStore.NewId("conn"), "orders db", Drivers.PostgreSql, "127.0.0.1", pg.Server.Port, "postgres", PostgresServer.User, "Disable");

    /// <summary>
    /// In the window (#23, "a connection synced from another device asks for its password once"): the connection arrives
    /// without its password, the first run asks "Enter the password for this device" and then runs; after a restart the
    /// password is still on this device and nothing is asked again.
    /// </summary>
    [Fact]
    public async Task ConnectionFromAnotherDevice_TheWindowAsksItsPasswordOnce_ThenRuns_AndNotAgainAfterARestart()
    {
        string home;
        await using (var workspace = Workspaces.Create())
        {
            home = workspace.Home;
            // What a pull brings: the connection, never its password.
            await workspace.Connections.SaveAsync(Connection("conn-from-laptop"), password: null);
        }
        const string sql = "SELECT count(*) AS orders FROM sales.orders;";
        await using var browser = await AppBrowser.StartAsync();

        await using (var app = await DesktopProcess.StartAsync(home))
        {
            var page = await browser.OpenAsync(app.LaunchUrl);
            await TypeAndRunAsync(page, sql);
            var dialog = page.GetByRole(Microsoft.Playwright.AriaRole.Dialog, new() { Name = "Enter the password for this device" });
            await Microsoft.Playwright.Assertions.Expect(dialog).ToBeVisibleAsync();
            await dialog.GetByLabel("Password").FillAsync(PostgresServer.Password);
            await dialog.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Save" }).ClickAsync();

            await Microsoft.Playwright.Assertions.Expect(dialog).ToBeHiddenAsync();
            await Microsoft.Playwright.Assertions.Expect(Results(page).GetByRole(Microsoft.Playwright.AriaRole.Gridcell, new() { Name = "2500" })).ToBeVisibleAsync(FirstRun);
        }

        await using (var again = await DesktopProcess.StartAsync(home))
        {
            var page = await browser.OpenAsync(again.LaunchUrl);
            await TypeAndRunAsync(page, sql);

            await Microsoft.Playwright.Assertions.Expect(Results(page).GetByRole(Microsoft.Playwright.AriaRole.Gridcell, new() { Name = "2500" })).ToBeVisibleAsync(FirstRun);
            await Microsoft.Playwright.Assertions.Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Dialog, new() { Name = "Enter the password for this device" })).ToHaveCountAsync(0);
        }
    }

    /// <summary>
    /// A new process's first query: the secret store's key ring, the driver and the first connection all start cold (a
    /// full run's five suites on 2 cores took over 5 s once); the grid still says "Running…" meanwhile.
    /// </summary>
    private static readonly Microsoft.Playwright.LocatorAssertionsToBeVisibleOptions FirstRun = new() { Timeout = 30_000 };

    private static Microsoft.Playwright.ILocator Results(Microsoft.Playwright.IPage page) =>
        page.GetByRole(Microsoft.Playwright.AriaRole.Region, new() { Name = "Results" });

    private static async Task TypeAndRunAsync(Microsoft.Playwright.IPage page, string sql)
    {
        var editor = page.GetByRole(Microsoft.Playwright.AriaRole.Region, new() { Name = "Editor" }).GetByRole(Microsoft.Playwright.AriaRole.Textbox);
        await editor.ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.PressAsync("Delete");
        await page.Keyboard.InsertTextAsync(sql);
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Run" }).ClickAsync();
    }

    [Fact]
    public async Task Connect_Schema_Run_TypesInTheGrid_LoadMore()
    {
        await using var workspace = Workspaces.Create();
        var connection = Connection();
        await workspace.Connections.SaveAsync(connection, PostgresServer.Password);

        var test = await workspace.Connections.TestAsync(connection, null, CancellationToken.None);
        var tables = await workspace.Schema.ReadAsync(connection, CancellationToken.None);
        var query = workspace.Runner.For("tab-1");
        var run = await query.RunAsync(connection, "SELECT id, customer, total, paid, placed, tags FROM sales.orders ORDER BY id", 1000);
        await query.LoadMoreAsync(1000);
        await query.LoadMoreAsync(1000);

        Assert.True(test.Ok, test.Message);
        Assert.StartsWith("Connected: PostgreSQL", test.Message);
        var orders = Assert.Single(tables, t => t is { Schema: "sales", Name: "orders", IsView: false });
        Assert.Contains(orders.Columns, c => c is { Name: "total", Type: "numeric" });
        Assert.Contains(tables, t => t is { Name: "big_orders", IsView: true });
        Assert.Null(run.Error);
        var set = Assert.Single(run.Sets);
        Assert.Equal(["integer", "text", "numeric(10, 2)", "boolean", "timestamp with time zone", "text[]"], set.Columns.Select(c => c.Type));
        Assert.Equal(2500, set.Rows.Count);
        Assert.False(set.HasMore);
        Assert.Equal(new string?[] { "1", "customer 1", "1.50", "false" }, set.Rows[0][..4]);
    }

    [Fact]
    public async Task SyntaxError_HasItsLineAndColumn_SeveralResultSets_RowsAffected()
    {
        await using var workspace = Workspaces.Create();
        var connection = Connection();
        await workspace.Connections.SaveAsync(connection, PostgresServer.Password);
        var query = workspace.Runner.For("tab-1");

        var error = await query.RunAsync(connection, "SELECT 1;\nSELEC customer FROM sales.orders", 1000);
        var two = await query.RunAsync(connection, "SELECT 1 AS one; SELECT 'two' AS two", 1000);
        var update = await query.RunAsync(connection, "UPDATE sales.orders SET paid = paid WHERE id <= 7", 1000);

        Assert.True(error.Error!.Line == 2, $"{error.Error.Line}:{error.Error.Column} {error.Error.Message} [{error.Error.LineText}]");
        Assert.Equal(1, error.Error.Column);
        Assert.Contains("syntax error", error.Error.Message);
        Assert.Equal(["one", "two"], two.Sets.Select(s => s.Columns[0].Name));
        Assert.Equal(7, update.RowsAffected);
    }

    [Fact]
    public async Task Cancel_StopsPgSleepOnTheServer_WithinASecond()
    {
        await using var workspace = Workspaces.Create();
        var connection = Connection();
        await workspace.Connections.SaveAsync(connection, PostgresServer.Password);
        var query = workspace.Runner.For("tab-1");

        var running = query.RunAsync(connection, "SELECT pg_sleep(30)", 1000);
        await WaitUntilRunningAsync(pg.Server.ConnectionString, "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'");
        var watch = Stopwatch.StartNew();
        query.Cancel();
        var run = await running;
        var took = watch.Elapsed;
        await using var c = new NpgsqlConnection(pg.Server.ConnectionString);
        var still = await c.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'");

        Assert.True(run.Cancelled, run.Error?.Message);
        Assert.True(took < TimeSpan.FromSeconds(1), $"cancel took {took}");
        Assert.Equal(0, still);
    }

    [Fact]
    public async Task WrongPassword_Unreachable_UnknownDatabase_InWords()
    {
        await using var workspace = Workspaces.Create();

        var wrong = await workspace.Connections.TestAsync(Connection(), "not-the-password", CancellationToken.None);
        var unreachable = await workspace.Connections.TestAsync(Connection() with { Port = Loopback.FreePort() }, "x", CancellationToken.None);
        var unknown = await workspace.Connections.TestAsync(Connection() with { Database = "nope" }, PostgresServer.Password, CancellationToken.None);

        Assert.False(wrong.Ok);
        Assert.Contains("check the user name and the password", wrong.Message);
        Assert.Contains("Nothing answers at 127.0.0.1:", unreachable.Message);
        Assert.Contains("The database 'nope' does not exist", unknown.Message);
    }

    internal static async Task WaitUntilRunningAsync(string connectionString, string sql)
    {
        await using var c = new NpgsqlConnection(connectionString);
        for (var i = 0; i < 200 && await c.ExecuteScalarAsync<long>(sql) == 0; i++)
        {
            await Task.Delay(25);
        }
    }
}

/// <summary>The same against a real MariaDB (Debian's mariadb-server, mariadb-install-db + mariadbd on a free port).</summary>
public sealed class MariaDbTests(MariaDbFixture maria) : IClassFixture<MariaDbFixture>
{
    private ConnectionDetails Connection() =>
        new(WorkspaceStore.NewId("conn"), "shop", Drivers.MySql, "127.0.0.1", maria.Server.Port, MariaDbServer.Database, MariaDbServer.User, "None");

    [Fact]
    public async Task Connect_Schema_Run_TypesInTheGrid_ErrorLine()
    {
        await using var workspace = Workspaces.Create();
        var connection = Connection();
        await workspace.Connections.SaveAsync(connection, MariaDbServer.Password);
        var query = workspace.Runner.For("tab-1");

        var test = await workspace.Connections.TestAsync(connection, null, CancellationToken.None);
        var tables = await workspace.Schema.ReadAsync(connection, CancellationToken.None);
        var run = await query.RunAsync(connection, "SELECT id, name, price, added, stock FROM products ORDER BY id", 1000);
        var error = await query.RunAsync(connection, "SELECT 1;\nSELECT * FORM products", 1000);

        Assert.True(test.Ok, test.Message);
        Assert.Contains("MariaDB", test.Message);
        Assert.Contains(tables, t => t.Name == "products" && t.Columns.Any(c => c is { Name: "price", Type: "decimal(8,2)" }));
        var set = Assert.Single(run.Sets);
        Assert.Equal(["INT", "VARCHAR", "DECIMAL", "DATETIME", "INT"], set.Columns.Select(c => c.Type));
        Assert.Equal(new string?[] { "1", "lamp", "19.90", "2026-03-04 05:06:07", "3" }, set.Rows[0]);
        Assert.Null(set.Rows[1][3]);
        Assert.Equal(2, error.Error!.Line);
    }

    [Fact]
    public async Task Cancel_StopsSleepOnTheServer_WithinASecond()
    {
        await using var workspace = Workspaces.Create();
        var connection = Connection();
        await workspace.Connections.SaveAsync(connection, MariaDbServer.Password);
        var query = workspace.Runner.For("tab-1");

        var running = query.RunAsync(connection, "SELECT SLEEP(30)", 1000);
        await using var c = new MySqlConnection(maria.Server.ConnectionString);
        for (var i = 0; i < 200 && await c.ExecuteScalarAsync<long>("SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(30)'") == 0; i++)
        {
            await Task.Delay(25);
        }
        var watch = Stopwatch.StartNew();
        query.Cancel();
        var run = await running;
        var took = watch.Elapsed;

        Assert.True(run.Cancelled || run.Sets.Count == 1, run.Error?.Message);
        Assert.True(took < TimeSpan.FromSeconds(1), $"cancel took {took}");
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(30)'"));
    }

    [Fact]
    public async Task WrongPassword_InWords()
    {
        await using var workspace = Workspaces.Create();

        var wrong = await workspace.Connections.TestAsync(Connection(), "nope", CancellationToken.None);

        Assert.False(wrong.Ok);
        Assert.Contains("check the user name and the password", wrong.Message);
    }
}
