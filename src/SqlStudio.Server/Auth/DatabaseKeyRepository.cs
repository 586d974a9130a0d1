using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

/// <summary>
/// The ASP.NET Core Data Protection key ring (cookies, antiforgery tokens) in the database (<c>dataprotection_keys</c>),
/// so every instance reads and writes the same keys: a cookie issued by one instance is good on another. Data
/// Protection calls this rarely (at start, and when a key is created or nears expiry) and caches the ring itself.
/// </summary>
public sealed class DatabaseKeyRepository(Db db) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        var rows = new List<string>();
        db.ReadBatchAsync(new SqlBatch().Query<string>(KeyStore.DataProtectionKeys, null, found => rows = found))
            .GetAwaiter().GetResult();
        return rows.Select(xml => XElement.Parse(xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName) =>
        db.WriteBatchAsync(new SqlBatch().Execute(KeyStore.InsertDataProtectionKey,
            new { name = string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString() : friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) }))
            .GetAwaiter().GetResult();
}

/// <summary>
/// Loads (or, on the very first start, creates) the token signing ring and the Data Protection key at start-up, after
/// the migrations: creating a key writes to the database, which must never happen inside a request's write transaction.
/// </summary>
internal sealed class KeyRingStartup(SigningKeys signing, Microsoft.AspNetCore.DataProtection.IDataProtectionProvider dataProtection,
    ILogger<KeyRingStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _ = signing.KeyId;
            Microsoft.AspNetCore.DataProtection.DataProtectionCommonExtensions.CreateProtector(dataProtection, "startup").Protect([1]);
        }
        catch (Exception ex)
        {
            // Not migrated yet (Database:AutoMigrate=false) or unreachable: readiness says so; the rings load on first use.
            logger.LogWarning("Key rings not loaded at start-up ({Message}); they load on first use", ex.Message);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
