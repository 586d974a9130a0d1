using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SqlStudio.Server.Data;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Data;

/// <summary>The schema's own guarantees, through the server's own connection factory.</summary>
public sealed class SchemaTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private Db Db => fixture.Server.Services.GetRequiredService<Db>();

    [Fact]
    public async Task AiMessage_MissingSession_IsRefusedByForeignKey()
    {
        var userId = await NewUserAsync();

        var ex = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => Db.WriteAsync((c, t) => c.ExecuteAsync(
            """
            INSERT INTO ai_messages (user_id, id, session_id, role, content, server_seq, updated_at, created_at)
            VALUES (@userId, @id, 'no-such-session', 'user', 'hello', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
            """, new { userId, id = Guid.CreateVersion7().ToString() }, t)));

        Assert.Contains("FOREIGN KEY", ex.Message);
    }

    [Fact]
    public async Task AiMessage_ExistingSession_IsStored()
    {
        var userId = await NewUserAsync();
        var sessionId = Guid.CreateVersion7().ToString();

        await Db.WriteAsync(async (c, t) =>
        {
            await c.ExecuteAsync(
                "INSERT INTO ai_sessions (user_id, id, title, server_seq, updated_at, created_at) VALUES (@userId, @sessionId, 'chat', 1, 'x', 'x')",
                new { userId, sessionId }, t);
            await c.ExecuteAsync(
                "INSERT INTO ai_messages (user_id, id, session_id, role, content, server_seq, updated_at, created_at) VALUES (@userId, 'm1', @sessionId, 'user', 'hi', 2, 'x', 'x')",
                new { userId, sessionId }, t);
        });

        var count = await Db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT count(*) FROM ai_messages WHERE user_id = @userId", new { userId }));
        Assert.Equal(1, count);
    }

    [Fact]
    public async Task SavedQueryFts_WordOfSql_FindsAndFollowsUpdateAndDelete()
    {
        var userId = await NewUserAsync();
        await Db.WriteAsync((c, t) => c.ExecuteAsync(
            """
            INSERT INTO saved_queries (user_id, id, title, description, sql, tags, server_seq, updated_at, created_at)
            VALUES (@userId, 'q1', 'Monthly revenue', 'finance report', 'SELECT sum(amount) FROM invoices', 'finance,monthly', 1, 'x', 'x')
            """, new { userId }, t));

        Assert.Equal(["q1"], await SearchSavedAsync(userId, "invoices"));
        Assert.Equal(["q1"], await SearchSavedAsync(userId, "finance"));

        await Db.WriteAsync((c, t) => c.ExecuteAsync(
            "UPDATE saved_queries SET sql = 'SELECT count(*) FROM customers' WHERE user_id = @userId AND id = 'q1'", new { userId }, t));
        Assert.Empty(await SearchSavedAsync(userId, "invoices"));
        Assert.Equal(["q1"], await SearchSavedAsync(userId, "customers"));

        await Db.WriteAsync((c, t) => c.ExecuteAsync(
            "DELETE FROM saved_queries WHERE user_id = @userId AND id = 'q1'", new { userId }, t));
        Assert.Empty(await SearchSavedAsync(userId, "customers"));
        var integrity = await Db.ReadAsync(c => c.ExecuteAsync("INSERT INTO saved_queries_fts (saved_queries_fts) VALUES ('integrity-check')"));
        Assert.Equal(1, integrity);
    }

    [Fact]
    public async Task QueryHistoryFts_WordOfQueryText_Finds()
    {
        var userId = await NewUserAsync();
        await Db.WriteAsync((c, t) => c.ExecuteAsync(
            """
            INSERT INTO query_history (user_id, id, query_text, executed_at, server_seq, updated_at, created_at)
            VALUES (@userId, 'h1', 'DELETE FROM sessions WHERE expired', 'x', 1, 'x', 'x')
            """, new { userId }, t));

        var found = await Db.ReadAsync(c => c.QueryAsync<string>(
            """
            SELECT h.id FROM query_history_fts f JOIN query_history h ON h.row_id = f.rowid
            WHERE query_history_fts MATCH 'expired' AND h.user_id = @userId
            """, new { userId }));

        Assert.Equal(["h1"], found);
    }

    [Fact]
    public async Task Users_EmailDifferingInCase_IsRefusedAsDuplicate()
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        await InsertUserAsync(email);

        var ex = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => InsertUserAsync(email.ToUpperInvariant()));

        Assert.Contains("UNIQUE", ex.Message);
    }

    [Fact]
    public async Task Connections_SameIdForTwoUsers_AreSeparateRows()
    {
        var alice = await NewUserAsync();
        var bob = await NewUserAsync();

        foreach (var (user, seq) in new[] { (alice, 1), (bob, 1) })
        {
            await Db.WriteAsync((c, t) => c.ExecuteAsync(
                "INSERT INTO connections (user_id, id, name, driver, server_seq, updated_at, created_at) VALUES (@user, 'same-id', 'db', 'postgres', @seq, 'x', 'x')",
                new { user, seq }, t));
        }

        var owners = await Db.ReadAsync(c => c.QueryAsync<string>("SELECT user_id FROM connections WHERE id = 'same-id' AND user_id IN (@alice, @bob)", new { alice, bob }));
        Assert.Equal(2, owners.Count());
    }

    private Task<IEnumerable<string>> SearchSavedAsync(string userId, string word) =>
        Db.ReadAsync(c => c.QueryAsync<string>(
            """
            SELECT s.id FROM saved_queries_fts f JOIN saved_queries s ON s.row_id = f.rowid
            WHERE saved_queries_fts MATCH @word AND s.user_id = @userId
            """, new { userId, word }));

    private async Task<string> NewUserAsync() => await InsertUserAsync($"{Guid.NewGuid():N}@example.com");

    private async Task<string> InsertUserAsync(string email)
    {
        var userId = Guid.CreateVersion7().ToString();
        await Db.WriteAsync((c, t) => c.ExecuteAsync(
            """
            INSERT INTO users (user_id, email, name, security_stamp, created_at, updated_at)
            VALUES (@userId, @email, 'Test', 'stamp', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
            """, new { userId, email }, t));
        return userId;
    }
}
