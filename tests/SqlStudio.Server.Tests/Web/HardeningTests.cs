using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;
using SqlStudio.Testing;
using Xunit;

namespace SqlStudio.Server.Tests.Web;

/// <summary>
/// Issue #21: what an attacker or a careless client sent that broke the server or walked around a rule. Each push case
/// sends the bad mutation beside a good one: the bad one is rejected, the good one applies, never a 500.
/// </summary>
public sealed class HardeningTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Mutation(string id, string type, string data) =>
        $$"""{"mutation_id":"m-{{id}}","entity_type":"{{type}}","entity_id":"{{id}}","op":"upsert","base_version":0,"updated_at":"2026-01-01T00:00:00Z","data":{{data}}}""";

    private static string Good(string id) => Mutation(id, "saved_queries", """{"title":"fine","sql":"select 1"}""");

    /// <summary>Pushes the bad mutation and a good one; returns the bad one's result after checking the good one applied.</summary>
    private async Task<JsonElement> PushBesideGoodAsync(SyncClient user, string bad, string path = "/api/sync/push")
    {
        var good = "good-" + Guid.NewGuid().ToString("N")[..8];
        var response = await user.Http.PostAsync(path, Json($$"""{"device_id":"d1","mutations":[{{bad}},{{Good(good)}}]}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        var results = JsonDocument.Parse(body).RootElement.GetProperty("results");
        Assert.Equal("applied", results[1].GetProperty("status").GetString());
        return results[0];
    }

    public static TheoryData<string, string> BadMutations => new()
    {
        // 1. a duplicate key inside a connection's options, at the top and deeper
        { "connections", """{"name":"n","driver":"pg","options":{"a":1,"a":2}}""" },
        { "connections", """{"name":"n","driver":"pg","options":{"ssl":{"mode":"x","mode":"y"}}}""" },
        // 2. a lone surrogate inside options: value, key, in an array
        { "connections", """{"name":"n","driver":"pg","options":{"k":"\ud800"}}""" },
        { "connections", """{"name":"n","driver":"pg","options":{"\udc00":"v"}}""" },
        { "connections", """{"name":"n","driver":"pg","options":{"list":["ok","\ud800x"]}}""" },
        // 3. a lone surrogate in a preference's value
        { "ui_preferences", """{"key":"theme","value":"\ud800"}""" },
        { "ui_preferences", """{"key":"theme","value":{"nested":["\udfff"]}}""" },
        // 6. a secret key whatever its length
        { "connections", "{\"name\":\"n\",\"driver\":\"pg\",\"options\":{\"" + new string('a', 300) + "_password\":\"hunter2\"}}" },
        { "connections", "{\"name\":\"n\",\"driver\":\"pg\",\"options\":{\"deep\":{\"" + new string('b', 5000) + "Secret\":\"s3cr3t\"}}}" },
    };

    [Theory]
    [MemberData(nameof(BadMutations))]
    public async Task Push_BadValue_ThatMutationRejected_NeighbourApplied_NothingStored(string type, string data)
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var id = type == "ui_preferences" ? "theme" : "x1";

        var result = await PushBesideGoodAsync(user, Mutation(id, type, data));

        Assert.Equal("rejected", result.GetProperty("status").GetString());
        var (records, _) = await user.PullAllAsync();
        Assert.DoesNotContain((type, id), records.Keys);
        Assert.DoesNotContain("hunter2", JsonSerializer.Serialize(records.Values));
    }

    [Theory]
    [MemberData(nameof(BadMutations))]
    public async Task Import_BadValue_IsThatRecordsFailure_NeverA500(string type, string data)
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var record = JsonNode.Parse(data)!.AsObject();
        record["id"] = type == "ui_preferences" ? "theme" : "x1";
        // The record goes in as raw text: JsonNode would refuse to build the duplicate key or the surrogate itself.
        var raw = "{\"id\":\"" + record["id"] + "\"," + data[1..];
        var response = await user.Http.PostAsync("/api/sync/import",
            Json("{\"import_id\":\"imp-" + Guid.NewGuid().ToString("N") + "\",\"on_duplicate\":\"skip\",\"records\":{\"" + type + "\":[" + raw + "]}}"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode is 200 or 400, $"{(int)response.StatusCode}: {body}");
        var (records, _) = await user.PullAllAsync();
        Assert.Empty(records);
    }

    [Theory]
    [InlineData("t7\n")]
    [InlineData("t7\r")]
    [InlineData("t7\r\n")]
    [InlineData("t7\t")]
    [InlineData("t7\u0000")]
    public async Task Ids_WithTrailingControlCharacters_AreRefused(string bad)
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var escaped = JsonSerializer.Serialize(bad);

        var entity = await PushBesideGoodAsync(user, """{"mutation_id":"m-e","entity_type":"saved_queries","entity_id":""" + escaped + ""","op":"upsert","base_version":0,"updated_at":"2026-01-01T00:00:00Z","data":{"title":"t","sql":"s"}}""");
        var mutation = await PushBesideGoodAsync(user, """{"mutation_id":""" + escaped + ""","entity_type":"saved_queries","entity_id":"e2","op":"upsert","base_version":0,"updated_at":"2026-01-01T00:00:00Z","data":{"title":"t","sql":"s"}}""");
        var device = await user.Http.PostAsync("/api/sync/push", Json($$"""{"device_id":{{escaped}},"mutations":[{{Good("g")}}]}"""));

        Assert.Equal("rejected", entity.GetProperty("status").GetString());
        Assert.Equal("rejected", mutation.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, device.StatusCode);
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task Body_ThatDoesNotDecompress_400MalformedBody(string encoding)
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        foreach (var bytes in new[] { "garbage\n"u8.ToArray(), new byte[] { 0xff, 0xff, 0xff, 0xff }, new byte[64] })
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            content.Headers.ContentEncoding.Add(encoding);

            var response = await user.Http.PostAsync("/api/sync/push", content);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task ResendVerification_WithoutEmail_400()
    {
        var api = new AuthClient(fixture.Server);

        var empty = await api.PostAsync("/api/auth/resend-verification", new { });
        var forgot = await api.PostAsync("/api/auth/forgot-password", new { });

        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forgot.StatusCode);
    }

    [Theory]
    [InlineData("ａｄａ{0}@example.com")]          // fullwidth letters
    [InlineData("ada{0}@exampl\u200Be.com")]        // a zero-width space
    [InlineData("a\u00ADda{0}@example.com")]        // a soft hyphen
    [InlineData("ada{0}@example.com.")]             // a trailing dot
    [InlineData("ada{0}@EXAMPLE.com")]              // the domain's case
    [InlineData(" ada{0}@example.com\uFEFF")]       // spaces and a byte-order mark
    public async Task LookAlikeEmail_IsTheSameAccount(string variant)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var api = new AuthClient(fixture.Server);
        await api.RegisterVerifiedAsync($"ada{tag}@example.com");

        await api.PostAsync("/api/auth/register", new { email = string.Format(variant, tag), password = AuthClient.Password, name = "Ada", captcha = "" });
        var login = await api.PostAsync("/api/auth/login", new { email = string.Format(variant, tag), password = AuthClient.Password });

        Assert.Equal(1L, await CountUsersAsync(tag));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Theory]
    [InlineData("{0}\u212Aelvin@example.com", "{0}Kelvin@example.com")]   // the Kelvin sign
    [InlineData("{0}e\uFB00ort@example.com", "{0}effort@example.com")]     // the ff ligature
    [InlineData("{0}jose\u0301@example.com", "{0}jos\u00E9@example.com")]   // NFD, then NFC
    public async Task CompatibilityForms_FoldToOneAccount(string first, string second)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var api = new AuthClient(fixture.Server);

        await api.RegisterAsync(string.Format(first, tag));
        await api.PostAsync("/api/auth/register", new { email = string.Format(second, tag), password = AuthClient.Password, name = "Ada", captcha = "" });

        Assert.Equal(1L, await CountUsersAsync(tag));
    }

    [Fact]
    public async Task MixedScriptEmail_IsRefused()
    {
        var api = new AuthClient(fixture.Server);

        // "pаypal" with a Cyrillic а.
        var response = await api.PostAsync("/api/auth/register", new { email = $"p\u0430ypal{Guid.NewGuid():N}@example.com", password = AuthClient.Password, name = "Ada" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("alphabets", await response.Content.ReadAsStringAsync());
    }

    /// <summary>Sends raw bytes (what HttpClient will not send: a NUL in a header) and reads the whole answer.</summary>
    private async Task<string> RawAsync(byte[] request)
    {
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(fixture.Server.BaseAddress.Host, fixture.Server.BaseAddress.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await reader.ReadToEndAsync(timeout.Token);
    }

    public static TheoryData<string> KestrelRefusals => new()
    {
        "GET /api/sync/head%00 HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Note: a\0b\r\n\r\n",
        // The second request of a kept-alive connection, after a good one.
        "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\nGET /x%00 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    };

    [Theory]
    [MemberData(nameof(KestrelRefusals))]
    public async Task NulInThePathOrAHeader_ProblemDetailsWithACode_NotKestrelsEmpty400(string request)
    {
        var answer = await RawAsync(Encoding.ASCII.GetBytes(request));

        var last = answer[answer.LastIndexOf("HTTP/1.1 ", StringComparison.Ordinal)..];
        Assert.StartsWith("HTTP/1.1 400 ", last);
        Assert.Contains("Content-Type: application/problem+json", last);
        var body = JsonDocument.Parse(last[(last.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]).RootElement;
        Assert.Equal(("bad_request", 400), (body.GetProperty("code").GetString(), body.GetProperty("status").GetInt32()));
    }

    [Fact]
    public async Task Jwks_IsDocumentedWithItsSchema()
    {
        var document = JsonNode.Parse(await fixture.Client.GetStringAsync("/openapi/v1.json"))!;

        var ok = document["paths"]!["/.well-known/jwks.json"]!["get"]!["responses"]!["200"]!;

        Assert.NotNull(ok["content"]?["application/json"]?["schema"]);
    }

    private async Task<long> CountUsersAsync(string tag) =>
        await fixture.Server.Services.GetRequiredService<Db>().ReadAsync(c =>
            c.ExecuteScalarAsync<long>("SELECT count(*) FROM users WHERE email LIKE @pattern", new { pattern = $"%{tag}%" }));
}
