using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>One finding of an integrity check.</summary>
public sealed record IntegrityFinding(string Check, bool Ok, string Detail);

/// <summary>
/// Per-type counts and checksums a client compares with its own copy, and the operator's consistency check
/// (foreign keys, orphans, cursor monotonicity, full-text indexes).
/// </summary>
public sealed class IntegrityService(Db db)
{
    /// <summary>
    /// For each type: the number of live records, and SHA-256 (hex) over "id:version\n" of those records in ordinal
    /// id order. A client computes the same over its store; equal checksums mean equal copies.
    /// </summary>
    public async Task<IntegrityResponse> SummaryAsync(string userId)
    {
        return await db.ReadAsync(async c =>
        {
            var types = new Dictionary<string, IntegrityType>();
            foreach (var spec in EntityCatalogue.All)
            {
                var rows = (await c.QueryAsync<(string Id, long Version)>(
                    $"SELECT id, version FROM {spec.Table} WHERE user_id = @userId AND deleted_at IS NULL", new { userId })).ToList();
                types[spec.Type] = new IntegrityType(rows.Count, Checksum(rows));
            }
            return new IntegrityResponse(types);
        });
    }

    public static string Checksum(IEnumerable<(string Id, long Version)> rows)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (id, version) in rows.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{id}:{version}\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Checks the whole database, or one user's part of it; every finding, problems first.</summary>
    public async Task<IReadOnlyList<IntegrityFinding>> CheckAsync(string? userId)
    {
        return await db.ReadAsync(async c =>
        {
            var findings = new List<IntegrityFinding>();
            var integrity = (await c.QueryAsync<string>("PRAGMA integrity_check")).ToList();
            findings.Add(new("sqlite integrity_check", integrity is ["ok"], string.Join("; ", integrity.Take(5))));

            var fk = (await c.QueryAsync<(string Table, long RowId, string Parent)>("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")).ToList();
            findings.Add(new("foreign keys", fk.Count == 0,
                fk.Count == 0 ? "every reference resolves" : string.Join("; ", fk.Take(5).Select(f => $"{f.Table} row {f.RowId} -> missing {f.Parent}"))));

            var orphans = await c.ExecuteScalarAsync<long>(
                """
                SELECT count(*) FROM ai_messages m JOIN ai_sessions s ON s.user_id = m.user_id AND s.id = m.session_id
                WHERE m.deleted_at IS NULL AND s.deleted_at IS NOT NULL AND (@userId IS NULL OR m.user_id = @userId)
                """, new { userId });
            findings.Add(new("orphans: live messages of deleted chats", orphans == 0, $"{orphans} found"));

            var strayConflicts = await CountStrayConflictsAsync(c, userId);
            findings.Add(new("orphans: conflicts of unknown records", strayConflicts == 0, $"{strayConflicts} found"));

            var union = string.Join(" UNION ALL ", EntityCatalogue.All.Select(s => $"SELECT user_id, server_seq FROM {s.Table}"));
            var ahead = await c.ExecuteScalarAsync<long>(
                $"SELECT count(*) FROM ({union}) r JOIN users u ON u.user_id = r.user_id WHERE r.server_seq > u.sync_seq AND (@userId IS NULL OR r.user_id = @userId)",
                new { userId });
            findings.Add(new("cursor: no record ahead of its user's sync_seq", ahead == 0, $"{ahead} found"));
            var shared = await c.ExecuteScalarAsync<long>(
                $"SELECT count(*) FROM (SELECT user_id, server_seq FROM ({union}) WHERE @userId IS NULL OR user_id = @userId GROUP BY user_id, server_seq HAVING count(*) > 1)",
                new { userId });
            findings.Add(new("cursor: every server_seq used once per user", shared == 0, $"{shared} duplicates"));

            foreach (var fts in new[] { "saved_queries_fts", "query_history_fts" })
            {
                try
                {
                    await c.ExecuteAsync($"INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)");
                    findings.Add(new($"full-text index {fts}", true, "matches its table"));
                }
                catch (DbException ex)
                {
                    findings.Add(new($"full-text index {fts}", false, ex.Message));
                }
            }
            return findings.OrderBy(f => f.Ok).ToList();
        });
    }

    private static async Task<long> CountStrayConflictsAsync(DbConnection c, string? userId)
    {
        var total = 0L;
        foreach (var spec in EntityCatalogue.All)
        {
            total += await c.ExecuteScalarAsync<long>(
                $"""
                SELECT count(*) FROM sync_conflicts sc WHERE sc.entity_type = @type AND (@userId IS NULL OR sc.user_id = @userId)
                AND NOT EXISTS (SELECT 1 FROM {spec.Table} r WHERE r.user_id = sc.user_id AND r.id = sc.entity_id)
                """, new { type = spec.Type, userId });
        }
        return total;
    }
}
