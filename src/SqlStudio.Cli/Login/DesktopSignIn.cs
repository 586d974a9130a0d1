using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SqlStudio.Contracts;

namespace SqlStudio.Cli.Login;

/// <summary>
/// Sign-in with GitHub or Google for a native app (RFC 8252): the system browser does the provider's consent,
/// the server redirects back to a one-shot listener on a loopback port with a code, and the code is exchanged
/// with its PKCE verifier (RFC 7636) for the session's tokens. A random <c>state</c> ties the answer to this run.
/// </summary>
public sealed class DesktopSignIn(HttpClient http, Func<Uri, CancellationToken, Task> openBrowser, TextWriter output)
{
    public async Task<TokenResponse> SignInAsync(Uri server, string provider, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var port = FreePort();
        var redirect = $"http://127.0.0.1:{port}/callback/";

        using var listener = new HttpListener();
        listener.Prefixes.Add(redirect);
        listener.Start();

        var start = new Uri(server, $"/api/auth/oauth/{provider}?redirect_uri={Uri.EscapeDataString(redirect)}" +
                                    $"&code_challenge={challenge}&code_challenge_method=S256&state={state}");
        await output.WriteLineAsync($"Opening your browser to sign in with {provider}. If it does not open, visit:");
        await output.WriteLineAsync(start.ToString());
        await openBrowser(start, cancellationToken);

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        var query = await WaitForCallbackAsync(listener, state, timer.Token);
        if (query["error"] is { } error)
        {
            throw new SignInException(query["error_description"] ?? error);
        }
        var response = await http.PostAsJsonAsync(new Uri(server, "/api/auth/oauth/exchange"),
            new { code = query["code"], code_verifier = verifier }, CliJson.Options, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new SignInException($"The server refused the sign-in code ({(int)response.StatusCode}). Try again.");
        }
        return (await response.Content.ReadFromJsonAsync<TokenResponse>(CliJson.Options, cancellationToken))!;
    }

    private static async Task<System.Collections.Specialized.NameValueCollection> WaitForCallbackAsync(
        HttpListener listener, string state, CancellationToken cancellationToken)
    {
        while (true)
        {
            var context = await listener.GetContextAsync().WaitAsync(cancellationToken);
            var query = context.Request.QueryString;
            // Anything without our state is not the answer to this sign-in (another tab, a stray request).
            var ours = query["state"] == state && (query["code"] is not null || query["error"] is not null);
            var body = ours
                ? query["error"] is null
                    ? "<h1>Signed in</h1><p>You can close this window and return to SQL Studio.</p>"
                    : "<h1>Sign-in did not complete</h1><p>Return to SQL Studio for details.</p>"
                : "<h1>Unexpected request</h1>";
            var bytes = Encoding.UTF8.GetBytes($"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>SQL Studio</title></head><body>{body}</body></html>");
            context.Response.StatusCode = ours ? 200 : 400;
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.OutputStream.WriteAsync(bytes, cancellationToken);
            context.Response.Close();
            if (ours)
            {
                return query;
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public sealed class SignInException(string message) : Exception(message);
