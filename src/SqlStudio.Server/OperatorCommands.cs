using System.CommandLine;
using SqlStudio.Server.Data;

namespace SqlStudio.Server;

/// <summary>
/// Commands an operator runs on the server executable instead of starting it:
/// <c>SqlStudio.Server migrate up|down [--to N]|status</c>. They read the same configuration as the server.
/// </summary>
public static class OperatorCommands
{
    private static readonly string[] Names = ["migrate", "integrity-check", "stripe-bootstrap", "billing", "email"];

    public static bool Handles(string[] args) => args.Length > 0 && Names.Contains(args[0]);

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = new RootCommand("SQL Studio Cloud server. Run with no command to serve; these are operator commands.");
        root.Subcommands.Add(MigrateCommand(output));
        root.Subcommands.Add(IntegrityCommand(output));
        root.Subcommands.Add(EmailCommand(output, error));
        foreach (var command in Billing.BillingCommands.Create(output, Open))
        {
            root.Subcommands.Add(command);
        }
        var parsed = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        try
        {
            return await parsed.InvokeAsync(configuration);
        }
        catch (MigrationException ex)
        {
            await error.WriteLineAsync(ex.Message);
            return 1;
        }
    }

    private static Command MigrateCommand(TextWriter output)
    {
        var to = new Option<int?>("--to") { Description = "Target version (up: apply up to and including it; down: keep it, revert the newer ones)." };
        var up = new Command("up", "Apply pending migrations.") { to };
        up.SetAction(async (result, ct) =>
        {
            var (runner, app) = Open(result.UnmatchedTokens);
            await using var _ = app;
            var applied = await runner.UpAsync(result.GetValue(to), ct);
            await output.WriteLineAsync(applied.Count == 0
                ? "Database is up to date; nothing applied."
                : string.Join(Environment.NewLine, applied.Select(m => $"applied {m.Id}")));
            return 0;
        });

        var down = new Command("down", "Revert the newest migration, or every migration newer than --to.") { to };
        down.SetAction(async (result, ct) =>
        {
            var (runner, app) = Open(result.UnmatchedTokens);
            await using var _ = app;
            var reverted = await runner.DownAsync(result.GetValue(to), ct);
            await output.WriteLineAsync(reverted.Count == 0
                ? "Nothing to revert."
                : string.Join(Environment.NewLine, reverted.Select(m => $"reverted {m.Id}")));
            return 0;
        });

        var status = new Command("status", "List migrations and whether each is applied.");
        status.SetAction(async (result, ct) =>
        {
            var (runner, app) = Open(result.UnmatchedTokens);
            await using var __ = app;
            await output.WriteLineAsync($"database: {app.Services.GetRequiredService<IDbProvider>().Describe()}");
            foreach (var state in await runner.StatusAsync(ct))
            {
                var mark = state.Changed ? "CHANGED" : state.Applied ? "applied" : "pending";
                var when = state.AppliedAt is { } at ? Clock.Format(at) : "";
                await output.WriteLineAsync($"{state.Version:D4}_{state.Name,-30} {mark,-8} {when}".TrimEnd());
            }
            return 0;
        });

        foreach (var command in new[] { up, down, status })
        {
            // Options these commands do not know are configuration, as for the server: `--Database:Path=x.db`.
            command.TreatUnmatchedTokensAsErrors = false;
        }
        return new Command("migrate", "Apply, revert or list schema migrations.") { up, down, status };
    }

    private static Command IntegrityCommand(TextWriter output)
    {
        var user = new Option<string?>("--user") { Description = "Check only this account (email)." };
        var command = new Command("integrity-check", "Check foreign keys, orphans, cursor monotonicity and full-text indexes; exit 1 on a problem.") { user };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, ct) =>
        {
            var (_, app) = Open(result.UnmatchedTokens);
            await using var __ = app;
            string? userId = null;
            if (result.GetValue(user) is { } email)
            {
                userId = (await app.Services.GetRequiredService<Auth.AccountStore>().FindByEmailAsync(email))?.UserId;
                if (userId is null)
                {
                    await output.WriteLineAsync($"No account with email {email}.");
                    return 2;
                }
            }
            var findings = await app.Services.GetRequiredService<Sync.IntegrityService>().CheckAsync(userId);
            foreach (var finding in findings)
            {
                await output.WriteLineAsync($"{(finding.Ok ? "ok     " : "PROBLEM")}  {finding.Check}: {finding.Detail}");
            }
            var problems = findings.Count(f => !f.Ok);
            await output.WriteLineAsync(problems == 0 ? "No problems found." : $"{problems} problem(s) found.");
            return problems == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary><c>email failed</c> lists what the outbox gave up on; <c>email retry ID|--all</c> queues it again.</summary>
    private static Command EmailCommand(TextWriter output, TextWriter error)
    {
        var failed = new Command("failed", "List the emails given up on after Email:Outbox:RetryFor, with the last error.");
        failed.SetAction(async (result, ct) =>
        {
            var (_, app) = Open(result.UnmatchedTokens);
            await using var __ = app;
            var messages = await app.Services.GetRequiredService<Email.EmailOutbox>().FailedAsync(ct);
            foreach (var m in messages)
            {
                await output.WriteLineAsync($"{m.MessageId}  {m.CreatedAt}  {m.ToAddress}  \"{m.Subject}\"  {m.Attempts} attempts  {m.LastError}");
            }
            await output.WriteLineAsync(messages.Count == 0 ? "No failed emails." : $"{messages.Count} failed email(s); `email retry ID` or `email retry --all` sends again.");
            return 0;
        });

        var all = new Option<bool>("--all") { Description = "Every failed email." };
        var retry = new Command("retry", "Queue failed emails again (a fresh retry window); the running server sends them. Give the id `email failed` shows, or --all.") { all };
        retry.SetAction(async (result, ct) =>
        {
            // The id is the one token that is not configuration (--Section:Key=value).
            var ids = result.UnmatchedTokens.Where(t => !t.StartsWith("--", StringComparison.Ordinal)).ToList();
            var messageId = ids.FirstOrDefault();
            if (ids.Count > 1 || (messageId is null) == !result.GetValue(all))
            {
                await error.WriteLineAsync("Give one message id (as `email failed` shows it), or --all.");
                return 2;
            }
            var (_, app) = Open([.. result.UnmatchedTokens.Except(ids)]);
            await using var __ = app;
            var queued = await app.Services.GetRequiredService<Email.EmailOutbox>().RetryAsync(messageId, ct);
            if (queued == 0 && messageId is not null)
            {
                await error.WriteLineAsync($"No failed email with id {messageId} (`email failed` lists them).");
                return 3;
            }
            await output.WriteLineAsync($"{queued} email(s) queued again.");
            return 0;
        });
        foreach (var command in new[] { failed, retry })
        {
            command.TreatUnmatchedTokensAsErrors = false;
        }
        return new Command("email", "The email outbox: what failed, and sending it again.") { failed, retry };
    }

    /// <summary>The server's configuration and services without starting it, so nothing auto-migrates.</summary>
    internal static (MigrationRunner Runner, WebApplication App) Open(IReadOnlyList<string> configuration)
    {
        if (configuration.FirstOrDefault(t => !t.StartsWith("--", StringComparison.Ordinal) || !t.Contains('=')) is { } unknown)
        {
            throw new MigrationException($"Unknown argument '{unknown}'. Configuration is given as --Section:Key=value.");
        }
        var app = ServerApp.CreateBuilder([.. configuration]).Build();
        return (app.Services.GetRequiredService<MigrationRunner>(), app);
    }
}
