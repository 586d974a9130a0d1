using System.CommandLine;
using SqlStudio.Cli.Login;

namespace SqlStudio.Cli;

/// <summary>
/// The <c>sqlstudio</c> command: a device client for SQL Studio Cloud. <c>login --github|--google</c> signs this
/// device in through the browser; sync commands arrive with the SDK.
/// </summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error,
        Func<Uri, CancellationToken, Task>? openBrowser = null, HttpMessageHandler? handler = null)
    {
        var root = new RootCommand(
            "sqlstudio — sign in to SQL Studio Cloud and sync this device's workspace (connections, tabs, history, " +
            "saved queries, AI chats, preferences).");
        var server = new Option<Uri>("--server")
        {
            Description = "SQL Studio Cloud address.",
            DefaultValueFactory = _ => new Uri("http://localhost:5080"),
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
        var profile = new Option<string>("--profile") { Description = "Profile name (one per account).", DefaultValueFactory = _ => "default" };
        var home = new Option<string>("--home") { Description = "Where profiles are kept.", DefaultValueFactory = _ => ProfileStore.DefaultHome() };
        root.Options.Add(server);
        root.Options.Add(profile);
        root.Options.Add(home);
        foreach (var option in new Option[] { server, profile, home })
        {
            option.Recursive = true;
        }

        var github = new Option<bool>("--github") { Description = "Sign in with GitHub." };
        var google = new Option<bool>("--google") { Description = "Sign in with Google." };
        var noBrowser = new Option<bool>("--no-browser") { Description = "Only print the sign-in address; do not open a browser." };
        var login = new Command("login", "Sign this device in through your browser (GitHub or Google).") { github, google, noBrowser };
        login.SetAction(async (result, ct) =>
        {
            var provider = result.GetValue(github) ? "github" : result.GetValue(google) ? "google" : null;
            if (provider is null || (result.GetValue(github) && result.GetValue(google)))
            {
                await error.WriteLineAsync("Choose one of --github or --google.");
                return 2;
            }
            using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
            var browser = result.GetValue(noBrowser) ? (_, _) => Task.CompletedTask : openBrowser ?? SystemBrowser.OpenAsync;
            try
            {
                var serverUri = result.GetValue(server)!;
                var tokens = await new DesktopSignIn(http, browser, output).SignInAsync(serverUri, provider, TimeSpan.FromMinutes(5), ct);
                var store = new ProfileStore(result.GetValue(home)!);
                await store.SaveAsync(result.GetValue(profile)!, new StoredSession(serverUri.ToString(), tokens, DateTimeOffset.UtcNow));
                await output.WriteLineAsync($"Signed in as {tokens.User.Email} ({tokens.User.Tier}). Profile: {result.GetValue(profile)}.");
                return 0;
            }
            catch (SignInException ex)
            {
                await error.WriteLineAsync($"Sign-in failed: {ex.Message}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                await error.WriteLineAsync("Sign-in timed out: the browser never came back. Run the command again.");
                return 1;
            }
            catch (HttpRequestException ex)
            {
                await error.WriteLineAsync($"Cannot reach {result.GetValue(server)}: {ex.Message}");
                return 1;
            }
        });
        root.Subcommands.Add(login);

        root.SetAction(result =>
        {
            // No command given: show what there is, as `--help` would, and succeed.
            return result.RootCommandResult.Command.Parse("--help").Invoke(new InvocationConfiguration { Output = output });
        });
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}
