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
                var rows = await IntegrityStore.LiveVersionsAsync(c, spec, userId);
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
            var integrity = await IntegrityStore.SqliteIntegrityAsync(c);
            findings.Add(new("sqlite integrity_check", integrity is ["ok"], string.Join("; ", integrity.Take(5))));

            var fk = await IntegrityStore.BrokenReferencesAsync(c);
            findings.Add(new("foreign keys", fk.Count == 0,
                fk.Count == 0 ? "every reference resolves" : string.Join("; ", fk.Take(5).Select(f => $"{f.Table} row {f.RowId} -> missing {f.Parent}"))));

            var orphans = await IntegrityStore.LiveMessagesOfDeletedChatsAsync(c, userId);
            findings.Add(new("orphans: live messages of deleted chats", orphans == 0, $"{orphans} found"));

            var strayConflicts = await IntegrityStore.ConflictsOfUnknownRecordsAsync(c, userId);
            findings.Add(new("orphans: conflicts of unknown records", strayConflicts == 0, $"{strayConflicts} found"));

            var ahead = await IntegrityStore.RecordsAheadOfCursorAsync(c, userId);
            findings.Add(new("cursor: no record ahead of its user's sync_seq", ahead == 0, $"{ahead} found"));
            var shared = await IntegrityStore.SharedCursorValuesAsync(c, userId);
            findings.Add(new("cursor: every server_seq used once per user", shared == 0, $"{shared} duplicates"));

            foreach (var fts in IntegrityStore.FullTextIndexes)
            {
                try
                {
                    await IntegrityStore.CheckFullTextAsync(c, fts);
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
}
