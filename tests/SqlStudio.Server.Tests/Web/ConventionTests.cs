using System.Text.RegularExpressions;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Web;

/// <summary>Conventions the code keeps (issue #16), checked over the sources so they stay kept.</summary>
public sealed class ConventionTests
{
    [Fact]
    public void NoWallClockReads_InSrc_TimeGoesThroughTimeProvider()
    {
        var offenders = Directory.EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(Repository.Root, f), Line: i + 1, Text: line)))
            .Where(l => Regex.IsMatch(l.Text, @"\bDateTime(Offset)?\.(UtcNow|Now)\b"))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.True(offenders.Count == 0, "Read the clock through TimeProvider:\n" + string.Join("\n", offenders));
    }

    private static IEnumerable<string> ServerSources(string pattern) =>
        Directory.EnumerateFiles(Path.Combine(Repository.Root, "src", "SqlStudio.Server"), pattern, SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Path.Combine(Repository.Root, "src", "SqlStudio.Server"), f).Replace('\\', '/'));

    private static readonly Regex Sql = new(@"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM)\b|\bUPDATE\s+[a-z_]+\s+SET\b", RegexOptions.Singleline);

    private static bool HoldsSql(string relative) => Sql.IsMatch(File.ReadAllText(Path.Combine(Repository.Root, "src", "SqlStudio.Server", relative)));

    [Fact]
    public void NoRazorComponent_TouchesTheDatabase()
    {
        var offenders = ServerSources("*.razor")
            .Where(f => Regex.IsMatch(File.ReadAllText(Path.Combine(Repository.Root, "src", "SqlStudio.Server", f)), @"@inject\s+\S*\bDb\b|@using\s+Dapper|\bDapper\.") || HoldsSql(f))
            .ToList();

        Assert.True(offenders.Count == 0, "A page reads through its feature's service or store, never Db or SQL:\n" + string.Join("\n", offenders));
    }

    /// <summary>
    /// Files that still hold SQL outside a store (issue #24 moves them; the list only shrinks). A file on it that no
    /// longer holds SQL fails this test too, so it is struck off when it moves.
    /// </summary>
    private static readonly string[] SqlNotYetInAStore =
    [
        "Account/AccountData.cs", "Auth/Accounts.cs", "Auth/DatabaseKeyRepository.cs", "Auth/SessionTokens.cs", "Auth/SessionValidator.cs",
        "Auth/SigningKeys.cs", "Beta/BetaCommands.cs", "Beta/FeedbackService.cs", "Beta/Invites.cs", "Beta/LaunchFigures.cs", "Beta/Onboarding.cs",
        "Beta/SupportTools.cs", "Beta/Waitlist.cs", "Billing/BillingMetrics.cs", "Billing/BillingService.cs", "Billing/TierService.cs",
        "Email/EmailOutbox.cs", "Sync/PullService.cs", "Sync/PushPlan.cs", "Sync/TombstonePurger.cs",
    ];

    [Fact]
    public void Sql_LivesInStores_TheMigrations_OrTheDataLayer()
    {
        var holding = ServerSources("*.cs").Where(HoldsSql).ToList();
        var strays = holding
            .Where(f => !f.EndsWith("Store.cs", StringComparison.Ordinal) && !f.StartsWith("Data/", StringComparison.Ordinal) && !SqlNotYetInAStore.Contains(f))
            .ToList();
        var moved = SqlNotYetInAStore.Where(f => !holding.Contains(f)).ToList();

        Assert.True(strays.Count == 0, "SQL belongs in the feature's XxxStore (or Data/):\n" + string.Join("\n", strays));
        Assert.True(moved.Count == 0, "No SQL left here: strike it off SqlNotYetInAStore:\n" + string.Join("\n", moved));
    }
}
