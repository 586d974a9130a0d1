using System.Data.Common;
using Dapper;

namespace SqlStudio.Server.Data;

/// <summary>Where one migration stands in a database.</summary>
public sealed record MigrationState(int Version, string Name, bool Applied, DateTimeOffset? AppliedAt, bool Changed);

/// <summary>A migration problem that must stop the server rather than run on a schema it does not know.</summary>
public sealed class MigrationException(string message) : Exception(message);

/// <summary>
/// Applies and reverts the numbered migrations, each in its own write transaction, recording every applied
/// one with its checksum in <c>schema_migrations</c>.
/// </summary>
public sealed class MigrationRunner(Db db, IReadOnlyList<Migration> migrations, TimeProvider time)
{
    private const string CreateTracking = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER NOT NULL PRIMARY KEY,
            name       TEXT    NOT NULL,
            checksum   TEXT    NOT NULL,
            applied_at TEXT    NOT NULL
        );
        """;

    private sealed record AppliedRow(long Version, string Name, string Checksum, string AppliedAt);

    private bool _trackingReady;

    public IReadOnlyList<Migration> Migrations => migrations;

    public async Task<IReadOnlyList<MigrationState>> StatusAsync(CancellationToken cancellationToken = default)
    {
        var applied = await ReadAppliedAsync(cancellationToken);
        var states = migrations.Select(m => applied.TryGetValue(m.Version, out var row)
                ? new MigrationState(m.Version, m.Name, true, StoredTime.Parse(row.AppliedAt), row.Checksum != m.Checksum)
                : new MigrationState(m.Version, m.Name, false, null, false))
            .ToList();
        // Versions in the database this build does not know (a newer server ran here) are reported too.
        states.AddRange(applied.Values.Where(r => migrations.All(m => m.Version != r.Version))
            .Select(r => new MigrationState((int)r.Version, r.Name, true, StoredTime.Parse(r.AppliedAt), true)));
        return states.OrderBy(s => s.Version).ToList();
    }

    /// <summary>Throws <see cref="MigrationException"/> when an applied migration differs from this build's file.</summary>
    public async Task VerifyAsync(CancellationToken cancellationToken = default)
    {
        var changed = (await StatusAsync(cancellationToken)).Where(s => s.Changed).ToList();
        if (changed.Count == 0)
        {
            return;
        }
        var names = string.Join(", ", changed.Select(s => $"{s.Version:D4}_{s.Name}"));
        throw new MigrationException(
            $"Refusing to start: applied migration(s) {names} no longer match this build's migration files " +
            "(checksum differs, or the file is missing). An applied migration must never be edited: restore the " +
            "original file and put the change in a new migration. `migrate status` shows the details.");
    }

    /// <summary>Applies every pending migration up to <paramref name="target"/> (all when null), in order.</summary>
    public async Task<IReadOnlyList<Migration>> UpAsync(int? target = null, CancellationToken cancellationToken = default)
    {
        await VerifyAsync(cancellationToken);
        var applied = await ReadAppliedAsync(cancellationToken);
        var pending = migrations
            .Where(m => !applied.ContainsKey(m.Version) && (target is null || m.Version <= target))
            .ToList();
        foreach (var migration in pending)
        {
            await db.WriteAsync(async (connection, transaction) =>
            {
                await ExecuteScriptAsync(connection, transaction, migration.UpSql, migration, cancellationToken);
                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@Version, @Name, @Checksum, @AppliedAt)",
                    new { migration.Version, migration.Name, migration.Checksum, AppliedAt = StoredTime.Format(time.GetUtcNow()) },
                    transaction);
            }, cancellationToken);
        }
        return pending;
    }

    /// <summary>
    /// Reverts applied migrations newest first: down to (and keeping) version <paramref name="target"/>, or only
    /// the newest one when no target is given. <c>--to 0</c> reverts everything.
    /// </summary>
    public async Task<IReadOnlyList<Migration>> DownAsync(int? target = null, CancellationToken cancellationToken = default)
    {
        await VerifyAsync(cancellationToken);
        var applied = await ReadAppliedAsync(cancellationToken);
        var toRevert = migrations.Where(m => applied.ContainsKey(m.Version)).OrderByDescending(m => m.Version).ToList();
        toRevert = target is null ? toRevert.Take(1).ToList() : toRevert.Where(m => m.Version > target).ToList();
        foreach (var migration in toRevert)
        {
            await db.WriteAsync(async (connection, transaction) =>
            {
                await ExecuteScriptAsync(connection, transaction, migration.DownSql, migration, cancellationToken);
                await connection.ExecuteAsync("DELETE FROM schema_migrations WHERE version = @Version",
                    new { migration.Version }, transaction);
            }, cancellationToken);
        }
        return toRevert;
    }

    public async Task<int> PendingCountAsync(CancellationToken cancellationToken = default)
    {
        var applied = await ReadAppliedAsync(cancellationToken);
        return migrations.Count(m => !applied.ContainsKey(m.Version));
    }

    private async Task<Dictionary<long, AppliedRow>> ReadAppliedAsync(CancellationToken cancellationToken)
    {
        if (!_trackingReady)
        {
            await db.WriteAsync((connection, transaction) => connection.ExecuteAsync(CreateTracking, transaction: transaction), cancellationToken);
            _trackingReady = true;
        }
        var rows = await db.ReadAsync(c => c.QueryAsync<AppliedRow>(
            "SELECT version AS Version, name AS Name, checksum AS Checksum, applied_at AS AppliedAt FROM schema_migrations ORDER BY version"),
            cancellationToken);
        return rows.ToDictionary(r => r.Version);
    }

    private static async Task ExecuteScriptAsync(
        DbConnection connection, DbTransaction transaction, string sql, Migration migration, CancellationToken cancellationToken)
    {
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, transaction: transaction, cancellationToken: cancellationToken));
        }
        catch (DbException ex)
        {
            throw new MigrationException($"Migration {migration.Id} failed and was rolled back: {ex.Message}");
        }
    }
}
