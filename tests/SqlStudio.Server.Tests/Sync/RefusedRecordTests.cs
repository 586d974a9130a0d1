using Microsoft.Data.Sqlite;
using SqlStudio.Server.Sync;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>A record the database refuses becomes a field error the client can act on, never the database's own text (issue #13 §4).</summary>
public sealed class RefusedRecordTests
{
    private static SqliteException Refusal(string schema, string insert)
    {
        using var connection = new SqliteConnection("Data Source=:memory:;Foreign Keys=True");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = schema;
            create.ExecuteNonQuery();
        }
        using var command = connection.CreateCommand();
        command.CommandText = insert;
        return Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
    }

    [Fact]
    public void CheckOnAField_IsThatFieldsError()
    {
        var ex = Refusal("CREATE TABLE saved_queries (title TEXT NOT NULL CHECK (length(title) > 0))", "INSERT INTO saved_queries VALUES ('')");

        var error = SyncRecords.Refused(EntityCatalogue.Find("saved_queries")!, ex);

        Assert.Equal("invalid_field", error.Code);
        Assert.StartsWith("saved_queries.title:", error.Message);
        Assert.DoesNotContain("CHECK", error.Message);
    }

    [Fact]
    public void ForeignKey_IsAMissingParent()
    {
        var ex = Refusal("CREATE TABLE s (id TEXT PRIMARY KEY); CREATE TABLE m (session_id TEXT REFERENCES s (id))", "INSERT INTO m VALUES ('nope')");

        var error = SyncRecords.Refused(EntityCatalogue.Find("ai_messages")!, ex);

        Assert.Equal("missing_parent", error.Code);
        Assert.DoesNotContain("FOREIGN KEY", error.Message);
    }
}
