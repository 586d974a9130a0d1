namespace SqlStudio.Desktop.Components;

/// <summary>
/// The app's stylesheet (wwwroot/app.css, embedded in the assembly), put in the page's head: a stylesheet the page links
/// to holds the first paint until it has arrived, and in a window that has just started that request alone took
/// 100–250 ms (docs/benchmarks.md, "Start-up, seventh session"). 12 KB on loopback, read once per process.
/// </summary>
public static class AppStyles
{
    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(AppStyles).Assembly.GetManifestResourceStream("app.css")
            ?? throw new InvalidOperationException("app.css is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Css => Text.Value;
}
