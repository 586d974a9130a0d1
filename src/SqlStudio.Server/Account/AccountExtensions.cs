namespace SqlStudio.Server.Account;

/// <summary>The account's own data: export and deletion.</summary>
public static class AccountExtensions
{
    public static WebApplicationBuilder AddAccountData(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AccountData>();
        return builder;
    }
}
