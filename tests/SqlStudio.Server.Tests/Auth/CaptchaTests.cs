using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>The self-hosted ALTCHA proof of work: solved like the widget does, refused when bad, stale or replayed.</summary>
public sealed class AltchaCaptchaTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestServer _server = null!;
    private AuthClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(o =>
        {
            o.Time = _time;
            o.Settings["Captcha:Provider"] = "altcha";
            o.Settings["Captcha:Altcha:CounterMin"] = "50";
            o.Settings["Captcha:Altcha:CounterMax"] = "500";
        });
        _client = new AuthClient(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Challenge_HasSignedParametersInWidgetShape()
    {
        var challenge = await ChallengeAsync();

        var parameters = challenge["parameters"]!.AsObject();
        Assert.Equal("SHA-256", parameters["algorithm"]!.GetValue<string>());
        Assert.Equal(32, parameters["keyPrefix"]!.GetValue<string>().Length);
        Assert.Matches("^[0-9a-f]{64}$", challenge["signature"]!.GetValue<string>());
        Assert.True(parameters["expiresAt"]!.GetValue<long>() > _time.GetUtcNow().ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Register_SolvedChallenge_PassesOnceThenReplayIsRefused()
    {
        var payload = Solve(await ChallengeAsync());

        var first = await RegisterAsync(payload);
        var replay = await RegisterAsync(payload);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("captcha_failed", (await AuthClient.ProblemAsync(replay)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Register_ExpiredChallenge_IsRefused()
    {
        var payload = Solve(await ChallengeAsync());

        _time.Advance(TimeSpan.FromMinutes(6));
        var response = await RegisterAsync(payload);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("wrong-counter")]
    [InlineData("tampered-parameters")]
    [InlineData("garbage")]
    [InlineData("missing")]
    public async Task Register_BadSolution_IsRefused(string defect)
    {
        var challenge = await ChallengeAsync();
        var payload = defect switch
        {
            "wrong-counter" => Solve(challenge, offByOne: true),
            "tampered-parameters" => Solve(Tamper(challenge)),
            "garbage" => Convert.ToBase64String("{not json"u8.ToArray()),
            _ => null,
        };

        var response = await RegisterAsync(payload);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("captcha_failed", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task ForgotPassword_WithoutCaptcha_IsRefused()
    {
        var response = await _client.PostAsync("/api/auth/forgot-password", new { email = AuthClient.NewEmail() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<JsonObject> ChallengeAsync() =>
        JsonNode.Parse(await _client.Http.GetStringAsync("/api/auth/captcha"))!.AsObject();

    private Task<HttpResponseMessage> RegisterAsync(string? captcha) =>
        _client.PostAsync("/api/auth/register", new { email = AuthClient.NewEmail(), password = AuthClient.Password, name = "Robot?", captcha });

    private static JsonObject Tamper(JsonObject challenge)
    {
        var copy = challenge.DeepClone().AsObject();
        copy["parameters"]!["expiresAt"] = copy["parameters"]!["expiresAt"]!.GetValue<long>() + 3600;
        return copy;
    }

    /// <summary>What the widget does: try counters from 0 until SHA-256(salt ‖ nonce ‖ counter) starts with the prefix.</summary>
    internal static string Solve(JsonObject challenge, bool offByOne = false)
    {
        var parameters = challenge["parameters"]!;
        var salt = Convert.FromHexString(parameters["salt"]!.GetValue<string>());
        var nonce = Convert.FromHexString(parameters["nonce"]!.GetValue<string>());
        var prefix = parameters["keyPrefix"]!.GetValue<string>();
        var input = new byte[salt.Length + nonce.Length + 4];
        salt.CopyTo(input, 0);
        nonce.CopyTo(input, salt.Length);
        for (uint counter = 0; counter < 1_000_000; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(salt.Length + nonce.Length), counter);
            var key = Convert.ToHexStringLower(SHA256.HashData(input));
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                var solution = new JsonObject { ["counter"] = offByOne ? counter + 1 : counter, ["derivedKey"] = key, ["time"] = 12.5 };
                var payload = new JsonObject { ["challenge"] = challenge.DeepClone(), ["solution"] = solution };
                return Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.ToJsonString()));
            }
        }
        throw new InvalidOperationException("No counter solves the challenge.");
    }
}

/// <summary>Cloudflare Turnstile through a loopback stand-in for siteverify that answers in Cloudflare's shape.</summary>
public sealed class TurnstileCaptchaTests : IAsyncLifetime
{
    private WebApplication _cloudflare = null!;
    private readonly List<Dictionary<string, string>> _received = [];

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _cloudflare = builder.Build();
        _cloudflare.MapPost("/turnstile/v0/siteverify", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            lock (_received)
            {
                _received.Add(form.ToDictionary(f => f.Key, f => f.Value.ToString()));
            }
            var ok = form["secret"] == "test-secret" && form["response"] == "human-token";
            return Results.Json(ok
                ? new { success = true, challenge_ts = DateTime.UtcNow.ToString("O"), hostname = "sqlstudio.test", error_codes = Array.Empty<string>() }
                : (object)new { success = false, error_codes = new[] { "invalid-input-response" } });
        });
        await _cloudflare.StartAsync();
    }

    public async Task DisposeAsync() => await _cloudflare.DisposeAsync();

    [Theory]
    [InlineData("human-token", HttpStatusCode.Created)]
    [InlineData("bot-token", HttpStatusCode.BadRequest)]
    public async Task Register_Turnstile_FollowsSiteverify(string token, HttpStatusCode expected)
    {
        var address = _cloudflare.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Settings["Captcha:Provider"] = "turnstile";
            o.Settings["Captcha:Turnstile:SecretKey"] = "test-secret";
            o.Settings["Captcha:Turnstile:SiteKey"] = "site-key";
            o.Settings["Captcha:Turnstile:VerifyUrl"] = address + "/turnstile/v0/siteverify";
        });

        var response = await new AuthClient(server).PostAsync("/api/auth/register",
            new { email = AuthClient.NewEmail(), password = AuthClient.Password, name = "T", captcha = token });

        Assert.Equal(expected, response.StatusCode);
        lock (_received)
        {
            Assert.Contains(_received, r => r["response"] == token && r.ContainsKey("remoteip"));
        }
    }
}
