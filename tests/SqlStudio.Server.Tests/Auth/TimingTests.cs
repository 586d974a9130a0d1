using System.Diagnostics;
using System.Net;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>Login, forgot-password and resend-verification do not tell, by their timing, whether an account exists.</summary>
public sealed class TimingTests
{
    [Fact]
    public async Task Login_UnknownEmailAndWrongPassword_TakeSimilarTime()
    {
        // The production hash cost, so the hash dominates as it does for real.
        await using var server = await TestServer.StartAsync(o => o.Settings["Auth:PasswordIterations"] = "210000");
        var client = new AuthClient(server);
        var email = AuthClient.NewEmail();
        await client.RegisterAsync(email);
        await client.PostAsync("/api/auth/login", new { email = "warm-up@example.com", password = "Wrong-password-1" });

        var unknown = new List<double>();
        var wrong = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            // Interleaved, so drift in machine load hits both series alike.
            unknown.Add(await TimeAsync(client, AuthClient.NewEmail()));
            wrong.Add(await TimeAsync(client, email));
        }

        var (a, b) = (Median(unknown), Median(wrong));
        Assert.True(Math.Max(a, b) <= 2 * Math.Min(a, b), $"median unknown {a:F1} ms vs wrong password {b:F1} ms");
    }

    [Theory]
    [InlineData("/api/auth/forgot-password")]
    [InlineData("/api/auth/resend-verification")]
    public async Task EmailLinks_UnknownAndExistingAccount_TakeSimilarTime(string path)
    {
        // The same work either way (the email is rendered and a batch written; only an existing account's is queued).
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Settings["RateLimits:ForgotPasswordAccount:PermitLimit"] = "100000";
            o.Settings["RateLimits:ResendVerification:PermitLimit"] = "100000";
        });
        var client = new AuthClient(server);
        var email = AuthClient.NewEmail();
        await client.RegisterAsync(email);
        for (var i = 0; i < 5; i++)
        {
            await client.PostAsync(path, new { email = AuthClient.NewEmail() });
            await client.PostAsync(path, new { email });
        }

        var unknown = new List<double>();
        var existing = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            unknown.Add(await TimeAsync(client, path, AuthClient.NewEmail()));
            existing.Add(await TimeAsync(client, path, email));
        }

        var (a, b) = (Median(unknown), Median(existing));
        Assert.True(Math.Max(a, b) <= 2 * Math.Min(a, b), $"median unknown {a:F2} ms vs existing account {b:F2} ms");
    }

    private static async Task<double> TimeAsync(AuthClient client, string path, string email)
    {
        var watch = Stopwatch.StartNew();
        var response = await client.PostAsync(path, new { email });
        watch.Stop();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return watch.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> TimeAsync(AuthClient client, string email)
    {
        var watch = Stopwatch.StartNew();
        var response = await client.PostAsync("/api/auth/login", new { email, password = "Wrong-password-1" });
        watch.Stop();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return (sorted[(sorted.Count - 1) / 2] + sorted[sorted.Count / 2]) / 2;
    }
}
