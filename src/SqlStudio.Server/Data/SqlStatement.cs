using System.Data.Common;
using Dapper;

namespace SqlStudio.Server.Data;

/// <summary>
/// One statement and its arguments (an anonymous object, or a dictionary), built without I/O: run at once inside an
/// open transaction, or added to a <see cref="SqlBatch"/> so that a whole unit of work is one round trip.
/// </summary>
public sealed record SqlStatement(string Sql, object? Args)
{
    public Task<int> RunAsync(DbConnection c, DbTransaction? t) =>
        c.ExecuteAsync(Sql, Args is IEnumerable<KeyValuePair<string, object?>> pairs ? new DynamicParameters(pairs.ToDictionary()) : Args, t);

    public SqlBatch AddTo(SqlBatch batch) => batch.Execute(Sql, Args);
}
