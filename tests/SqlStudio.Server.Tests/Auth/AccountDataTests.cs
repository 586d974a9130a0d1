using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SqlStudio.Contracts;
using SqlStudio.Server.Billing;
using SqlStudio.Server.Tests.Billing;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>The account data routes: the export holds every record and no secret; deletion leaves nothing behind.</summary>
public sealed class AccountDataTests(BillingFixture fixture) : IClassFixture<BillingFixture>
{
    private const string T0 = "2026-11-20T10:00:00Z";

    private TestServer Server => fixture.Server;

    /// <summary>A user in the trial with one record of every synced type, each carrying <paramref name="marker"/> in a text field.</summary>
    private async Task<SyncClient> UserWithEveryTypeAsync(string marker)
    {
        var user = await NewUserAsync(Server);
        await SubscribeAsync(user);
        await user.PushAsync("laptop",
            Upsert("connections", "c1", 0, T0, new JsonObject { ["name"] = marker, ["driver"] = "pg", ["host"] = "db.internal" }),
            Upsert("query_tabs", "t1", 0, T0, new JsonObject { ["title"] = marker, ["content"] = "select 1" }),
            Upsert("query_history", "h1", 0, T0, new JsonObject { ["query_text"] = "select '" + marker + "'", ["executed_at"] = T0 }),
            Upsert("saved_queries", "q1", 0, T0, new JsonObject { ["title"] = marker, ["sql"] = "select 2" }),
            Upsert("ai_sessions", "s1", 0, T0, new JsonObject { ["title"] = marker }),
            Upsert("ai_messages", "m1", 0, T0, new JsonObject { ["session_id"] = "s1", ["role"] = "user", ["content"] = marker }),
            Upsert("ui_preferences", "theme", 0, T0, new JsonObject { ["key"] = "theme", ["value"] = marker }));
        return user;
    }

