namespace SqlStudio.Server.Kernel;

/// <summary>The terms of service and privacy notice (/terms, /privacy): the version a registration accepts.</summary>
public static class Legal
{
    /// <summary>Changes whenever either document changes in substance; stored on the account at registration.</summary>
    public const string Version = "2026-11-26";
}
