using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>The devices of a user: registered, listed with their last sync, revocable.</summary>
public sealed class Devices(Db db, TimeProvider time)
{
    public static readonly Failure RevokedFailure =
        new(403, SyncErrorCodes.DeviceRevoked, "This device was removed from your account and can no longer sync. Sign in again to add it back.");

    public async Task<Outcome<DeviceInfo>> RegisterAsync(string userId, DeviceRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!PushService.IsId(request.DeviceId))
        {
            errors["device_id"] = [IdRules.Required("device_id")];
        }
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100 || !Kernel.TextRules.IsPrintable(request.Name))
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
        var device = await DeviceStore.RegisterAsync(db, userId, request.DeviceId!, request.Name!.Trim(), request.Platform, request.AppVersion,
            StoredTime.Format(time.GetUtcNow()));
        return device.RevokedAt is null ? device : RevokedFailure;
    }

    public Task<IReadOnlyList<DeviceInfo>> ListAsync(string userId) => DeviceStore.ListAsync(db, userId);

    public Task<bool> RevokeAsync(string userId, string deviceId) => DeviceStore.RevokeAsync(db, userId, deviceId, StoredTime.Format(time.GetUtcNow()));
}
