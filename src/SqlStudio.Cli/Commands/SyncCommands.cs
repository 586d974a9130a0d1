using System.CommandLine;
using Spectre.Console;
using SqlStudio.Contracts;
using SqlStudio.Sync;

namespace SqlStudio.Cli.Commands;

/// <summary>sync now/status/watch, conflicts, import.</summary>
public static class SyncCommands
{
    /// <summary>After a sync that met conflicts: what needs a decision, and the two commands that make it (#22 §6).</summary>
    private static async Task ConflictHintAsync(CliContext cli, int conflicts)
    {
        if (conflicts > 0)
        {
            await cli.Output.WriteLineAsync(
                $"{(conflicts == 1 ? "1 conflict needs" : $"{conflicts} conflicts need")} a decision (the newer edit was kept for now): " +
                "`sqlstudio conflicts list` shows both sides; `sqlstudio conflicts resolve ID --keep mine|theirs` settles one.");
        }
    }

    /// <summary>A record type as a person says it.</summary>
    private static string Noun(string type) => type switch
    {
        "connections" => "connections",
        "query_tabs" => "query tabs",
        "query_history" => "history",
        "saved_queries" => "saved queries",
        "ai_sessions" => "AI chats",
        "ai_messages" => "AI messages",
        "ui_preferences" => "preferences",
        _ => type,
    };

    /// <summary>One record of a type as a person says it.</summary>
    private static string OneOf(string type) => type switch
    {
        "connections" => "connection",
        "query_tabs" => "query tab",
        "query_history" => "history entry",
        "saved_queries" => "saved query",
        "ai_sessions" => "AI chat",
        "ai_messages" => "AI message",
        "ui_preferences" => "preference",
        _ => type,
    };

    public static IEnumerable<Command> Create(CliContext cli)
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var sync = new Command("sync", "Send this device's changes and fetch the others'.");

