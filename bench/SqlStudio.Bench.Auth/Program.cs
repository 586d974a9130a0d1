// bench/auth: login latency and the password hash's share of it, refreshes per second, and what bearer
// authentication adds to a request. Runs the real server on loopback with the production hash cost.
//   dotnet run -c Release --project bench/SqlStudio.Bench.Auth [-- --quick]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;
using SqlStudio.Testing;

var quick = args.Contains("--quick");
var logins = quick ? 10 : 40;
var requests = quick ? 500 : 4000;
var refreshSeconds = quick ? 2 : 8;

await using var server = await TestServer.StartAsync(o =>
{
    o.Settings["Auth:PasswordIterations"] = new AuthOptions().PasswordIterations.ToString(CultureInfo.InvariantCulture);
    o.Settings["Auth:LockoutFailures"] = "1000"; // the highest the settings allow: the bench logs in thousands of times
    o.MapMore = app =>
    {
        // The same trivial handler with and without authorization: the difference is what auth costs.
        app.MapGet("/bench/anonymous", () => "ok");
        app.MapGet("/bench/authenticated", () => "ok").RequireAuthorization(AuthExtensions.ApiPolicy);
    };
});
var client = new AuthClient(server);
var email = AuthClient.NewEmail("bench");
var tokens = await client.RegisterVerifiedAsync(email);
if (args.Contains("--smoke"))
{
    // The set-up and one login: what the smoke test runs so the benchmark cannot rot unseen (settings, server start).
    await client.LoginAsync(email);
    Console.WriteLine("smoke: ok");
    return;
}

// 1. Login latency, and the hash alone on the same machine.
var loginTimes = new List<double>();
for (var i = 0; i < logins; i++)
{
    var watch = Stopwatch.StartNew();
    await client.LoginAsync(email);
    loginTimes.Add(watch.Elapsed.TotalMilliseconds);
}
var passwords = server.Services.GetRequiredService<Passwords>();
var hash = passwords.Hash(AuthClient.Password);
var hashTimes = new List<double>();
for (var i = 0; i < logins; i++)
{
    var watch = Stopwatch.StartNew();
    passwords.Verify(hash, AuthClient.Password);
    hashTimes.Add(watch.Elapsed.TotalMilliseconds);
}

// 2. Refreshes per second: one session rotating its token as fast as it can, then four sessions at once.
async Task<int> RefreshLoopAsync(TokenResponse start, TimeSpan duration)
{
    var count = 0;
    var refresh = start.RefreshToken;
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed < duration)
    {
        var response = await client.PostAsync("/api/auth/refresh", new { refresh_token = refresh });
        response.EnsureSuccessStatusCode();
        refresh = (await client.ReadAsync<TokenResponse>(response)).RefreshToken;
        count++;
    }
    return count;
}
var single = await RefreshLoopAsync(await client.LoginAsync(email), TimeSpan.FromSeconds(refreshSeconds));
var sessions = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.LoginAsync(email)));
var parallel = (await Task.WhenAll(sessions.Select(s => RefreshLoopAsync(s, TimeSpan.FromSeconds(refreshSeconds))))).Sum();

// 3. Authenticated vs anonymous: interleaved, so both see the same machine.
using var http = server.CreateClient();
var anonymous = new List<double>();
var authenticated = new List<double>();
async Task<double> TimeAsync(string path, string? token)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, path);
    if (token is not null)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }
    var watch = Stopwatch.StartNew();
    using var response = await http.SendAsync(request);
    response.EnsureSuccessStatusCode();
    return watch.Elapsed.TotalMilliseconds * 1000;
}
for (var i = 0; i < 200; i++)
{
    await TimeAsync("/bench/anonymous", null);
    await TimeAsync("/bench/authenticated", tokens.AccessToken);
}
for (var i = 0; i < requests; i++)
{
    anonymous.Add(await TimeAsync("/bench/anonymous", null));
    authenticated.Add(await TimeAsync("/bench/authenticated", tokens.AccessToken));
}

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToList();
    return sorted[(int)Math.Clamp(Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

var inv = CultureInfo.InvariantCulture;
Console.WriteLine($"# bench/auth — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine();
Console.WriteLine("| measure | value |");
Console.WriteLine("|---|---|");
Console.WriteLine(string.Format(inv, "| login p50 / p95 ({0} logins, PBKDF2-SHA512 × {1:N0}) | {2:F1} ms / {3:F1} ms |", logins, new AuthOptions().PasswordIterations, Percentile(loginTimes, 50), Percentile(loginTimes, 95)));
Console.WriteLine(string.Format(inv, "| password hash alone p50 | {0:F1} ms |", Percentile(hashTimes, 50)));
Console.WriteLine(string.Format(inv, "| hash share of login (p50 / p50) | {0:P0} |", Percentile(hashTimes, 50) / Percentile(loginTimes, 50)));
Console.WriteLine(string.Format(inv, "| refreshes per second, 1 session (rotation, sequential) | {0:F0} /s |", single / (double)refreshSeconds));
Console.WriteLine(string.Format(inv, "| refreshes per second, 4 sessions in parallel | {0:F0} /s |", parallel / (double)refreshSeconds));
Console.WriteLine(string.Format(inv, "| anonymous request p50 / p95 ({0} requests) | {1:F0} µs / {2:F0} µs |", requests, Percentile(anonymous, 50), Percentile(anonymous, 95)));
Console.WriteLine(string.Format(inv, "| authenticated request p50 / p95 (ES256 JWT + session check) | {0:F0} µs / {1:F0} µs |", Percentile(authenticated, 50), Percentile(authenticated, 95)));
Console.WriteLine(string.Format(inv, "| cost of authentication (p50 difference; ratio) | {0:F0} µs; {1:F2}× |", Percentile(authenticated, 50) - Percentile(anonymous, 50), Percentile(authenticated, 50) / Percentile(anonymous, 50)));
