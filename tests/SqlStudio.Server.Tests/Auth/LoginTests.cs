using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

public sealed class LoginTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly AuthClient _client = new(fixture.Server);

    [Fact]
    public async Task Login_Valid_ReturnsTokenResponse()
    {
        var email = AuthClient.NewEmail();
        var userId = await _client.RegisterAsync(email);

        var tokens = await _client.LoginAsync(email.ToUpperInvariant(), rememberMe: false, deviceName: "Work laptop");

        Assert.Equal("Bearer", tokens.TokenType);
        Assert.Equal(900, tokens.ExpiresIn);
        Assert.Equal(7 * 24 * 3600, tokens.RefreshExpiresIn);
        Assert.Equal(userId, tokens.User.UserId);
        Assert.False(string.IsNullOrEmpty(tokens.RefreshToken));
        Assert.False(string.IsNullOrEmpty(tokens.SessionId));
    }

    [Fact]
    public async Task Login_RememberMe_Gets30DayRefresh()
    {
        var email = AuthClient.NewEmail();
        await _client.RegisterAsync(email);

        var tokens = await _client.LoginAsync(email, rememberMe: true);

        Assert.Equal(30 * 24 * 3600, tokens.RefreshExpiresIn);
    }

    [Fact]
    public async Task Login_WrongPasswordAndUnknownEmail_AnswerTheSame()
    {
        var email = AuthClient.NewEmail();
        await _client.RegisterAsync(email);

        var wrong = await _client.PostAsync("/api/auth/login", new { email, password = "Wrong-password-1" });
        var unknown = await _client.PostAsync("/api/auth/login", new { email = AuthClient.NewEmail(), password = "Wrong-password-1" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(await WithoutTraceAsync(wrong), await WithoutTraceAsync(unknown));
        Assert.Contains("invalid_credentials", await WithoutTraceAsync(wrong));
    }

    [Fact]
    public async Task Login_RehashesWhenIterationsGrow()
    {
        var data = TestServer.NewDataDirectory();
        var email = AuthClient.NewEmail();
        // The stored hash is read from the embedded file between the two servers: this test runs on SQLite.
        await using (var weak = await TestServer.StartAsync(o =>
        {
            o.DataDirectory = data;
            o.Settings["Database:Provider"] = "sqlite";
        }))
        {
            await new AuthClient(weak).RegisterAsync(email);
        }
        var before = await StoredIterationsAsync(data, email);

        await using var stronger = await TestServer.StartAsync(o =>
        {
            o.DataDirectory = data;
            o.Settings["Database:Provider"] = "sqlite";
            o.Settings["Auth:PasswordIterations"] = "5000";
        });
        await new AuthClient(stronger).LoginAsync(email);

        Assert.Equal(1000, before);
        Assert.Equal(5000, await StoredIterationsAsync(data, email));
    }

    [Fact]
    public void Passwords_DefaultCost_IsAtLeast210000Pbkdf2Sha512()
    {
        var options = new SqlStudio.Server.Auth.AuthOptions();
        var hash = new SqlStudio.Server.Auth.Passwords(options).Hash("Some-password-1");

        var (prf, iterations) = Decode(hash);

        Assert.True(options.PasswordIterations >= 210_000);
        Assert.Equal(2, prf); // KeyDerivationPrf.HMACSHA512
        Assert.Equal(options.PasswordIterations, iterations);
    }

    internal static async Task<string> WithoutTraceAsync(HttpResponseMessage response)
    {
        var json = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(await response.Content.ReadAsStringAsync())!;
        json.Remove("trace_id");
        return JsonSerializer.Serialize(json);
    }

    private static async Task<int> StoredIterationsAsync(string data, string email)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "sqlstudio.db")};Pooling=False");
        var hash = await connection.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE email = @email", new { email });
        return Decode(hash!).Iterations;
    }

    // Identity v3 format: 0x01, PRF (uint32 BE), iteration count (uint32 BE), salt length, salt, subkey.
    private static (int Prf, int Iterations) Decode(string hash)
    {
        var bytes = Convert.FromBase64String(hash);
        Assert.Equal(0x01, bytes[0]);
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(1)),
            System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(5)));
    }
}

public sealed class LockoutTests : IAsyncLifetime
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o =>
    {
        o.Time = _time;
        o.Settings["Auth:LockoutFailures"] = "3";
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Login_AfterTooManyFailures_LocksLikeAWrongPasswordAndEmailsOwner()
    {
        var client = new AuthClient(_server);
        var email = AuthClient.NewEmail();
        await client.RegisterAsync(email);
        for (var i = 0; i < 3; i++)
        {
            await client.PostAsync("/api/auth/login", new { email, password = "Wrong-password-1" });
        }

        var lockedRight = await client.PostAsync("/api/auth/login", new { email, password = AuthClient.Password });
        var wrong = await client.PostAsync("/api/auth/login", new { email, password = "Wrong-password-1" });

        Assert.Equal(HttpStatusCode.Unauthorized, lockedRight.StatusCode);
        Assert.Equal(await LoginTests.WithoutTraceAsync(wrong), await LoginTests.WithoutTraceAsync(lockedRight));
        var mail = await _server.Mailbox.WaitForAsync(email, "paused");
        Assert.Contains("too many failed attempts", mail.TextBody);

        _time.Advance(TimeSpan.FromMinutes(16));
        var tokens = await client.LoginAsync(email);
        Assert.False(string.IsNullOrEmpty(tokens.AccessToken));
    }
}
