using System.CommandLine;
using SqlStudio.Server.Data;

namespace SqlStudio.Server;

/// <summary>
/// Commands an operator runs on the server executable instead of starting it:
/// <c>SqlStudio.Server migrate up|down [--to N]|status</c>. They read the same configuration as the server.
/// </summary>
public static class OperatorCommands
{
    private static readonly string[] Names = ["migrate", "integrity-check", "stripe-bootstrap", "billing", "email", "keys", "backup", "beta", "admin"];

    public static bool Handles(string[] args) => args.Length > 0 && Names.Contains(args[0]);

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = new RootCommand("SQL Studio Cloud server. Run with no command to serve; these are operator commands.");
        root.Subcommands.Add(MigrateCommand(output));
        root.Subcommands.Add(IntegrityCommand(output));
        root.Subcommands.Add(EmailCommand(output, error));
        root.Subcommands.Add(KeysCommand(output));
        root.Subcommands.Add(BackupCommand(output, error));
        foreach (var command in Billing.BillingCommands.Create(output, Open).Concat(Beta.BetaCommands.Create(output, error, Open)))
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

    /// <summary>
    /// A command on one account, named by its email: the app opened with the command's own configuration (the tokens
    /// after the email), the address handed to <paramref name="run"/>, its exit code returned.
    /// </summary>
    internal static Command OnAccount(string name, string description, Func<IReadOnlyList<string>, (MigrationRunner Runner, WebApplication App)> open,
        Func<WebApplication, string, CancellationToken, Task<int>> run)
    {
        var email = new Argument<string>("email") { Description = "The account's email." };
        var command = new Command(name, description) { email };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, ct) =>
        {
            var (_, app) = open(result.UnmatchedTokens);
            await using var __ = app;
            return await run(app, result.GetValue(email)!.Trim(), ct);
        });
        return command;
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
                var when = state.AppliedAt is { } at ? StoredTime.Format(at) : "";
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

    /// <summary><c>keys rotate</c>: a new token signing key for every instance; the old one verifies until its tokens expire.</summary>
    private static Command KeysCommand(TextWriter output)
    {
        var rotate = new Command("rotate", "Add a new access-token signing key (every instance signs with it within a minute); the previous key keeps verifying until its tokens expire.");
        rotate.TreatUnmatchedTokensAsErrors = false;
        rotate.SetAction(async (result, ct) =>
        {
            var (_, app) = Open(result.UnmatchedTokens);
            await using var __ = app;
            var kid = await app.Services.GetRequiredService<Auth.SigningKeys>().RotateAsync(ct);
            await output.WriteLineAsync($"New signing key {kid}; the previous one verifies until its tokens expire.");
            return 0;
        });
        var list = new Command("list", "The signing keys that verify now (kid, created, retired).");
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction(async (result, ct) =>
        {
            var (_, app) = Open(result.UnmatchedTokens);
            await using var __ = app;
            var keys = app.Services.GetRequiredService<Auth.SigningKeys>();
            var active = keys.KeyId;
            foreach (var key in keys.Verifying())
            {
                await output.WriteLineAsync($"{key.KeyId}  created {StoredTime.Format(key.CreatedAt)}  {(key.KeyId == active ? "signing" : $"retired {(key.RetiredAt is { } r ? StoredTime.Format(r) : "")}")}");
            }
            return 0;
        });
        return new Command("keys", "The access-token signing key ring.") { rotate, list };
    }

    /// <summary><c>backup --to FILE</c>: an online, consistent copy of the embedded database (the server keeps running).</summary>
    private static Command BackupCommand(TextWriter output, TextWriter error)
    {
        var to = new Option<string>("--to") { Description = "Where to write the copy (a new file).", Required = true };
        var command = new Command("backup", "Copy the embedded database to a new file while the server runs (a consistent snapshot, VACUUM INTO).") { to };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, ct) =>
        {
            var target = Path.GetFullPath(result.GetValue(to)!);
            var (_, app) = Open(result.UnmatchedTokens);
            await using var __ = app;
            if (app.Services.GetRequiredService<IDbProvider>() is not SqliteProvider sqlite)
            {
                await error.WriteLineAsync("backup copies the embedded SQLite file; a libSQL/Turso database is backed up by its server " +
                                           "(point-in-time restore, or `turso db shell DB .dump`): see docs/operations.md.");
                return 2;
            }
            if (File.Exists(target))
            {
                await error.WriteLineAsync($"{target} already exists; backup never overwrites a file. Choose a new name.");
                return 2;
            }
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await sqlite.BackupToAsync(target, ct);
            await output.WriteLineAsync($"Backed up {sqlite.Describe()} to {target} ({new FileInfo(target).Length:N0} bytes, {watch.Elapsed.TotalSeconds:0.0} s). " +
                                        "To restore: stop the server and put this file at Database:Path.");
            return 0;
        });
        return command;
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
