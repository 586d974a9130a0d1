using System.Data.Common;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>The devices of a user: registered, listed with their last sync, revocable.</summary>
public sealed class Devices(Db db, TimeProvider time)
{
    public static readonly Failure RevokedFailure =
        new(403, SyncErrorCodes.DeviceRevoked, "This device was removed from your account and can no longer sync. Sign in again to add it back.");

    private const string Columns = "device_id, name, platform, app_version, last_sync_at, last_cursor, created_at, revoked_at";

    public async Task<Outcome<DeviceInfo>> RegisterAsync(string userId, DeviceRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!PushService.IsId(request.DeviceId))
        {
            errors["device_id"] = [IdRules.Required("device_id")];
        }
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100 || !Web.TextRules.IsPrintable(request.Name))
        {
            errors["name"] = ["name is required: up to 100 characters, no control characters."];
        }
        if (request.Platform?.Length > 50 || request.AppVersion?.Length > 50)
        {
            errors["platform"] = ["platform and app_version are at most 50 characters."];
        }
        if (errors.Count > 0)
        {
            return Failure.Validation(errors);
        }
        var device = await db.WriteAsync(async (c, t) =>
        {
            await c.ExecuteAsync(
                """
                INSERT INTO devices (device_id, user_id, name, platform, app_version, created_at)
                VALUES (@DeviceId, @userId, @name, @Platform, @AppVersion, @now)
                ON CONFLICT (user_id, device_id) DO UPDATE SET name = excluded.name, platform = excluded.platform, app_version = excluded.app_version
                """, new { request.DeviceId, userId, name = request.Name!.Trim(), request.Platform, request.AppVersion, now = StoredTime.Format(time.GetUtcNow()) }, t);
            return await c.QuerySingleAsync<DeviceInfo>($"SELECT {Columns} FROM devices WHERE user_id = @userId AND device_id = @DeviceId",
                new { userId, request.DeviceId }, t);
        });
        return device.RevokedAt is null ? device : RevokedFailure;
    }

    public async Task<IReadOnlyList<DeviceInfo>> ListAsync(string userId) =>
        (await db.ReadAsync(c => c.QueryAsync<DeviceInfo>(
            $"SELECT {Columns} FROM devices WHERE user_id = @userId ORDER BY revoked_at IS NOT NULL, coalesce(last_sync_at, created_at) DESC",
            new { userId }))).ToList();

    public Task<bool> RevokeAsync(string userId, string deviceId) =>
        db.WriteAsync(async (c, t) => await c.ExecuteAsync(
            "UPDATE devices SET revoked_at = @now WHERE user_id = @userId AND device_id = @deviceId AND revoked_at IS NULL",
            new { userId, deviceId, now = StoredTime.Format(time.GetUtcNow()) }, t) > 0);
}
