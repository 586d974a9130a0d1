using Bunit;
using SqlStudio.Desktop.Components.Shared;
using SqlStudio.Desktop.Workspace;

namespace SqlStudio.Desktop.Tests;

/// <summary>The components alone (bUnit): what they render for a state, and the names the contract gives them.</summary>
public sealed class ComponentTests : BunitContext
{
    public ComponentTests() => JSInterop.Mode = JSRuntimeMode.Loose;

    private static QueryRun RunWith(int rows, bool hasMore = false)
    {
        var set = new ResultSet([new ColumnInfo("id", "integer"), new ColumnInfo("name", "text")]) { HasMore = hasMore };
        for (var i = 0; i < rows; i++)
        {
            set.Rows.Add([i.ToString(System.Globalization.CultureInfo.InvariantCulture), i == 0 ? null : $"name {i}"]);
        }
        var run = new QueryRun { Sql = "select", Elapsed = TimeSpan.FromMilliseconds(12) };
        run.Sets.Add(set);
        return run;
    }

    [Theory]
    [InlineData(1, false, "1 row")]
    [InlineData(1000, true, "1,000 rows (more available)")]
    [InlineData(0, false, "0 rows")]
    public void Results_ShowTheRowCountAsText_AndAGridInTheResultsRegion(int rows, bool hasMore, string text)
    {
        var cut = Render<ResultsPane>(p => p.Add(x => x.Run, RunWith(rows, hasMore)));

        var region = cut.Find("[role=region][aria-label=Results]");
        Assert.Contains(text, region.TextContent);
        Assert.NotNull(region.QuerySelector("table[role=grid]"));
        Assert.Equal(hasMore, cut.FindAll("button").Any(b => b.TextContent == "Load more"));
    }

    [Fact]
    public void Results_NullIsShownAsNull_ColumnTypesUnderNames()
    {
        var cut = Render<ResultsPane>(p => p.Add(x => x.Run, RunWith(2)));

        Assert.Contains(cut.FindAll("td[role=gridcell]"), td => td.TextContent == "NULL" && td.ClassList.Contains("null"));
        Assert.Contains(cut.FindAll("th[role=columnheader]"), th => th.TextContent.Contains("name") && th.TextContent.Contains("text"));
    }

    [Fact]
    public void Results_Error_ShowsTheDatabasesMessage_LineAndCaret()
    {
        var run = new QueryRun { Sql = "x", Error = new QueryError("syntax error at or near \"FORM\"", 2, 10, "SELECT * FORM t") };

        var cut = Render<ResultsPane>(p => p.Add(x => x.Run, run));

        var alert = cut.Find("[role=alert]");
        Assert.Contains("at line 2, column 10", alert.TextContent);
        Assert.Contains("syntax error at or near \"FORM\"", alert.TextContent);
        Assert.Contains("SELECT * FORM t\n         ^", alert.QuerySelector("pre")!.TextContent);
    }

    [Fact]
    public void Results_WhileRunning_OfferCancel_ThenSayCancelled()
    {
        var run = new QueryRun { Sql = "x", Running = true };
        var cancelled = 0;

        var cut = Render<ResultsPane>(p => p.Add(x => x.Run, run).Add(x => x.OnCancel, () => cancelled++));
        cut.FindAll("button").Single(b => b.TextContent == "Cancel").Click();
        run.Running = false;
        run.Cancelled = true;
        run.Elapsed = TimeSpan.FromMilliseconds(340);
        cut.Render();

        Assert.Equal(1, cancelled);
        Assert.Contains("Cancelled after 340 ms", cut.Markup);
    }

    [Fact]
    public void SyncIndicator_IsAStatusNamedSyncLocalOnly()
    {
        var cut = Render<SyncIndicator>();

        var status = cut.Find("[role=status]");
        Assert.Equal("Sync: Local only", status.GetAttribute("aria-label"));
    }

    [Fact]
    public void Dialog_IsNamedByItsHeading_AndEscapeCloses()
    {
        var closed = 0;

        var cut = Render<Dialog>(p => p.Add(x => x.Title, "Save query").Add(x => x.OnClose, () => closed++));
        var dialog = cut.Find("[role=dialog]");
        dialog.KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Escape" });

        Assert.Equal("true", dialog.GetAttribute("aria-modal"));
        Assert.Equal("Save query", cut.Find("#" + dialog.GetAttribute("aria-labelledby")).TextContent);
        Assert.Equal(1, closed);
    }
}
