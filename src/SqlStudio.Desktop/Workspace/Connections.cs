using System.Data.Common;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;
using SqlStudio.Sync;

namespace SqlStudio.Desktop.Workspace;

public static class Drivers
{
    public const string Sqlite = "sqlite";
    public const string PostgreSql = "postgresql";
    public const string MySql = "mysql";

    public static readonly (string Value, string Label)[] All = [(Sqlite, "SQLite"), (PostgreSql, "PostgreSQL"), (MySql, "MySQL")];

    public static string Label(string driver) => All.FirstOrDefault(d => d.Value == driver).Label ?? driver;

    public static int DefaultPort(string driver) => driver switch { PostgreSql => 5432, MySql => 3306, _ => 0 };
}

/// <summary>A connection as the app shows and edits it; its password is never part of it (the device's secret store keeps it).</summary>
public sealed record ConnectionDetails(string Id, string Name, string Driver, string? Host = null, int? Port = null, string? Database = null,
    string? User = null, string? SslMode = null, string? Color = null)
{
    /// <summary>For SQLite the database is a file.</summary>
    public string? File => Driver == Drivers.Sqlite ? Database : null;

    public bool NeedsPassword => Driver != Drivers.Sqlite;

    public string Describe() => Driver == Drivers.Sqlite ? Database ?? "" : $"{User}@{Host}:{Port ?? Drivers.DefaultPort(Driver)}/{Database}";
}

