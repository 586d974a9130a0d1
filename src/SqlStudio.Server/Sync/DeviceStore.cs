using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>SQL for devices: registered (again to rename), listed with their last sync, revoked.</summary>
public static class DeviceStore
{
    private const string Columns = "device_id, name, platform, app_version, last_sync_at, last_cursor, created_at, revoked_at";

    public static Task<DeviceInfo> RegisterAsync(Db db, string userId, string deviceId, string name, string? platform, string? appVersion, string now) =>
        db.WriteAsync(async (c, t) =>
        {
            await c.ExecuteAsync(
                """
                INSERT INTO devices (device_id, user_id, name, platform, app_version, created_at)
                VALUES (@deviceId, @userId, @name, @platform, @appVersion, @now)
                ON CONFLICT (user_id, device_id) DO UPDATE SET name = excluded.name, platform = excluded.platform, app_version = excluded.app_version
                """, new { deviceId, userId, name, platform, appVersion, now }, t);
            return await c.QuerySingleAsync<DeviceInfo>($"SELECT {Columns} FROM devices WHERE user_id = @userId AND device_id = @deviceId",
                new { userId, deviceId }, t);
        });

    public static async Task<IReadOnlyList<DeviceInfo>> ListAsync(Db db, string userId) =>
        (await db.ReadAsync(c => c.QueryAsync<DeviceInfo>(
            $"SELECT {Columns} FROM devices WHERE user_id = @userId ORDER BY revoked_at IS NOT NULL, coalesce(last_sync_at, created_at) DESC",
            new { userId }))).ToList();

    public static Task<bool> RevokeAsync(Db db, string userId, string deviceId, string now) =>
        db.WriteAsync(async (c, t) => await c.ExecuteAsync(
            "UPDATE devices SET revoked_at = @now WHERE user_id = @userId AND device_id = @deviceId AND revoked_at IS NULL",
            new { userId, deviceId, now }, t) > 0);

    /// <summary>A device first seen on a push or a pull (named by its id until it introduces itself).</summary>
    public static SqlStatement SeenFirst(string userId, string deviceId, string now) =>
        new("INSERT INTO devices (device_id, user_id, name, created_at) VALUES (@deviceId, @userId, @deviceId, @now) ON CONFLICT DO NOTHING",
            new Dictionary<string, object?> { ["deviceId"] = deviceId, ["userId"] = userId, ["now"] = now });

    /// <summary>Whether the device was removed from the account, read inside a write batch.</summary>
    public static SqlBatch ReadRevoked(SqlBatch batch, string userId, string deviceId, Action<bool> into) =>
        batch.Query<long>("SELECT revoked_at IS NOT NULL FROM devices WHERE user_id = @userId AND device_id = @deviceId", new { userId, deviceId },
            rows => into(rows.FirstOrDefault() == 1));

    /// <summary>The device's last sync and the cursor it has seen.</summary>
    public static SqlStatement Synced(string userId, string deviceId, long cursor, string now) =>
        new("""
            UPDATE devices SET last_sync_at = @now, last_cursor = max(last_cursor, @cursor)
            WHERE user_id = @userId AND device_id = @deviceId AND revoked_at IS NULL
            """,
            new Dictionary<string, object?> { ["now"] = now, ["cursor"] = cursor, ["userId"] = userId, ["deviceId"] = deviceId });
}