        var batch = new Option<int?>("--batch-size") { Description = "Mutations per push request (default 500).", Hidden = true };
        var now = new Command("now", "Push everything waiting and pull everything new; exit 0 only when both finished.") { batch };
        now.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result, result.GetValue(batch) is { } size ? new SyncClientOptions { PushBatchSize = size } : null);
            var outcome = await cli.WithProgressAsync(["push", "pull"], progress => profile.Manager.SyncNowAsync(progress, ct));
            var left = await profile.Store.PendingCountAsync();
            await cli.Output.WriteLineAsync($"Pushed {outcome.Pushed}, pulled {outcome.Pulled}, conflicts {outcome.Conflicts}, rejected {outcome.Rejected.Count}, pending {left}.");
            await ConflictHintAsync(cli, outcome.Conflicts);
            foreach (var rejected in outcome.Rejected)
            {
                await cli.Error.WriteLineAsync($"rejected {rejected.MutationId}: {rejected.Error?.Code} {rejected.Error?.Message}");
            }
            return outcome.Rejected.Count == 0 && left == 0 ? 0 : 1;
        }));
        sync.Subcommands.Add(now);

        var status = new Command("status", "This device's sync state: {state, pending, last_synced_at, last_error, paused}.") { json };
        status.SetAction((result, _) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var report = await profile.Manager.ReadStatusAsync(signedIn: await profile.Auth.CurrentAsync() is not null);
            // The last attempt's outcome, as the worker or `sync now` left it: offline and error say why.
            var state = report.State switch
            {
                SyncState.SignedOut => "signed_out",
                SyncState.Paused => "paused",
                SyncState.Offline => "offline",
                SyncState.Error => "error",
                _ => report.Pending > 0 ? "pending" : "idle",
            };
            var lastError = report.LastError is null ? null : $"{state}: {report.LastError}";
            if (result.GetValue(json))
            {
                // The figures the SDK's meter (SqlStudio.Sync.Client) reports, as this device last left them.
                return await cli.JsonAsync(new
                {
                    state, pending = report.Pending, last_synced_at = report.LastSyncedAt, last_error = lastError, paused = report.Paused,
                    server = profile.Manager.Server.ToString(),
                    metrics = new { outbox_size = report.Pending, last_sync_ms = report.LastRoundMs, conflicts = report.Conflicts },
                });
            }
            await cli.Output.WriteLineAsync($"{state} · {report.Pending} change(s) waiting · last synced {cli.When(report.LastSyncedAt)} · {profile.Manager.Server}" +
                                            (report.LastError is null ? "" : $" · last error: {report.LastError}"));
            return 0;
        }));
        sync.Subcommands.Add(status);

        var pause = new Command("pause", "Stop syncing on this device (changes keep queuing) until `sync resume`.");
        pause.SetAction((result, _) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            await profile.Manager.PauseAsync();
            await cli.Output.WriteLineAsync("Paused. Changes made on this device wait until `sqlstudio sync resume`.");
            return 0;
        }));
        sync.Subcommands.Add(pause);

        var resume = new Command("resume", "Sync again after `sync pause`.");
        resume.SetAction((result, _) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            await profile.Manager.ResumeAsync();
            await cli.Output.WriteLineAsync("Resumed.");
            return 0;
        }));
        sync.Subcommands.Add(resume);

        var retry = new Command("retry", "Try again now after an error: push everything waiting and pull everything new.");
        retry.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            if (profile.Manager.IsPaused || await profile.Store.GetMetaAsync(SyncManager.PausedKey) == "1")
            {
                await cli.Error.WriteLineAsync("Sync is paused on this device: `sqlstudio sync resume` first.");
                return 1;
            }
            var outcome = await cli.WithProgressAsync(["push", "pull"], progress => profile.Manager.SyncNowAsync(progress, ct));
            await cli.Output.WriteLineAsync($"Pushed {outcome.Pushed}, pulled {outcome.Pulled}, conflicts {outcome.Conflicts}, rejected {outcome.Rejected.Count}.");
            await ConflictHintAsync(cli, outcome.Conflicts);
            return outcome.Rejected.Count == 0 ? 0 : 1;
        }));
        sync.Subcommands.Add(retry);

        var watch = new Command("watch", "Run the background sync worker in the foreground until Ctrl+C.");
        watch.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            string Now() => cli.Time.GetLocalNow().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            profile.Manager.StatusChanged += (_, s) =>
                cli.Output.WriteLine($"{Now()} {s.State.ToString().ToLowerInvariant()} · {s.Pending} waiting" +
                                     $"{(s.Realtime is null ? "" : " · " + s.Realtime)}{(s.LastError is null ? "" : " · " + s.LastError)}");
            // What arrived and what needs a decision, as it happens (#22 §6).
            profile.Manager.ChangesPulled += (_, pulled) =>
                cli.Output.WriteLine($"{Now()} received {(pulled.Count == 1 ? "1 change" : $"{pulled.Count} changes")} " +
                                     $"({string.Join(", ", pulled.Types.Order().Select(Noun))})");
            profile.Manager.ConflictDetected += (_, conflict) =>
                cli.Output.WriteLine($"{Now()} conflict on the {OneOf(conflict.EntityType)}{(conflict.Title is { } title ? $" “{title}”" : "")}: " +
                                     $"{(conflict.Status == "conflict_won" ? "this device's edit" : "the other device's edit")} is kept for now · " +
                                     $"sqlstudio conflicts resolve {conflict.ConflictId} --keep mine|theirs");
            profile.Manager.Start();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            return 0;
        }));
        sync.Subcommands.Add(watch);
        yield return sync;

        var conflicts = new Command("conflicts", "Edits of the same field on two devices, and which one was kept.");
        var list = new Command("list", "List unresolved conflicts.") { json };
        list.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var rows = await profile.Manager.ConflictsAsync(ct: ct);
            if (result.GetValue(json))
            {
                return await cli.JsonAsync(rows);
            }
            // Sides named from this device: "mine" is what was edited here, "theirs" what the other device wrote, and
            // that device by the name the account lists it under (#22 §4).
            var device = await profile.Manager.DeviceIdAsync();
            Dictionary<string, string> names = rows.Count == 0 ? [] : (await profile.Api.SendAsync<List<DeviceInfo>>(profile.Manager.Server, HttpMethod.Get, "/api/sync/devices", null, ct))
                .ToDictionary(d => d.DeviceId, d => d.Name);
            string Name(string? id) => id is null ? "-" : id == "web" ? "the web" : names.GetValueOrDefault(id) is { Length: > 0 } name ? name : id;
            await cli.WriteTableAsync(["id", "record", "fields", "mine", "theirs", "from", "kept"], rows.Select(c =>
            {
                var localIsMine = c.LocalDeviceId == device || c.RemoteDeviceId != device;
                var (mine, theirs, other) = localIsMine ? (c.Local, c.Remote, c.RemoteDeviceId) : (c.Remote, c.Local, c.LocalDeviceId);
                var kept = c.Winner == "local" == localIsMine ? "mine" : "theirs";
                return new[]
                {
                    c.ConflictId, c.Title is { } title ? $"{c.EntityType} “{title}”" : $"{c.EntityType}/{c.EntityId}", string.Join(",", c.Fields),
                    mine.ToJsonString(CliContext.Json), theirs.ToJsonString(CliContext.Json), Name(other), kept,
                };
            }));
            return 0;
        }));
        var id = new Argument<string>("id") { Description = "Conflict id (from conflicts list)." };
        var keep = new Option<string>("--keep") { Description = "mine (this device's version) or theirs (the other device's).", Required = true };
        var resolve = new Command("resolve", "Keep one side; every device gets it on its next sync.") { id, keep };
        resolve.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var choice = result.GetValue(keep)!;
            if (choice is "local" or "remote")
            {
                throw new ArgumentException($"--keep {choice} is no longer used: say --keep mine (this device's version) or --keep theirs (the other device's).");
            }
            await profile.Manager.ResolveKeepingAsync(result.GetValue(id)!, choice, ct);
            await cli.Output.WriteLineAsync(choice == "mine" ? "Resolved: this device's version is kept everywhere." : "Resolved: the other device's version is kept everywhere.");
            return 0;
        }));
        conflicts.Subcommands.Add(list);
        conflicts.Subcommands.Add(resolve);
        yield return conflicts;

        var file = new Argument<string>("file") { Description = "A SQL Studio export (docs/import-format.md)." };
        var update = new Option<bool>("--update") { Description = "Overwrite records that already exist (default: skip them)." };
        var import = new Command("import", "Import a local SQL Studio export into your account, in batches of 50.") { file, update };
        import.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var report = await cli.WithProgressAsync(["import"], progress =>
                profile.Manager.ImportAsync(result.GetValue(file)!, result.GetValue(update) ? "update" : "skip", progress, ct));
            await cli.Output.WriteLineAsync($"Import {report.ImportId}: {report.Inserted} added, {report.Updated} updated, {report.Skipped} skipped, {report.Errors.Count} error(s).");
            foreach (var e in report.Errors)
            {
                await cli.Error.WriteLineAsync($"{e.EntityType}/{e.Id}: {e.Code} {e.Message}");
            }
            await cli.Output.WriteLineAsync($"Undo with: sqlstudio import undo {report.ImportId}");
            return 0;
        }));
        var importId = new Argument<string>("id") { Description = "The import id printed by `sqlstudio import`." };
        var undo = new Command("undo", "Undo an import: what it added is deleted, what it changed is restored.") { importId };
        undo.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var undone = await profile.Manager.UndoImportAsync(result.GetValue(importId)!, ct);
            await cli.Output.WriteLineAsync($"Undone: {undone.Removed} removed, {undone.Restored} restored.");
            return 0;
        }));
        import.Subcommands.Add(undo);
        yield return import;
    }
}
