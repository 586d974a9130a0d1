using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using SqlStudio.Testing;

namespace SqlStudio.Desktop.Tests;

/// <summary>
/// axe-core on every screen of the app — the workbench empty and with results, an error, each dialog — at a desktop and a
/// small window: no serious or critical violation. (axe runs through the DevTools protocol; the app's CSP allows no
/// injected script.)
/// </summary>
public sealed class AccessibilityTests
{
    private static readonly string Axe = File.ReadAllText(Path.Combine(Repository.Root, "tests", "SqlStudio.Desktop.Tests", "node_modules", "axe-core", "axe.min.js"));

    internal static async Task AssertNoSeriousViolationsAsync(IPage page, string screen)
    {
        await page.EvaluateAsync(Axe);
        var violations = await page.EvaluateAsync<JsonElement>(
            "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations" +
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')" +
            ".map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))");
        Assert.True(violations.GetArrayLength() == 0, $"{screen}: {violations}");
    }

    [Theory]
    [InlineData(1280, 820)]
    [InlineData(900, 700)]
    public async Task EveryScreen_NoSeriousOrCriticalViolation(int width, int height)
    {
        var file = Path.Combine(TestServer.NewDataDirectory(), "a11y.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var c = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            c.Open();
            using var command = c.CreateCommand();
            command.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT); INSERT INTO t (label) VALUES ('one'), (NULL);";
            command.ExecuteNonQuery();
        }
        await using var app = await DesktopProcess.StartAsync();
        await using var browser = await AppBrowser.StartAsync();
        var page = await browser.OpenAsync(app.LaunchUrl, width, height);

        await AssertNoSeriousViolationsAsync(page, "empty workbench");

        await page.GetByRole(AriaRole.Button, new() { Name = "New connection" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "New connection" });
        await AssertNoSeriousViolationsAsync(page, "new connection (SQLite)");
        await dialog.GetByLabel("Driver").SelectOptionAsync(new SelectOptionValue { Label = "PostgreSQL" });
        await Assertions.Expect(dialog.GetByLabel("Host")).ToBeVisibleAsync();
        await AssertNoSeriousViolationsAsync(page, "new connection (PostgreSQL)");
        await dialog.GetByLabel("Driver").SelectOptionAsync(new SelectOptionValue { Label = "SQLite" });
        await dialog.GetByLabel("Name").FillAsync("A11y");
        await dialog.GetByLabel("File").FillAsync(file);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();

        var editor = page.GetByRole(AriaRole.Region, new() { Name = "Editor" }).GetByRole(AriaRole.Textbox);
        await editor.ClickAsync();
        await page.Keyboard.InsertTextAsync("SELECT * FROM t;");
        await page.Keyboard.PressAsync("Control+Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Results" }).GetByText("2 rows").First).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Schema of A11y" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Refresh schema")).ToBeVisibleAsync();
        await AssertNoSeriousViolationsAsync(page, "results and schema");

        await page.Keyboard.PressAsync("Escape");
        await editor.ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.InsertTextAsync("SELEC 1;");
        await page.Keyboard.PressAsync("Control+Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Results" }).GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await AssertNoSeriousViolationsAsync(page, "error");

        foreach (var (button, name) in new[] { ("Save query", "Save query"), ("Settings", "Settings"), ("AI chats", "AI chats") })
        {
            await page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
            var open = page.GetByRole(AriaRole.Dialog, new() { Name = name });
            await Assertions.Expect(open).ToBeVisibleAsync();
            await AssertNoSeriousViolationsAsync(page, name);
            await open.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
            await Assertions.Expect(open).ToBeHiddenAsync();
        }
    }
}
