using SqlStudio.Contracts;
using SqlStudio.Server.Sync;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>/account/sync's activity: lines folded into the sync runs a person saw.</summary>
public sealed class ActivityRunsTests
{
    private static ActivityInfo Line(string device, string kind, long records, string at, long conflicts = 0, string? error = null) =>
        new(Guid.NewGuid().ToString(), device, kind, records, conflicts, 0, 5, error, at);

    [Fact]
    public void PushesAndPullsOfOneDeviceCloseTogether_AreOneRun_WithTheirTotals()
    {
        var runs = Activity.Runs(
        [
            Line("laptop", "pull", 1200, "2026-11-20T10:01:30.000Z"),
            Line("laptop", "pull", 1000, "2026-11-20T10:01:00.000Z"),
            Line("laptop", "push", 3, "2026-11-20T10:00:00.000Z", conflicts: 1),
        ], TimeSpan.FromMinutes(2));

        var run = Assert.Single(runs);
        Assert.Equal(("laptop", "sync", 3L, 2200L, 1L), (run.DeviceId, run.Kind, run.Sent, run.Received, run.Conflicts));
        Assert.Equal(("2026-11-20T10:00:00.000Z", "2026-11-20T10:01:30.000Z"), (run.Started, run.Ended));
    }

    [Fact]
    public void AnotherDevice_ALongPause_OrAnImport_StartsANewRun()
    {
        var runs = Activity.Runs(
        [
            Line("desktop", "push", 1, "2026-11-20T12:00:00.000Z"),
            Line("laptop", "push", 2, "2026-11-20T11:59:30.000Z"),
            Line("laptop", "push", 4, "2026-11-20T11:50:00.000Z", error: "sync_busy"),
            Line("import", "import", 500, "2026-11-20T11:49:00.000Z"),
            Line("import", "import", 20, "2026-11-20T11:48:30.000Z"),
        ], TimeSpan.FromMinutes(2));

        Assert.Equal(["desktop", "laptop", "laptop", "import", "import"], runs.Select(r => r.DeviceId));
        Assert.Equal(["sync", "sync", "sync", "import", "import"], runs.Select(r => r.Kind));
        Assert.Equal(["sync_busy"], runs[2].Errors);
        Assert.Equal(500, runs[3].Sent);
    }

    [Fact]
    public void NoActivity_NoRuns() => Assert.Empty(Activity.Runs([], TimeSpan.FromMinutes(2)));
}
