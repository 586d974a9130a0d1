using System.Diagnostics;
using System.Net;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>Login does not tell, by its timing, whether an account exists.</summary>
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
