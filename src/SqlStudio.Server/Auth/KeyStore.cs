namespace SqlStudio.Server.Auth;

/// <summary>SQL for the server's key rings: the token signing keys and ASP.NET Core Data Protection's keys.</summary>
internal static class KeyStore
{
    public const string DataProtectionKeys = "SELECT xml FROM dataprotection_keys ORDER BY name";

    public const string InsertDataProtectionKey = "INSERT INTO dataprotection_keys (name, xml) VALUES (@name, @xml) ON CONFLICT (name) DO NOTHING";

    public const string SigningKeys = "SELECT kid, private_pem, created_at, retired_at FROM signing_keys ORDER BY created_at";

    public const string RetireSigningKeys = "UPDATE signing_keys SET retired_at = @now WHERE retired_at IS NULL";

    public const string InsertSigningKey = "INSERT INTO signing_keys (kid, private_pem, created_at) VALUES (@kid, @pem, @now)";

    /// <summary>The first key, unless another instance wrote one first.</summary>
    public const string InsertFirstSigningKey =
        """
        INSERT INTO signing_keys (kid, private_pem, created_at)
        SELECT @kid, @pem, @now WHERE NOT EXISTS (SELECT 1 FROM signing_keys)
        """;
}
