using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using SqlStudio.Sync;

namespace SqlStudio.Cli;

/// <summary>What every command gets: the global options, the output, and a way to open the profile.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, Func<Uri, CancellationToken, Task>? openBrowser, HttpMessageHandler? handler)
{
    /// <summary>The CLI's clock (every time it stamps goes through it).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Output for people and scripts, not HTML: quotes and non-ASCII as themselves.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public Option<Uri?> Server { get; } = new("--server")
    {
        Description = "SQL Studio Cloud address (default: the one this profile signed in to, or http://localhost:5080).",
        Recursive = true,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                return uri;
            }
            result.AddError($"--server must be an http(s) address, like https://cloud.sqlstudio.example (got '{text}').");
            return null;
        },
    };

    public Option<string> Home { get; } = new("--home")
    {
        Description = "Where profiles are kept (default: $SQLSTUDIO_HOME or ~/.sqlstudio).",
        Recursive = true,
        DefaultValueFactory = _ => SyncProfile.DefaultHome(),
    };

    public Option<string> Profile { get; } = new("--profile")
    {
        Description = "Profile name: one local store per profile (a profile is a device).",
        Recursive = true,
        DefaultValueFactory = _ => "default",
    };

    public TextWriter Output { get; } = output;
    public TextWriter Error { get; } = error;
    public Func<Uri, CancellationToken, Task>? OpenBrowser { get; } = openBrowser;
    public HttpMessageHandler? Handler { get; } = handler;

    /// <summary>A terminal gets Spectre's live progress bars; a pipe, a file or a test gets plain lines.</summary>
    public bool Interactive { get; } = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;

    public IAnsiConsole Console { get; } = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected
        ? AnsiConsole.Console
        : AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });

    /// <summary>
    /// Rows for a person or a script: a table on a terminal; one tab-separated line per row (a header line first) in a
    /// pipe or a file, so ids stay whole and <c>cut</c>/<c>awk</c> read them. Cells are plain text.
    /// </summary>
    public async Task WriteTableAsync(string[] columns, IEnumerable<string[]> rows)
    {
        if (Interactive)
        {
            var table = new Table().AddColumns(columns.Select(Markup.Escape).ToArray());
            foreach (var row in rows)
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }
            Console.Write(table);
            return;
        }
        await Output.WriteLineAsync(string.Join('\t', columns));
        foreach (var row in rows)
        {
            await Output.WriteLineAsync(string.Join('\t', row.Select(cell => cell.ReplaceLineEndings(" ").Replace('\t', ' '))));
        }
    }

    /// <summary>
    /// A stored time (ISO-8601 UTC) as a person reads it: local time, and how long ago when it was today
    /// ("14:02 (3 min ago)", "2026-11-20 09:15"); "never" for none. JSON output keeps the ISO form.
    /// </summary>
    public string When(string? stored)
    {
        if (stored is null || !DateTimeOffset.TryParse(stored, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
        {
            return stored ?? "never";
        }
        var now = Time.GetUtcNow();
        var local = TimeZoneInfo.ConvertTime(at, Time.LocalTimeZone);
        var age = now - at;
        if (age < TimeSpan.Zero || age.TotalHours >= 24)
        {
            return local.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        }
        var ago = age.TotalMinutes < 1 ? "just now" : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min ago" : $"{(int)age.TotalHours} h ago";
        return $"{local.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)} ({ago})";
    }

    /// <summary>Runs long work with progress: bars per phase on a terminal, "phase done/total (n%)" lines otherwise.</summary>
    public async Task<T> WithProgressAsync<T>(string[] phases, Func<IProgress<SyncProgress>, Task<T>> work)
    {
        if (Interactive)
        {
            T result = default!;
            await Console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var tasks = phases.ToDictionary(p => p, p => progress.AddTask(p, maxValue: 1));
                    result = await work(new Reporter(report =>
                    {
                        if (tasks.TryGetValue(report.Phase, out var task))
                        {
                            task.MaxValue = Math.Max(1, report.Total);
                            task.Value = report.Done;
                        }
                    }));
                    foreach (var task in tasks.Values)
                    {
                        task.Value = task.MaxValue;
                    }
                });
            return result;
        }
        var last = new Dictionary<string, long>();
        return await work(new Reporter(report =>
        {
            var percent = report.Total == 0 ? 100 : report.Done * 100 / report.Total;
            if (last.GetValueOrDefault(report.Phase, -1) != percent)
            {
                last[report.Phase] = percent;
                Output.WriteLine($"{report.Phase}: {report.Done}/{report.Total} ({percent}%)");
            }
        }));
    }

    private sealed class Reporter(Action<SyncProgress> report) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value) => report(value);
    }

    /// <summary>The profile, its device listed on the account as "host (sqlstudio CLI, profile NAME)".</summary>
    public Task<SyncProfile> OpenAsync(ParseResult result, SyncClientOptions? options = null)
    {
        options ??= new SyncClientOptions();
        options.AppName = $"sqlstudio CLI, profile {result.GetValue(Profile)}";
        options.Product = "sqlstudio";
        return SyncProfile.OpenAsync(result.GetValue(Home)!, result.GetValue(Profile)!, result.GetValue(Server), options, handler: Handler);
    }

    public async Task<int> JsonAsync(object value)
    {
        await Output.WriteLineAsync(JsonSerializer.Serialize(value, Json));
        return 0;
    }

    public async Task<int> FailAsync(string message, int code = 1)
    {
        await Error.WriteLineAsync(message);
        return code;
    }

    /// <summary>Runs a command body, turning the SDK's expected failures into a message and an exit code.</summary>
    public async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (SignedOutException ex)
        {
            // The SDK's sentence already says what to run when it can; otherwise the command is added once.
            return await FailAsync(ex.Message.Contains("sqlstudio login", StringComparison.Ordinal) ? ex.Message : $"{ex.Message} (sqlstudio login)", 3);
        }
        catch (OfflineException ex)
        {
            return await FailAsync($"Offline: {ex.Message} Local changes are kept and go out with the next `sqlstudio sync now`.", 4);
        }
        catch (SyncApiException ex)
        {
            return await FailAsync($"The server refused: {ex.Message} ({ex.Code})", 1);
        }
        catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException or JsonException or ArgumentException)
        {
            return await FailAsync(ex.Message, 2);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or TaskCanceledException or IOException)
        {
            // The network, not the user: the documented offline answer, never a stack trace.
            var reason = ex is TaskCanceledException or TimeoutException ? "the server did not answer in time" : ex.Message;
            return await FailAsync($"Cannot reach the server ({reason}). Check the address and your connection, then try again; " +
                                   "local changes are kept and go out with the next sync.", 4);
        }
        catch (Exception ex)
        {
            // Anything else: one sentence (the details only with SQLSTUDIO_DEBUG=1), never ~50 lines of stack trace.
            if (Environment.GetEnvironmentVariable("SQLSTUDIO_DEBUG") == "1")
            {
                await Error.WriteLineAsync(ex.ToString());
            }
            return await FailAsync($"Something went wrong: {ex.Message} (set SQLSTUDIO_DEBUG=1 for details).", 1);
        }
    }
}
