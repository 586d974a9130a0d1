using System.CommandLine;
using System.Globalization;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Beta;

/// <summary>
/// Operator commands (docs/operations.md): <c>beta invite --email E… | --from-waitlist N</c>, <c>beta codes create
/// --uses N [--expires D] [--email E]</c>, <c>beta report</c>, and <c>admin grant|revoke EMAIL</c>.
/// </summary>
public static class BetaCommands
{
    public static IEnumerable<Command> Create(TextWriter output, TextWriter error, Func<IReadOnlyList<string>, (MigrationRunner Runner, WebApplication App)> open)
    {
        yield return BetaCommand(output, error, open);
        yield return AdminCommand(output, error, open);
    }

    private static Command BetaCommand(TextWriter output, TextWriter error, Func<IReadOnlyList<string>, (MigrationRunner Runner, WebApplication App)> open)
    {
        // One address per --email (repeat it): a list after one --email would swallow the --Section:Key=value configuration.
        var emails = new Option<string[]>("--email") { Description = "Invite this address (repeat --email for more)." };
        var fromWaitlist = new Option<int?>("--from-waitlist") { Description = "Invite the N people who confirmed their waitlist place first." };
        var invite = new Command("invite", "Email single-use invites bound to each address (valid Beta:InviteLifetime).") { emails, fromWaitlist };
        invite.SetAction(async (result, ct) =>
        {
            var addresses = (result.GetValue(emails) ?? []).Select(Auth.EmailAddresses.Normalize).ToArray();
            var count = result.GetValue(fromWaitlist);
            if ((addresses.Length > 0) == count.HasValue || count is <= 0)
            {
                await error.WriteLineAsync("Give --email ADDRESS (one or more) or --from-waitlist N (N ≥ 1), not both.");
                return 2;
            }
            if (addresses.FirstOrDefault(a => Accounts.EmailProblem(a.Trim()) is not null) is { } bad)
            {
                await error.WriteLineAsync($"'{bad}' is not an email address.");
                return 2;
            }
            var (_, app) = open(result.UnmatchedTokens);
            await using var __ = app;
            var invites = app.Services.GetRequiredService<Invites>();
            var (invited, users) = count is { } n
                ? await invites.InviteFromWaitlistAsync(n, ct)
                : await invites.InviteAsync(addresses, "email", ct);
            foreach (var address in invited)
            {
                await output.WriteLineAsync($"invited {address}");
            }
            foreach (var address in users)
            {
                await output.WriteLineAsync($"skipped {address}: already has an account");
            }
            await output.WriteLineAsync($"{invited.Count} invite(s) queued; the running server sends them.");
            return 0;
        });

        var uses = new Option<int>("--uses") { Description = "How many registrations the code allows.", DefaultValueFactory = _ => 1 };
        var expires = new Option<string?>("--expires") { Description = "Expiry: a date (2026-12-31) or a duration in days (30d)." };
        var bound = new Option<string?>("--email") { Description = "Only this address may use the code." };
        var create = new Command("create", "Create an invite code and print it (only its hash is stored).") { uses, expires, bound };
        create.SetAction(async (result, ct) =>
        {
            var (_, app) = open(result.UnmatchedTokens);
            await using var __ = app;
            var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            DateTimeOffset? until = null;
            if (result.GetValue(expires) is { } text)
            {
                if (text.EndsWith('d') && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days > 0)
                {
                    until = now.AddDays(days);
                }
                else if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) && date > now)
                {
                    until = date;
                }
                else
                {
                    await error.WriteLineAsync($"--expires '{text}' is neither a future date (2026-12-31) nor a number of days (30d).");
                    return 2;
                }
            }
            var count = result.GetValue(uses);
            if (count is < 1 or > 100_000)
            {
                await error.WriteLineAsync("--uses must be between 1 and 100000.");
                return 2;
            }
            var email = result.GetValue(bound)?.Trim();
            if (email is not null && Accounts.EmailProblem(email) is not null)
            {
                await error.WriteLineAsync($"'{email}' is not an email address.");
                return 2;
            }
            var code = await app.Services.GetRequiredService<Invites>().CreateCodeAsync(count, until, email, "operator", ct);
            await output.WriteLineAsync(code);
            await output.WriteLineAsync($"{count} use(s){(until is { } u ? $", until {StoredTime.Format(u)}" : "")}{(email is null ? "" : $", for {email} only")}. " +
                                        "Share the code or the link: " + app.Services.GetRequiredService<AppOptions>().Link($"/register?invite={code}"));
            return 0;
        });
        var codes = new Command("codes", "Invite codes.") { create };

        var report = new Command("report", "The launch figures against the plan's targets.");
        report.SetAction(async (result, ct) =>
        {
            var (_, app) = open(result.UnmatchedTokens);
            await using var __ = app;
            var figures = await app.Services.GetRequiredService<LaunchFigures>().ReportAsync(ct);
            foreach (var (name, figure) in Rows(figures))
            {
                var rate = figure.Rate is { } r ? $" ({r * 100:F0} %)" : "";
                var target = figure.Target.Length == 0 ? "" : $"  target {figure.Target}: {(figure.Met ? "met" : "not yet")}";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{name,-22}{figure.Count,8:0.##}{rate}{target}"));
            }
            return 0;
        });

        foreach (var command in new[] { invite, create, report })
        {
            command.TreatUnmatchedTokensAsErrors = false;
        }
        return new Command("beta", "The beta: invites, invite codes, launch figures.") { invite, codes, report };
    }

    /// <summary>The report's rows, in the order the plan lists them.</summary>
    public static IEnumerable<(string Name, LaunchFigure Figure)> Rows(LaunchReport r) =>
    [
        ("signups", r.Signups), ("verified", r.Verified), ("onboarding completed", r.OnboardingCompleted), ("sync enabled", r.SyncEnabled),
        ("trialing", r.Trialing), ("paying", r.Paying), ("trial → paid", r.Conversion), ("satisfaction (of 5)", r.Satisfaction),
    ];

    private static Command AdminCommand(TextWriter output, TextWriter error, Func<IReadOnlyList<string>, (MigrationRunner Runner, WebApplication App)> open)
    {
        Command Role(string name, string role, string description) =>
            OperatorCommands.OnAccount(name, description, open, async (app, address, ct) =>
            {
                var db = app.Services.GetRequiredService<Db>();
                var changed = 0;
                var now = StoredTime.Format(app.Services.GetRequiredService<TimeProvider>().GetUtcNow());
                await db.WriteBatchAsync(new SqlBatch()
                    .Query<string>(BetaStore.SetRole,
                        new { role, now, address }, rows => changed = rows.Count)
                    .Execute(
                        BetaStore.AuditRoleChange, new { id = Guid.CreateVersion7().ToString(), @event = role == "admin" ? "admin_granted" : "admin_revoked", now, address }), ct);
                if (changed == 0)
                {
                    await error.WriteLineAsync($"No account with email {address}.");
                    return 3;
                }
                await output.WriteLineAsync(role == "admin" ? $"{address} is an admin: /admin and the admin API are open to them." : $"{address} is no longer an admin.");
                return 0;
            });
        return new Command("admin", "Who may open the admin view.")
        {
            Role("grant", "admin", "Make an account an admin."),
            Role("revoke", "user", "Take the admin role away."),
        };
    }
}
