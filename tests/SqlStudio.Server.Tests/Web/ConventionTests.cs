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
}