    [Fact]
    public async Task Export_HoldsEveryRecordAndTheAccount_NeverASecret()
    {
        var marker = "export-" + Guid.NewGuid().ToString("N");
        var user = await UserWithEveryTypeAsync(marker);
        await user.PushAsync("laptop", Delete("query_tabs", "t1", 1, "2026-11-20T11:00:00Z"));

        var response = await user.Http.GetAsync("/api/account/export");
        var text = await response.Content.ReadAsStringAsync();
        var export = JsonNode.Parse(text)!.AsObject();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString());
        Assert.Equal(user.Tokens.User.Email, export["account"]!["email"]!.GetValue<string>());
        var records = export["records"]!.AsObject();
        Assert.Equal(["ai_messages", "ai_sessions", "connections", "query_history", "query_tabs", "saved_queries", "ui_preferences"],
            records.Select(r => r.Key).Order());
        foreach (var (type, list) in records)
        {
            // The deleted tab is gone; everything else is there once, with its marker.
            Assert.Equal(type == "query_tabs" ? 0 : 1, list!.AsArray().Count);
        }
        Assert.Contains(marker, records["saved_queries"]![0]!["title"]!.GetValue<string>());
        Assert.Equal("laptop", export["devices"]![0]!["device_id"]!.GetValue<string>());
        Assert.NotEmpty(export["sessions"]!.AsArray());
        Assert.NotEmpty(export["security_events"]!.AsArray());
        // Secrets of the account itself never leave: password hash, security stamp, token hashes, the tokens themselves.
        var (hash, stamp) = await QueryAsync<(string, string)>("SELECT password_hash, security_stamp FROM users WHERE user_id = @id",
            new { id = user.Tokens.User.UserId });
        Assert.DoesNotContain(hash, text);
        Assert.DoesNotContain(stamp, text);
        Assert.DoesNotContain(user.Tokens.RefreshToken, text);
        Assert.DoesNotContain("password_hash", text);
    }

    [Fact]
    public async Task Export_WithoutSignIn_Is401()
    {
        using var anonymous = Server.CreateClient();

        var response = await anonymous.GetAsync("/api/account/export");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Delete_WrongOrMissingPassword_Is401_AndKeepsEverything()
    {
        var user = await UserWithEveryTypeAsync("keep-" + Guid.NewGuid().ToString("N"));

        var wrong = await SendDeleteAsync(user, new { password = "not-the-password" });
        var missing = await SendDeleteAsync(user, null);

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("invalid_credentials", (await AuthClient.ProblemAsync(wrong)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(1L, await QueryAsync<long>("SELECT count(*) FROM users WHERE user_id = @id", new { id = user.Tokens.User.UserId }));
        Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync("/api/sync/head")).StatusCode);
    }

    [Fact]
    public async Task Delete_RemovesEveryRowOfTheUser_EndsSessions_CancelsStripe_SendsConfirmation()
    {
        var marker = "delete-" + Guid.NewGuid().ToString("N");
        var user = await UserWithEveryTypeAsync(marker);
        var userId = user.Tokens.User.UserId;
        var email = user.Tokens.User.Email;
        var subscription = await SubscriptionOfAsync(userId);
        var other = await UserWithEveryTypeAsync("other-" + Guid.NewGuid().ToString("N"));

        var response = await SendDeleteAsync(user, new { password = AuthClient.Password });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        // Nothing of the user in any table (FTS shadow tables included): not the id, not the email, not the data.
        Assert.Empty(await TablesContainingAsync(userId));
        Assert.Empty(await TablesContainingAsync(marker));
        Assert.Equal(["email_outbox"], await TablesContainingAsync(email));
        Assert.Equal("canceled", Stripe.Subscriptions[subscription]["status"]!.GetValue<string>());
        Assert.Single(Stripe.Requests, r => r.Method == "DELETE" && r.Path == "/v1/subscriptions/" + subscription);
        await Server.Mailbox.WaitForAsync(email, "account is deleted");
        // Its access token stops at once; its refresh token is gone.
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Http.GetAsync("/api/sync/head")).StatusCode);
        var refresh = await new AuthClient(Server).PostAsync("/api/auth/refresh", new { refresh_token = user.Tokens.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        // Another user's data is untouched.
        Assert.Equal(7, (await other.ChangesAsync(0)).Changes.Values.Sum(c => c.Count));
    }

    [Fact]
    public async Task Delete_WhenStripeCannotCancel_Is503_AndDeletesNothing()
    {
        var user = await UserWithEveryTypeAsync("stripe-down-" + Guid.NewGuid().ToString("N"));
        var subscription = await SubscriptionOfAsync(user.Tokens.User.UserId);
        Stripe.FailNextCancels = 10;

        var response = await SendDeleteAsync(user, new { password = AuthClient.Password });
        Stripe.FailNextCancels = 0;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("billing_unavailable", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
        Assert.Equal(1L, await QueryAsync<long>("SELECT count(*) FROM users WHERE user_id = @id", new { id = user.Tokens.User.UserId }));
        Assert.NotEqual("canceled", Stripe.Subscriptions[subscription]["status"]!.GetValue<string>());
    }

    private FakeStripe Stripe => fixture.Stripe;

    private static Task<HttpResponseMessage> SendDeleteAsync(SyncClient user, object? body)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, "/api/account");
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: AuthClient.Json);
        }
        return user.Http.SendAsync(request);
    }

    /// <summary>Checkout, completed at the fake Stripe, fulfilled: a trialing subscription. Its Stripe id.</summary>
    private async Task<string> SubscribeAsync(SyncClient user)
    {
        var response = await user.Http.PostAsJsonAsync("/api/billing/create-checkout", new { price_id = FakeStripe.MonthlyPrice });
        var checkout = (await response.Content.ReadFromJsonAsync<CheckoutResponse>(AuthClient.Json))!;
        var subscription = Stripe.Complete(checkout.SessionId);
        await Server.Services.GetRequiredService<BillingService>().FulfilFromSessionAsync(user.Tokens.User.UserId, checkout.SessionId, default);
        return subscription["id"]!.GetValue<string>();
    }

    private Task<string> SubscriptionOfAsync(string userId) =>
        QueryAsync<string>("SELECT stripe_subscription_id FROM subscriptions WHERE user_id = @userId", new { userId });

    /// <summary>Every table with a value containing <paramref name="needle"/> in any column.</summary>
    private async Task<List<string>> TablesContainingAsync(string needle)
    {
        await using var db = new SqliteConnection($"Data Source={Server.DatabasePath};Mode=ReadOnly;Pooling=False");
        var found = new List<string>();
        foreach (var table in await db.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        {
            var columns = (await db.QueryAsync<string>($"SELECT name FROM pragma_table_info('{table}')")).ToList();
            if (columns.Count == 0)
            {
                continue;
            }
            var where = string.Join(" OR ", columns.Select(c => $"instr(CAST(\"{c}\" AS TEXT), @needle) > 0"));
            if (await db.ExecuteScalarAsync<long>($"SELECT count(*) FROM \"{table}\" WHERE {where}", new { needle }) > 0)
            {
                found.Add(table);
            }
        }
        return found;
    }

    private async Task<T> QueryAsync<T>(string sql, object args)
    {
        await using var db = new SqliteConnection($"Data Source={Server.DatabasePath};Pooling=False");
        return (await db.QuerySingleAsync<T>(sql, args))!;
    }
}
