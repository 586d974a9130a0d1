using System.Security.Claims;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.FeatureFilters;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;

namespace SqlStudio.Server.Beta;

/// <summary>
/// Feature flags (Microsoft.FeatureManagement) from the <c>FeatureManagement</c> configuration section, with targeting:
/// a flag can be on for named users, for groups (the account's role: <c>user</c> or <c>admin</c>) and for a percentage of
/// everyone, decided per user and stable. <c>GET /api/features</c> gives the desktop app the flags for its user.
/// </summary>
public static class Features
{
    /// <summary>The kill switch: when on, every push is refused with 503 <c>sync_paused</c> (devices keep their outbox and retry).</summary>
    public const string PauseSyncPush = "PauseSyncPush";

    public static readonly Failure PushPaused = new(503, SyncErrorCodes.SyncPaused,
        "Sync is paused for maintenance; your changes are kept on this device and go out when it resumes.") { RetryAfter = TimeSpan.FromMinutes(1) };

    public static IServiceCollection AddFeatures(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHttpContextAccessor();
        services.AddFeatureManagement(configuration.GetSection("FeatureManagement")).WithTargeting<UserTargeting>();
        return services;
    }

    /// <summary>Every configured flag, evaluated for the signed-in user.</summary>
    public static async Task<Dictionary<string, bool>> ForUserAsync(IFeatureManager features)
    {
        var flags = new Dictionary<string, bool>(StringComparer.Ordinal);
        await foreach (var name in features.GetFeatureNamesAsync())
        {
            flags[name] = await features.IsEnabledAsync(name);
        }
        return flags;
    }

    /// <summary>Who is asking: the user id and their role as the one group, read once per request.</summary>
    private sealed class UserTargeting(IHttpContextAccessor http, AccountStore accounts) : ITargetingContextAccessor
    {
        private static readonly object Key = new();

        public async ValueTask<TargetingContext> GetContextAsync()
        {
            var context = http.HttpContext;
            if (context?.Items[Key] is TargetingContext known)
            {
                return known;
            }
            var targeting = new TargetingContext { Groups = [] };
            if (context?.User.FindFirstValue("sub") is { } userId)
            {
                var role = (await accounts.FindByIdAsync(userId))?.Role;
                targeting = new TargetingContext { UserId = userId, Groups = role is null ? [] : [role] };
            }
            if (context is not null)
            {
                context.Items[Key] = targeting;
            }
            return targeting;
        }
    }
}
