using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;

namespace SqlStudio.Server.Kernel;

/// <summary>
/// The pages' own files (css, js, the npm libraries): each link carries a fingerprint of the file's content
/// (<c>css/site.css?v=3f2a…</c>), so a fingerprinted answer is cached for a year (<c>immutable</c>) and a new build's file
/// is a new address; they go out Brotli- or gzip-compressed when the browser takes it.
/// </summary>
public sealed class StaticAssets(IWebHostEnvironment environment)
{
    private readonly ConcurrentDictionary<string, string> _versions = new(StringComparer.Ordinal);

    /// <summary>The path with its fingerprint, e.g. <c>css/site.css?v=…</c> (the path alone when the file is missing).</summary>
    public string Url(string path) => _versions.GetOrAdd(path, p =>
    {
        var file = environment.WebRootFileProvider.GetFileInfo(p.TrimStart('/'));
        if (!file.Exists || file.PhysicalPath is null)
        {
            return p;
        }
        using var stream = File.OpenRead(file.PhysicalPath);
        return $"{p}?v={Convert.ToHexStringLower(SHA256.HashData(stream))[..16]}";
    });

    /// <summary>Static files' caching: a year for a fingerprinted address, five minutes (then revalidated by ETag) otherwise.</summary>
    public static void CacheHeaders(StaticFileResponseContext context) =>
        context.Context.Response.Headers.CacheControl = context.Context.Request.Query.ContainsKey("v")
            ? "public, max-age=31536000, immutable"
            : "public, max-age=300";

    /// <summary>Paths of the static files: compressed (they hold no secrets, so the BREACH concern of pages does not apply).</summary>
    public static bool IsStatic(PathString path) =>
        path.StartsWithSegments("/css") || path.StartsWithSegments("/js") || path.StartsWithSegments("/lib") || path == "/favicon.svg";
}