/// <summary>A database the app could not use, in words a person can act on.</summary>
public sealed class ConnectionProblem(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Connections of the workspace (records of type <c>connections</c>, synced without their passwords): list, save, delete,
/// open with the password kept on this device, and "Test connection".
/// </summary>
public sealed class Connections(WorkspaceStore workspace)
{
    public const string PasswordField = "password";

    public async Task<IReadOnlyList<ConnectionDetails>> ListAsync() =>
        (await workspace.ListAsync("connections")).Select(From).OrderBy(c => c.Name, StringComparer.CurrentCultureIgnoreCase).ToList();

    public async Task<ConnectionDetails?> FindAsync(string id) => await workspace.GetAsync("connections", id) is { Deleted: false } record ? From(record) : null;

    /// <summary>Saves the connection; a non-empty password goes to this device's secret store (the SDK strips it).</summary>
    public async Task SaveAsync(ConnectionDetails connection, string? password)
    {
        var data = new JsonObject
        {
            ["name"] = connection.Name, ["driver"] = connection.Driver, ["host"] = connection.Host, ["port"] = connection.Port,
            ["database_name"] = connection.Database, ["username"] = connection.User, ["ssl_mode"] = connection.SslMode, ["color"] = connection.Color,
        };
        if (!string.IsNullOrEmpty(password))
        {
            data[PasswordField] = password;
        }
        await workspace.PutAsync("connections", connection.Id, data);
    }

    public Task DeleteAsync(string id) => workspace.DeleteAsync("connections", id);

    /// <summary>True when this device has the connection's password (one synced from elsewhere asks for it once).</summary>
    public async Task<bool> HasPasswordAsync(string id) => (await (await workspace.StoreAsync()).SecretsAsync("connections", id)).ContainsKey(PasswordField);

    public async Task SetPasswordAsync(string id, string password)
    {
        var store = await workspace.StoreAsync();
        await store.WriteAsync(async (c, t) =>
        {
            await store.PutSecretAsync(c, t, "connections", id, PasswordField, password);
            return true;
        });
    }

    /// <summary>An open connection; a <see cref="ConnectionProblem"/> says why not.</summary>
    public async Task<DbConnection> OpenAsync(ConnectionDetails connection, CancellationToken ct, string? password = null)
    {
        password ??= (await (await workspace.StoreAsync()).SecretsAsync("connections", connection.Id)).GetValueOrDefault(PasswordField);
        DbConnection db = connection.Driver switch
        {
            Drivers.Sqlite => OpenSqlite(connection),
            Drivers.PostgreSql => new NpgsqlConnection(new NpgsqlConnectionStringBuilder
            {
                Host = connection.Host, Port = connection.Port ?? 5432, Database = connection.Database, Username = connection.User, Password = password,
                SslMode = Enum.TryParse<SslMode>(connection.SslMode, true, out var ssl) ? ssl : SslMode.Prefer, Timeout = 10,
                ApplicationName = "SQL Studio", Pooling = false,
            }.ConnectionString),
            Drivers.MySql => new MySqlConnection(new MySqlConnectionStringBuilder
            {
                Server = connection.Host, Port = (uint)(connection.Port ?? 3306), Database = connection.Database, UserID = connection.User, Password = password,
                SslMode = Enum.TryParse<MySqlSslMode>(connection.SslMode, true, out var mySsl) ? mySsl : MySqlSslMode.Preferred, ConnectionTimeout = 10,
                Pooling = false, AllowUserVariables = true,
            }.ConnectionString),
            _ => throw new ConnectionProblem($"'{connection.Driver}' is not a driver SQL Studio knows: use SQLite, PostgreSQL or MySQL."),
        };
        try
        {
            await db.OpenAsync(ct);
            return db;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await db.DisposeAsync();
            throw new ConnectionProblem(Explain(connection, ex), ex);
        }
    }

    /// <summary>"Test connection": opens, asks for the server's version, closes; the sentence to show either way.</summary>
    public async Task<(bool Ok, string Message)> TestAsync(ConnectionDetails connection, string? password, CancellationToken ct)
    {
        try
        {
            await using var db = await OpenAsync(connection, ct, string.IsNullOrEmpty(password) ? null : password);
            return (true, $"Connected: {Drivers.Label(connection.Driver)} {db.ServerVersion}.");
        }
        catch (ConnectionProblem problem)
        {
            return (false, problem.Message);
        }
    }

    private static SqliteConnection OpenSqlite(ConnectionDetails connection)
    {
        if (string.IsNullOrWhiteSpace(connection.File))
        {
            throw new ConnectionProblem("Choose the SQLite database file.");
        }
        var path = Path.GetFullPath(Environment.ExpandEnvironmentVariables(connection.File.Replace("~", Environment.GetFolderPath(Environment.SpecialFolder.UserProfile))));
        if (!System.IO.File.Exists(path))
        {
            throw new ConnectionProblem($"The file {path} does not exist. Check the path, or create the database first.");
        }
        return new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ConnectionString);
    }

    /// <summary>The database's refusal as a sentence: unreachable, wrong password, unknown database, and the rest.</summary>
    public static string Explain(ConnectionDetails connection, Exception ex)
    {
        var where = connection.Driver == Drivers.Sqlite ? connection.File : $"{connection.Host}:{connection.Port ?? Drivers.DefaultPort(connection.Driver)}";
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case ConnectionProblem problem:
                    return problem.Message;
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return $"Nothing answers at {where}: is the database server running, and is the port right?";
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData }:
                    return $"The host '{connection.Host}' cannot be found: check its name.";
                case SocketException socket:
                    return $"Cannot reach {where}: {socket.Message}";
                case TimeoutException:
                    return $"{where} did not answer within 10 seconds.";
                case PostgresException { SqlState: "28P01" or "28000" }:
                    return $"PostgreSQL refused the sign-in of '{connection.User}': check the user name and the password.";
                case PostgresException { SqlState: "3D000" }:
                    return $"The database '{connection.Database}' does not exist on {where}.";
                case PostgresException pg:
                    return $"PostgreSQL refused the connection: {pg.MessageText}";
                case MySqlException { ErrorCode: MySqlErrorCode.AccessDenied }:
                    return $"MySQL refused the sign-in of '{connection.User}': check the user name and the password.";
                case MySqlException { ErrorCode: MySqlErrorCode.UnknownDatabase }:
                    return $"The database '{connection.Database}' does not exist on {where}.";
                case MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost }:
                    return $"Nothing answers at {where}: is the database server running, and is the port right?";
                case SqliteException sqlite:
                    return $"SQLite cannot open {where}: {sqlite.Message}";
            }
        }
        return $"Cannot connect to {where}: {ex.Message}";
    }

    private static ConnectionDetails From(LocalRecord record) => new(
        record.Id, record.Text("name") ?? record.Id, record.Text("driver") ?? Drivers.Sqlite, record.Text("host"), (int?)record.Number("port"),
        record.Text("database_name"), record.Text("username"), record.Text("ssl_mode"), record.Text("color"));
}
