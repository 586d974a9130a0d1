using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using SqlStudio.Testing;

namespace SqlStudio.Desktop.Tests;

/// <summary>
/// The app end to end as a person uses it, in Chromium against the real app process: a SQLite connection, a tab, a run,
/// rows, an error with its position, a long query cancelled, the run found in history, a query saved and found, and the
/// tabs as they were after a restart.
/// </summary>
public sealed class JourneyTests
{
    private static string NewDatabase()
    {
        var path = Path.Combine(TestServer.NewDataDirectory(), "shop.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using var command = c.CreateCommand();
        command.CommandText = """
            CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, joined TEXT, score REAL);
            INSERT INTO people (name, joined, score) VALUES ('Ada', '2026-01-02', 9.5), ('Grace', '2026-02-03', 8.25), ('Edsger', NULL, NULL);
            """;
        command.ExecuteNonQuery();
        return path;
    }

    private static ILocator Editor(IPage page) => page.GetByRole(AriaRole.Region, new() { Name = "Editor" }).GetByRole(AriaRole.Textbox);

    private static ILocator Results(IPage page) => page.GetByRole(AriaRole.Region, new() { Name = "Results" });

    private static async Task TypeSqlAsync(IPage page, string sql)
    {
        await Editor(page).ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.PressAsync("Delete");
        await page.Keyboard.InsertTextAsync(sql);
    }

    private static async Task AddSqliteConnectionAsync(IPage page, string name, string file)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "New connection" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "New connection" });
        await dialog.GetByLabel("Name").FillAsync(name);
        await dialog.GetByLabel("Driver").SelectOptionAsync(new SelectOptionValue { Label = "SQLite" });
        await dialog.GetByLabel("File").FillAsync(file);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Assertions.Expect(dialog.GetByText(new Regex("^Connected: SQLite"))).ToBeVisibleAsync();
        await AppBrowser.ShotAsync(page, "0-connection-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Journey_ConnectRunErrorCancelHistorySave_ThenRestartKeepsTheTabs()
    {
        var database = NewDatabase();
        await using var app = await DesktopProcess.StartAsync();
        await using var browser = await AppBrowser.StartAsync();
        var page = await browser.OpenAsync(app.LaunchUrl);
        await Assertions.Expect(page.GetByRole(AriaRole.Status, new() { Name = "Sync: Local only" })).ToBeVisibleAsync();

        // A SQLite connection, tested and saved; the tab uses it.
        await AddSqliteConnectionAsync(page, "Shop", database);
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Connections" }).GetByRole(AriaRole.Button, new() { Name = "Shop", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Connection", new() { Exact = true })).ToHaveValueAsync(new Regex("^conn-"));

        // Run: rows in a grid, with the count.
        await TypeSqlAsync(page, "SELECT id, name, joined, score FROM people ORDER BY id;");
        await page.Keyboard.PressAsync("Control+Enter");
        var grid = Results(page).GetByRole(AriaRole.Grid);
        await Assertions.Expect(Results(page).GetByText("3 rows").First).ToBeVisibleAsync();
        await Assertions.Expect(grid.GetByRole(AriaRole.Gridcell, new() { Name = "Grace" })).ToBeVisibleAsync();
        await Assertions.Expect(grid.GetByRole(AriaRole.Columnheader, new() { Name = "name" })).ToBeVisibleAsync();
        await Assertions.Expect(grid.GetByRole(AriaRole.Gridcell, new() { Name = "NULL" }).First).ToBeVisibleAsync();
        await AppBrowser.ShotAsync(page, "1-results");

        // An error, with where it is.
        await TypeSqlAsync(page, "SELECT name\nFROM people\nWHERE name = 'Ada' ORDERR BY name;");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        var error = Results(page).GetByRole(AriaRole.Alert);
        await Assertions.Expect(error).ToContainTextAsync("syntax error");
        await Assertions.Expect(error).ToContainTextAsync("line 3");
        await AppBrowser.ShotAsync(page, "2-error");

        // A long query, cancelled: the database stops it.
        await TypeSqlAsync(page, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 4000000000) SELECT sum(x) FROM c;");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Assertions.Expect(Results(page).GetByText("Running…")).ToBeVisibleAsync();
        await Results(page).GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(Results(page).GetByText(new Regex("^Cancelled after"))).ToBeVisibleAsync(new() { Timeout = 5_000 });

        // History: every run, searchable.
        var history = page.GetByRole(AriaRole.Region, new() { Name = "History" });
        await history.GetByRole(AriaRole.Searchbox, new() { Name = "Search history" }).FillAsync("ORDERR");
        await Assertions.Expect(history.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
        await Assertions.Expect(history.GetByRole(AriaRole.Listitem).First).ToContainTextAsync("error");

        // Save a query, and find it.
        await TypeSqlAsync(page, "SELECT count(*) AS people FROM people;");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save query" }).ClickAsync();
        var save = page.GetByRole(AriaRole.Dialog, new() { Name = "Save query" });
        await save.GetByLabel("Title").FillAsync("Head count");
        await save.GetByLabel("Tags").FillAsync("people, report");
        await AppBrowser.ShotAsync(page, "3-save-dialog");
        await save.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var saved = page.GetByRole(AriaRole.Region, new() { Name = "Saved queries" });
        await saved.GetByRole(AriaRole.Searchbox, new() { Name = "Search saved queries" }).FillAsync("head");
        await Assertions.Expect(saved.GetByRole(AriaRole.Button, new() { Name = "Head count", Exact = true })).ToBeVisibleAsync();

        // A second tab, renamed; then the app restarts.
        await page.GetByRole(AriaRole.Button, new() { Name = "New tab" }).ClickAsync();
        // As a person does: type once the new tab is shown (its empty text in the editor), not into the one before it.
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Query 2" })).ToHaveAttributeAsync("aria-selected", "true");
        await Assertions.Expect(Editor(page)).Not.ToContainTextAsync("people");
        await TypeSqlAsync(page, "SELECT 'second tab';");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename tab" }).ClickAsync();
        await page.GetByLabel("Tab title").FillAsync("Scratch");
        await page.GetByLabel("Tab title").PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Scratch" })).ToBeVisibleAsync();
        // The editor hands its text over after a short pause in typing; the tab's record holds it before the restart.
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Scratch" })).ToHaveAttributeAsync("aria-selected", "true");
        await page.WaitForFunctionAsync("() => document.querySelector('.cm-content')?.textContent.includes('second tab')");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Query 1" }).ClickAsync();
        await Assertions.Expect(Editor(page)).ToContainTextAsync("SELECT count(*) AS people FROM people;");
        await page.Context.CloseAsync();
        await app.DisposeAsync();

        var again = await DesktopProcess.StartAsync(app.Home);
        await using (again)
        {
            var reopened = await browser.OpenAsync(again.LaunchUrl);
            await Assertions.Expect(reopened.GetByRole(AriaRole.Tab)).ToHaveCountAsync(2);
            await Assertions.Expect(reopened.GetByRole(AriaRole.Tab).Nth(1)).ToHaveAccessibleNameAsync("Scratch");
            await Assertions.Expect(Editor(reopened)).ToContainTextAsync("SELECT count(*) AS people FROM people;");
            await reopened.GetByRole(AriaRole.Tab, new() { Name = "Scratch" }).ClickAsync();
            await Assertions.Expect(Editor(reopened)).ToContainTextAsync("SELECT 'second tab';");
            await Assertions.Expect(reopened.GetByRole(AriaRole.Region, new() { Name = "Saved queries" }).GetByRole(AriaRole.Button, new() { Name = "Head count", Exact = true })).ToBeVisibleAsync();
        }
    }

    [Fact]
    public async Task KeysTypedWhileATabOpens_GoToThatTab_NeverIntoTheTabLeft()
    {
        await using var app = await DesktopProcess.StartAsync();
        await using var browser = await AppBrowser.StartAsync();
        var page = await browser.OpenAsync(app.LaunchUrl);
        await TypeSqlAsync(page, "SELECT 1;");

        // The moment between the tab strip showing the new tab and that tab's text reaching the editor (one round trip
        // to the host), held open: the host's first call that hands the editor a tab's text waits until the test lets it
        // go. (Blazor keeps the function it finds on its first call, so the hold is in place before that call and
        // passes every later call straight through.)
        await page.EvaluateAsync("""
            () => {
              const setText = window.SqlStudioEditor.setText;
              window.heldSetText = [];
              let holding = true;
              window.SqlStudioEditor.setText = (...args) => holding
                ? new Promise((done) => window.heldSetText.push(() => { holding = false; done(setText(...args)); }))
                : setText(...args);
            }
            """);
        await page.GetByRole(AriaRole.Button, new() { Name = "New tab" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Query 2" })).ToHaveAttributeAsync("aria-selected", "true");
        await page.WaitForFunctionAsync("() => window.heldSetText.length === 1");
        await Editor(page).FocusAsync();
        await page.Keyboard.TypeAsync("SELECT 2;");
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 1;");
        await page.EvaluateAsync("() => window.heldSetText.shift()()");

        // What was typed is in the tab the strip showed; the tab left is as it was, in the editor and in the workspace.
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 2;");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Query 1" }).ClickAsync();
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 1;");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Query 2" }).ClickAsync();
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 2;");
    }

    /// <summary>
    /// The window on the launch link with its circuit held back (its negotiation waits): the page's first HTML and its
    /// scripts only, until the test sets the returned source.
    /// </summary>
    private static async Task<(IPage Page, TaskCompletionSource Circuit)> OpenWithTheCircuitHeldAsync(AppBrowser browser, string launchUrl,
        TaskCompletionSource? editorCode = null)
    {
        var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 820 } });
        var page = await context.NewPageAsync();
        var circuit = new TaskCompletionSource();
        await HoldAsync(page, "/_blazor/negotiate", circuit);
        if (editorCode is not null)
        {
            await HoldAsync(page, @"/lib/editor\.[^/]*js", editorCode);
        }
        // Not waiting for "load": that waits for the editor's code, which may be held.
        await page.GotoAsync(launchUrl, new() { WaitUntil = WaitUntilState.Commit });
        return (page, circuit);
    }

    /// <summary>Requests to what matches <paramref name="pattern"/> wait until <paramref name="until"/> is set.</summary>
    private static Task HoldAsync(IPage page, string pattern, TaskCompletionSource until) =>
        page.RouteAsync(new Regex(pattern), async route =>
        {
            await until.Task;
            await route.ContinueAsync();
        });

    /// <summary>Where (x, y) the first line's text starts in the editor region, and how wide its gutter is.</summary>
    private static Task<double[]> TextOriginAsync(IPage page) => page.EvaluateAsync<double[]>(
        """
        () => {
          const region = document.querySelector('[aria-label="Editor"][role="region"]');
          const box = region.querySelector('textarea');
          const gutter = region.querySelector(box ? '.early-gutter' : '.cm-gutters').getBoundingClientRect();
          if (box) {
            const r = box.getBoundingClientRect(), s = getComputedStyle(box);
            return [r.left + parseFloat(s.paddingLeft), r.top + parseFloat(s.paddingTop), gutter.width];
          }
          const line = region.querySelector('.cm-line'), r = line.getBoundingClientRect(), s = getComputedStyle(line);
          return [r.left + parseFloat(s.paddingLeft), r.top, gutter.width];
        }
        """);

    [Fact]
    public async Task TheEditorIsLiveBeforeTheWorkbench_WhatIsTypedAndARunAskedFor_AreKept()
    {
        var database = NewDatabase();
        await using var browser = await AppBrowser.StartAsync();
        var home = DesktopProcess.NewHome();
        await using (var first = await DesktopProcess.StartAsync(home))
        {
            var setUp = await browser.OpenAsync(first.LaunchUrl);
            await AddSqliteConnectionAsync(setUp, "Shop", database);
            await TypeSqlAsync(setUp, "SELECT 1;");
            await setUp.GetByRole(AriaRole.Button, new() { Name = "Save query" }).ClickAsync(); // hands the editor's text to the tab
            await Assertions.Expect(setUp.GetByRole(AriaRole.Dialog, new() { Name = "Save query" })).ToBeVisibleAsync();
            await setUp.Context.CloseAsync();
        }

        await using var app = await DesktopProcess.StartAsync(home);
        var editorCode = new TaskCompletionSource();
        var (page, circuit) = await OpenWithTheCircuitHeldAsync(browser, app.LaunchUrl, editorCode);
        var context = page.Context;

        // Before any script of ours has run: the first tab's text in a plain text box that has the keys, in the
        // workbench's frame; nothing of the workbench itself yet.
        await Assertions.Expect(Editor(page)).ToHaveValueAsync("SELECT 1;");
        await Assertions.Expect(Editor(page)).ToBeFocusedAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "New tab" }).CountAsync());
        await AppBrowser.ShotAsync(page, "0-before-any-script");
        await AccessibilityTests.AssertNoSeriousViolationsAsync(page, "before any script");
        var boxOrigin = await TextOriginAsync(page);
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("SELECT 42 AS answer;");
        await page.Keyboard.PressAsync("Control+Enter");
        await page.Keyboard.PressAsync("ArrowLeft");
        await Assertions.Expect(Editor(page)).ToHaveValueAsync("SELECT 42 AS answer;");

        // The SQL editor takes the box's place: its text where the box had it (nothing moves), what was typed with the
        // caret where it was, and that typing is one edit that can be undone.
        editorCode.SetResult();
        await Assertions.Expect(page.Locator("#early-editor .cm-content")).ToHaveTextAsync("SELECT 42 AS answer;");
        await Assertions.Expect(Editor(page)).ToHaveCountAsync(1);
        await Assertions.Expect(Editor(page)).ToBeFocusedAsync();
        var editorOrigin = await TextOriginAsync(page);
        Assert.True(boxOrigin.Zip(editorOrigin).All(p => Math.Abs(p.First - p.Second) <= 1.5),
            $"text box at {string.Join(", ", boxOrigin)}, editor at {string.Join(", ", editorOrigin)} (x, y, gutter width)");
        await AppBrowser.ShotAsync(page, "0-before-the-workbench");
        await page.Keyboard.TypeAsync("X");
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 42 AS answerX;");
        await page.Keyboard.PressAsync("Control+Z");
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 42 AS answer;");
        await page.Keyboard.PressAsync("Control+Z");
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 1;");
        await page.Keyboard.PressAsync("Control+Y");
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 42 AS answer;");

        // The workbench comes: the same editor, what was typed in it, and the run asked for in the text box.
        circuit.SetResult();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "New tab" })).ToBeVisibleAsync();
        await Assertions.Expect(Results(page).GetByRole(AriaRole.Grid).GetByRole(AriaRole.Gridcell, new() { Name = "42" })).ToBeVisibleAsync();
        await Assertions.Expect(Editor(page)).ToHaveCountAsync(1);
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 42 AS answer;");
        await Assertions.Expect(Editor(page)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("End");
        await page.Keyboard.TypeAsync(" -- kept");
        await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 42 AS answer; -- kept");
        await page.GetByRole(AriaRole.Button, new() { Name = "New tab" }).ClickAsync(); // hands the text to the tab
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Query 2" })).ToHaveAttributeAsync("aria-selected", "true");
        // The launch link answered with the page, whose address is "/" now: no token in the window's history, and a
        // reload opens the workbench again instead of spending the token twice.
        Assert.Equal(new Uri(app.LaunchUrl).GetLeftPart(UriPartial.Authority) + "/", page.Url);
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Query 2" })).ToBeVisibleAsync();
        await context.CloseAsync();
        await app.DisposeAsync();

        // The tab holds it.
        await using var again = await DesktopProcess.StartAsync(home);
        var reopened = await browser.OpenAsync(again.LaunchUrl);
        await Assertions.Expect(Editor(reopened)).ToHaveTextAsync("SELECT 42 AS answer; -- kept");
    }

    [Fact]
    public async Task ANewWorkspace_TypedInBeforeTheWorkbench_TheFirstTabHoldsIt()
    {
        var home = DesktopProcess.NewHome();
        await using var browser = await AppBrowser.StartAsync();
        await using (var app = await DesktopProcess.StartAsync(home))
        {
            var (page, circuit) = await OpenWithTheCircuitHeldAsync(browser, app.LaunchUrl);
            var context = page.Context;
            // No tab yet: an empty editor; the workbench makes the first tab when it comes.
            await Assertions.Expect(Editor(page)).ToBeFocusedAsync();
            await page.Keyboard.TypeAsync("SELECT 7;");
            circuit.SetResult();
            await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Query 1" })).ToHaveAttributeAsync("aria-selected", "true");
            await page.Keyboard.TypeAsync(" SELECT 8;");
            await Assertions.Expect(Editor(page)).ToHaveTextAsync("SELECT 7; SELECT 8;");
            await page.GetByRole(AriaRole.Button, new() { Name = "New tab" }).ClickAsync(); // hands the text to the tab
            await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Query 2" })).ToHaveAttributeAsync("aria-selected", "true");
            await context.CloseAsync();
        }

        await using var again = await DesktopProcess.StartAsync(home);
        var reopened = await browser.OpenAsync(again.LaunchUrl);
        await Assertions.Expect(reopened.GetByRole(AriaRole.Tab)).ToHaveCountAsync(2);
        await Assertions.Expect(Editor(reopened)).ToHaveTextAsync("SELECT 7; SELECT 8;");
    }
}
