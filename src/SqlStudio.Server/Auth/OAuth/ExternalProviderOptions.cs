namespace SqlStudio.Server.Auth.OAuth;

/// <summary>One sign-in provider (<c>OAuth:GitHub</c>, <c>OAuth:Google</c>); offered only when both credentials are set.</summary>
public sealed class ExternalProviderOptions
{
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string? AuthorizationEndpoint { get; set; }
    public string? TokenEndpoint { get; set; }
    public string? UserInformationEndpoint { get; set; }

    /// <summary>GitHub only: where the account's addresses and their verification state come from.</summary>
    public string? EmailsEndpoint { get; set; }

    public bool Configured => !string.IsNullOrWhiteSpace(ClientId) && !string.IsNullOrWhiteSpace(ClientSecret);
}

/// <summary>The providers this server offers, in the order the pages show them.</summary>
public sealed class ExternalProviders(IReadOnlyList<ExternalProvider> configured)
{
    public IReadOnlyList<ExternalProvider> Configured => configured;

    public ExternalProvider? Find(string? scheme) =>
        configured.FirstOrDefault(p => string.Equals(p.Scheme, scheme, StringComparison.OrdinalIgnoreCase));
}

public sealed record ExternalProvider(string Scheme, string DisplayName);

/// <summary>Who the provider says signed in.</summary>
public sealed record ExternalIdentity(string Provider, string ProviderUserId, string? Email, bool EmailVerified, string? Name);
