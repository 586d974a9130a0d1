using System.Text.Json;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Beta;

/// <summary>
/// The onboarding checklist (<c>GET /api/onboarding</c>, docs/user-guide.md): confirm the email, sign in on a device, sync for the
/// first time, add a connection, learn what happens when the trial ends. Each step is done by the event itself — read
/// from the tables where it happened — or skipped; the trial step is done when the welcome page shows it.
/// </summary>
public sealed class Onboarding(Db db, TimeProvider time)
{
    public static readonly string[] Steps = ["verify_email", "first_device", "first_sync", "first_connection", "trial_explained"];

    /// <summary>Settable properties, not a positional record: a NULL column has no type for Dapper to match a constructor by.</summary>
    private sealed class Happened
    {
        public string? VerifiedAt { get; set; }
        public string? FirstDevice { get; set; }
        public string? FirstSync { get; set; }
        public string? FirstConnection { get; set; }
        public string? Subscribed { get; set; }
    }

    private sealed record Recorded(string Step, string DoneAt, long Skipped);

    public async Task<OnboardingResponse> StateAsync(string userId, CancellationToken ct = default)
    {
        Happened? happened = null;
        var recorded = new List<Recorded>();
        await db.ReadBatchAsync(new SqlBatch()
            .Query<Happened>(
                BetaStore.OnboardingSignals, new { userId }, rows => happened = rows.SingleOrDefault())
            .Query<Recorded>(BetaStore.OnboardingSteps, new { userId },
                rows => recorded = rows), ct);
        var byEvent = new Dictionary<string, string?>
        {
            ["verify_email"] = happened?.VerifiedAt,
            ["first_device"] = happened?.FirstDevice,
            ["first_sync"] = happened?.FirstSync,
            ["first_connection"] = happened?.FirstConnection,
            // Starting a subscription (trial included) went through the page that explains the trial.
            ["trial_explained"] = happened?.Subscribed,
        };
        var steps = Steps.Select(id =>
        {
            var record = recorded.FirstOrDefault(r => r.Step == id);
            return byEvent[id] is { } at
                ? new OnboardingStep(id, true, at, false)
                : record is not null ? new OnboardingStep(id, true, record.DoneAt, record.Skipped == 1) : new OnboardingStep(id, false, null, false);
        }).ToList();
        return new OnboardingResponse(steps.All(s => s.Done), steps);
    }

    /// <summary>Marks a step skipped (or, for the trial step, seen); false for an unknown step.</summary>
    public async Task<bool> MarkAsync(string userId, string step, bool skipped, CancellationToken ct = default)
    {
        if (!Steps.Contains(step))
        {
            return false;
        }
        await db.WriteBatchAsync(new SqlBatch().Execute(
            BetaStore.OnboardingStepDone, new { userId, step, now = StoredTime.Format(time.GetUtcNow()), skipped = skipped ? 1 : 0 }), ct);
        return true;
    }
}

/// <summary>"What's new": entries kept in the repository (<c>whats-new.json</c> beside the binary), newest first.</summary>
public sealed class WhatsNew
{
    private readonly IReadOnlyList<WhatsNewEntry> _entries;

    public WhatsNew(IHostEnvironment environment)
    {
        var path = Path.Combine(environment.ContentRootPath, "whats-new.json");
        var entries = File.Exists(path)
            ? JsonSerializer.Deserialize<List<WhatsNewEntry>>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true }) ?? []
            : [];
        _entries = entries.OrderByDescending(e => Version.Parse(e.Version)).ToList();
    }

    public IReadOnlyList<WhatsNewEntry> All => _entries;

    /// <summary>Entries newer than <paramref name="since"/> (all of them when it is empty or not a version).</summary>
    public IReadOnlyList<WhatsNewEntry> Since(string? since) =>
        Version.TryParse(since, out var seen) ? _entries.Where(e => Version.Parse(e.Version) > seen).ToList() : _entries;
}
