using System.CommandLine;
using Spectre.Console;
using SqlStudio.Cli.Login;
using SqlStudio.Contracts;
using SqlStudio.Sync;

namespace SqlStudio.Cli.Commands;

/// <summary>login, logout, whoami, sessions.</summary>
public static class AccountCommands
{
    public static IEnumerable<Command> Create(CliContext cli)
    {
        yield return Login(cli);

        var logout = new Command("logout", "Sign this profile out (ends its session on the server too).");
        logout.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            if (await profile.Auth.CurrentAsync() is { } session)
            {
                try
                {
                    using var http = ClientUserAgent.Apply(new HttpClient(), "sqlstudio");
                    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(session.Server), "/api/auth/logout"));
                    request.Headers.Authorization = new("Bearer", session.Tokens.AccessToken);
                    await http.SendAsync(request, ct);
                }
                catch (HttpRequestException)
                {
                    // Offline: the local sign-out still happens; the session ends on the server at its expiry.
                }
                await profile.Auth.SignOutAsync();
            }
            await cli.Output.WriteLineAsync("Signed out.");
            return 0;
        }));
        yield return logout;

        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var whoami = new Command("whoami", "Who this profile is signed in as.") { json };
        whoami.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var me = await profile.Api.SendAsync<MeResponse>(profile.Manager.Server, HttpMethod.Get, "/api/auth/me", null, ct);
            if (result.GetValue(json))
            {
                return await cli.JsonAsync(me);
            }
            await cli.Output.WriteLineAsync($"{me.Name} <{me.Email}> · {me.Tier} · email {(me.EmailVerified ? "confirmed" : "not confirmed")} · {profile.Manager.Server}");
            return 0;
        }));
        yield return whoami;

        var sessions = new Command("sessions", "Where this account is signed in.");
        var list = new Command("list", "List active sessions.") { json };
        list.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var rows = await profile.Api.SendAsync<List<SessionInfo>>(profile.Manager.Server, HttpMethod.Get, "/api/auth/sessions", null, ct);
            if (result.GetValue(json))
            {
                return await cli.JsonAsync(rows);
            }
            await cli.WriteTableAsync(["id", "device", "platform", "last seen", ""],
                rows.Select(s => new[] { s.SessionId, s.DeviceName ?? "-", s.Platform ?? "-", cli.When(s.LastSeenAt), s.Current ? "this device" : "" }));
            return 0;
        }));
        var id = new Argument<string>("id") { Description = "Session id (from sessions list)." };
        var revoke = new Command("revoke", "End a session.") { id };
        revoke.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            await profile.Api.SendAsync<bool>(profile.Manager.Server, HttpMethod.Delete, $"/api/auth/sessions/{Uri.EscapeDataString(result.GetValue(id)!)}", null, ct);
            await cli.Output.WriteLineAsync("Session ended.");
            return 0;
        }));
        sessions.Subcommands.Add(list);
        sessions.Subcommands.Add(revoke);
        yield return sessions;

        yield return Feedback(cli);
    }

    /// <summary><c>feedback [--kind bug|idea|praise] [--rating 1-5] MESSAGE</c> (MESSAGE <c>-</c> reads standard input).</summary>
    private static Command Feedback(CliContext cli)
    {
        var kind = new Option<string>("--kind") { Description = "bug, idea or praise.", DefaultValueFactory = _ => "idea" };
        kind.AcceptOnlyFromAmong("bug", "idea", "praise");
        var rating = new Option<int?>("--rating") { Description = "How you like SQL Studio Cloud so far, 1 to 5." };
        var message = new Argument<string>("message") { Description = "What happened, or what you would like (- reads it from standard input)." };
        var feedback = new Command("feedback", "Send feedback to the SQL Studio Cloud team.") { kind, rating, message };
        feedback.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            var text = result.GetValue(message)!;
            if (text == "-")
            {
                text = await Console.In.ReadToEndAsync(ct);
            }
            await using var profile = await cli.OpenAsync(result);
            await profile.Api.SendAsync<FeedbackResponse>(profile.Manager.Server, HttpMethod.Post, "/api/feedback",
                new FeedbackRequest(result.GetValue(kind), text, result.GetValue(rating), $"sqlstudio CLI on {Environment.OSVersion.Platform}"), ct);
            await cli.Output.WriteLineAsync("Thank you: your feedback reached the team.");
            return 0;
        }));
        return feedback;
    }

    private static Command Login(CliContext cli)
    {
        var email = new Option<string?>("--email") { Description = "Account email." };
        var password = new Option<string?>("--password") { Description = "Password (or SQLSTUDIO_PASSWORD, or a prompt)." };
        var github = new Option<bool>("--github") { Description = "Sign in with GitHub in the browser." };
        var google = new Option<bool>("--google") { Description = "Sign in with Google in the browser." };
        var noBrowser = new Option<bool>("--no-browser") { Description = "Only print the sign-in address; do not open a browser." };
        var noSync = new Option<bool>("--no-sync") { Description = "Do not run the first sync right after signing in." };
        var login = new Command("login", "Sign this profile in: with email and password, or through the browser (GitHub, Google).")
            { email, password, github, google, noBrowser, noSync };
        login.SetAction((result, ct) => cli.RunAsync(async () =>
        {
            var provider = result.GetValue(github) ? "github" : result.GetValue(google) ? "google" : null;
            if ((result.GetValue(github) && result.GetValue(google)) || (provider is null && result.GetValue(email) is null))
            {
                return await cli.FailAsync("Choose one of --email, --github or --google.", 2);
            }
            await using var profile = await cli.OpenAsync(result);
            var server = result.GetValue(cli.Server) ?? profile.Manager.Server;
            var deviceId = await profile.Manager.DeviceIdAsync();
            TokenResponse tokens;
            if (provider is not null)
            {
                using var http = ClientUserAgent.Apply(cli.Handler is null ? new HttpClient() : new HttpClient(cli.Handler, disposeHandler: false), "sqlstudio");
                var browser = result.GetValue(noBrowser) ? (_, _) => Task.CompletedTask : cli.OpenBrowser ?? SystemBrowser.OpenAsync;
                try
                {
                    tokens = await new DesktopSignIn(http, browser, cli.Output).SignInAsync(server, provider, TimeSpan.FromMinutes(5), ct);
                }
                catch (SignInException ex)
                {
                    return await cli.FailAsync($"Sign-in failed: {ex.Message}");
                }
                catch (OperationCanceledException)
                {
                    return await cli.FailAsync("Sign-in timed out: the browser never came back. Run the command again.");
                }
                await profile.Auth.SaveAsync(server.ToString(), tokens);
            }
            else
            {
                var secret = result.GetValue(password) ?? Environment.GetEnvironmentVariable("SQLSTUDIO_PASSWORD") ?? Prompt();
                if (string.IsNullOrEmpty(secret))
                {
                    return await cli.FailAsync("No password: pass --password, set SQLSTUDIO_PASSWORD, or run interactively.", 2);
                }
                tokens = await profile.Auth.SignInAsync(server, result.GetValue(email)!, secret, deviceId,
                    DeviceIdentity.Name($"sqlstudio CLI, profile {result.GetValue(cli.Profile)}"));
            }
            if (tokens.User.EmailVerified)
            {
                // The account's device list shows this computer by its host name and system, not by its device id.
                try
                {
                    await profile.Manager.IntroduceDeviceAsync(ct);
                }
                catch (Exception ex) when (ex is SyncApiException or OfflineException)
                {
                    // Not fatal: the first push registers the device under its id, and the next login names it.
                }
            }
            await cli.Output.WriteLineAsync($"Signed in as {tokens.User.Email} ({tokens.User.Tier}). Profile: {result.GetValue(cli.Profile)}.");
            if (!result.GetValue(noSync) && tokens.User.EmailVerified)
            {
                // The first sync, at once: the account's data is on this device before the next command.
                try
                {
                    var first = await cli.WithProgressAsync(["push", "pull"], progress => profile.Manager.SyncNowAsync(progress, ct));
                    await cli.Output.WriteLineAsync($"First sync: pulled {first.Pulled}, pushed {first.Pushed}.");
                }
                catch (Exception ex) when (ex is SyncApiException or OfflineException)
                {
                    await cli.Output.WriteLineAsync($"Signed in, but the first sync did not run: {ex.Message} Run `sqlstudio sync now` later.");
                }
            }
            return 0;
        }));
        return login;
    }

    private static string? Prompt()
    {
        if (Console.IsInputRedirected)
        {
            return null;
        }
        Console.Write("Password: ");
        var password = new System.Text.StringBuilder();
        while (Console.ReadKey(intercept: true) is { Key: not ConsoleKey.Enter } key)
        {
            if (key.Key == ConsoleKey.Backspace && password.Length > 0)
            {
                password.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
        Console.WriteLine();
        return password.ToString();
    }
}
