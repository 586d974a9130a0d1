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

    [Fact]
    public void Sql_LivesInStores_TheMigrations_OrTheDataLayer()
    {
        var holding = ServerSources("*.cs").Where(HoldsSql).ToList();
        var strays = holding
            .Where(f => !f.EndsWith("Store.cs", StringComparison.Ordinal) && !f.StartsWith("Data/", StringComparison.Ordinal))
            .ToList();

        Assert.True(strays.Count == 0, "SQL belongs in the feature's XxxStore (or Data/):\n" + string.Join("\n", strays));
        // The check itself sees SQL where it is: the stores hold some.
        Assert.Contains("Sync/SyncStore.cs", holding);
    }

    /// <summary>A code given where a failure or a refused record is made: a quoted literal instead of a Contracts constant.</summary>
    private static readonly Regex LiteralCode = new(@"(new( Failure)?\((StatusCodes\.\w+|[0-9]{3}), |RecordError\(|Reject(ed)?\([^,()]+, |ImportError\([^,()]+, [^,()]+, )""[a-z_]+""");

    [Fact]
    public void ErrorCodes_ComeFromContracts_EachOnce()
    {
        var literals = ServerSources("*.cs")
            .SelectMany(f => File.ReadLines(Path.Combine(Repository.Root, "src", "SqlStudio.Server", f)).Select((line, i) => (f, i + 1, line)))
            .Where(l => LiteralCode.IsMatch(l.line))
            .Select(l => $"{l.f}:{l.Item2}: {l.line.Trim()}")
            .ToList();
        // Every code the server, the SDK and the CLI share is one constant of SqlStudio.Contracts, and no two constants
        // spell the same code.
        var constants = typeof(SqlStudio.Contracts.ErrorCodes).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("ErrorCodes", StringComparison.Ordinal))
            .SelectMany(t => t.GetFields().Where(f => f.IsLiteral).Select(f => (Name: $"{t.Name}.{f.Name}", Value: (string)f.GetRawConstantValue()!)))
            .ToList();
        var doubled = constants.GroupBy(c => c.Value).Where(g => g.Count() > 1).Select(g => string.Join(" = ", g.Select(c => c.Name))).ToList();

        Assert.True(literals.Count == 0, "Give the code as a constant of SqlStudio.Contracts (ErrorCodes, AuthErrorCodes, SyncErrorCodes, MutationErrorCodes...):\n" + string.Join("\n", literals));
        Assert.True(doubled.Count == 0, "One constant per code:\n" + string.Join("\n", doubled));
        Assert.Contains(constants, c => c.Value == "missing_parent");
    }

    private static readonly string[] Features = ["Account", "Auth", "Beta", "Billing", "Bus", "Data", "Email", "Observability", "Sync"];

    /// <summary>
    /// The arrows point one way: features use the kernel (Kernel/: Failure and Outcome, settings, text rules, the
    /// route refusals, the form parts); the shell (Web/: the app, its layout and own pages, error handling, OpenAPI)
    /// uses the features; neither a feature nor the kernel uses the shell, and the kernel uses no feature.
    /// </summary>
    [Fact]
    public void Layers_FeaturesAndTheKernel_NeverUseTheShell_TheKernelNoFeature()
    {
        var sources = ServerSources("*.cs").Concat(ServerSources("*.razor")).ToList();
        string Text(string f) => File.ReadAllText(Path.Combine(Repository.Root, "src", "SqlStudio.Server", f));
        var shellUsers = sources
            .Where(f => Features.Concat(["Kernel"]).Any(folder => f.StartsWith(folder + "/", StringComparison.Ordinal)))
            .Where(f => Regex.IsMatch(Text(f), @"\bSqlStudio\.Server\.Web\b"))
            .ToList();
        var featureUsers = sources
            .Where(f => f.StartsWith("Kernel/", StringComparison.Ordinal))
            .Where(f => Regex.IsMatch(Text(f), @"\bSqlStudio\.Server\.(" + string.Join("|", Features) + @")\b"))
            .ToList();

        Assert.True(shellUsers.Count == 0, "A feature or the kernel uses the shell (Web/):\n" + string.Join("\n", shellUsers));
        Assert.True(featureUsers.Count == 0, "The kernel uses a feature:\n" + string.Join("\n", featureUsers));
        Assert.Contains("Kernel/Outcome.cs", sources);
    }
}
