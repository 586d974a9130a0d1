using SqlStudio.Contracts;
using System.Text.Json.Nodes;

namespace SqlStudio.Sync;

/// <summary>When changes go out, how often to retry, and what never leaves the device. Every value is settable.</summary>
public sealed class SyncClientOptions
{
    public TimeSpan TabContentDebounce { get; set; } = TimeSpan.FromSeconds(2);
    public int HistoryBatchSize { get; set; } = 10;

    /// <summary>
    /// How this device is listed on the account (the worker registers it before its first sync): the host name, with
    /// <see cref="AppName"/> after it, unless set.
    /// </summary>
    public string? DeviceName { get; set; }

    /// <summary>The application syncing, shown after the host name ("ada-laptop (SQL Studio)").</summary>
    public string AppName { get; set; } = "SQL Studio";

    /// <summary>
    /// The product token of the User-Agent every request carries (<see cref="ClientUserAgent"/>): "SqlStudio" for the
    /// desktop app, "sqlstudio" for the CLI — what the account's session list names ("SQL Studio CLI on Linux").
    /// </summary>
    public string Product { get; set; } = "SqlStudio";
    public TimeSpan HistoryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan AiDelay { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan RetryInitial { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(5);
    public int AttemptsPerRound { get; set; } = 5;

    /// <summary>
    /// The longest wait between tries while the server cannot be reached (jittered, growing from <see cref="RetryInitial"/>).
    /// Being offline never parks the outbox: a try is a failed connection, cheap, so the change leaves within this long
    /// of the server being back — at once when the event stream or long-poll reaches it first.
    /// </summary>
    public TimeSpan OfflineRetryMax { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>After a round of attempts the server refused (errors it answered), the next round starts on its own after this.</summary>
    public TimeSpan ParkedRetry { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an idle device asks the server (cheaply) whether anything changed.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public int PushBatchSize { get; set; } = 500;

    /// <summary>Keep the server's event stream open while the worker runs, and pull on each change (real time).</summary>
    public bool Realtime { get; set; } = true;

    /// <summary>A stream silent for this long (no event, no heartbeat: the server pings every 15 s) is taken as dead.</summary>
    public TimeSpan StreamSilence { get; set; } = TimeSpan.FromSeconds(35);

    /// <summary>Reconnection back-off: full jitter between zero and min(cap, initial × 2^attempt).</summary>
    public TimeSpan ReconnectInitial { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A stream that ends sooner than this after opening counts as a quick failure; 3 in a row fall back to long-poll.</summary>
    public TimeSpan QuickFailure { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one long-poll waits on the server (at most the server's Sync:Head:MaxWait).</summary>
    public int LongPollSeconds { get; set; } = 25;

    /// <summary>After this long on a fallback, the stream is tried again.</summary>
    public TimeSpan RetryStreamAfter { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>The SDK's sync rules (docs/sdk.md), as pure functions.</summary>
public static class SyncPolicy
{

    /// <summary>When a change to a record should be pushed: at once, debounced, or batched in the background.</summary>
    public static DateTimeOffset DueAt(string type, bool isNew, bool isDelete, JsonObject? changes, DateTimeOffset now, SyncClientOptions options) => type switch
    {
        _ when isDelete => now,
        "query_tabs" when !isNew && changes is not null && changes.ContainsKey("content") => now + options.TabContentDebounce,
        "query_history" => now + options.HistoryMaxDelay,
        "ai_sessions" or "ai_messages" => now + options.AiDelay,
        _ => now,
    };

    /// <summary>Takes passwords and keys out of a connection; what is returned is what may leave the device.</summary>
    public static (JsonObject Shareable, Dictionary<string, string> Secrets) StripSecrets(string type, JsonObject data)
    {
        var secrets = new Dictionary<string, string>();
        if (type != "connections")
        {
            return (data, secrets);
        }
        // Credentials at any depth (SqlStudio.Contracts.Credentials, the rules the server enforces): secret keys go,
        // connection strings and user info lose their passwords; each original is kept on this device under its path
        // ("password", "options.nested.pwd", "options.dsn").
        var shareable = (JsonObject)data.DeepClone();
        var found = new Dictionary<string, string>();
        Credentials.Strip(shareable, "", found);
        foreach (var (path, value) in found)
        {
            secrets[path.TrimStart('.')] = value;
        }
        return (shareable, secrets);
    }

    /// <summary>The keyword a history statement contains, if it must stay on this device.</summary>
    public static string? SensitiveKeyword(string queryText, IEnumerable<string> keywords) =>
        keywords.FirstOrDefault(k => k.Length > 0 && queryText.Contains(k, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The plan's <c>redactQuery</c>: every literal that follows a keyword is masked — <c>PASSWORD 'x'</c>,
    /// <c>api_key = 'abc'</c>, <c>token: "t"</c>, <c>secret = 42</c> become <c>'***'</c> — and the rest of the statement stays as it was.
    /// </summary>
    public static string RedactQuery(string queryText, IEnumerable<string> keywords)
    {
        foreach (var keyword in keywords.Where(k => k.Length > 0))
        {
            var word = System.Text.RegularExpressions.Regex.Escape(keyword);
            queryText = System.Text.RegularExpressions.Regex.Replace(queryText,
                $@"(?<lead>\w*{word}\w*[""'`\]]?(?:\s*(?:=|:|=>)\s*|\s+))(?:'(?:[^']|'')*'|""[^""]*""|(?<=[=:>]\s*)[^\s,;)]+)",
                "${lead}'***'", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant,
                TimeSpan.FromMilliseconds(200));
        }
        return queryText;
    }

    /// <summary>"Full jitter" (AWS architecture blog): uniformly between zero and the capped exponential.</summary>
    public static TimeSpan FullJitter(int attempt, TimeSpan initial, TimeSpan cap, Random random)
    {
        var ceiling = Math.Min(cap.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(30, Math.Max(0, attempt))));
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
    }

    /// <summary>Exponential backoff with jitter: 1 s, 2 s, 4 s… up to 5 min, each ±50 %.</summary>
    public static TimeSpan Backoff(int attempt, SyncClientOptions options, Random random)
    {
        var baseDelay = Math.Min(options.RetryMax.TotalMilliseconds, options.RetryInitial.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1)));
        return TimeSpan.FromMilliseconds(baseDelay * (0.5 + random.NextDouble()));
    }
}
