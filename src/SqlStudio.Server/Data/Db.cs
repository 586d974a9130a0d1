using System.Data.Common;

namespace SqlStudio.Server.Data;

/// <summary>
/// The one way features reach the database: <see cref="ReadAsync{T}"/> for queries and
/// <see cref="WriteAsync{T}"/> for a unit of work in a write transaction, run again with backoff when the
/// database answered "busy". Dapper runs on the connection it hands out.
/// </summary>
public sealed class Db(IDbProvider provider, DatabaseOptions options, ILogger<Db> logger)
{
    static Db()
    {
        // Columns are snake_case, records PascalCase: user_id fills UserId.
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public IDbProvider Provider => provider;

    public Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default) =>
        provider.OpenAsync(cancellationToken);

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken = default)
    {
        return await RetryBusyAsync(async () =>
        {
            await using var connection = await provider.OpenAsync(cancellationToken);
            return await work(connection);
        }, cancellationToken);
    }

    public async Task<T> WriteAsync<T>(
        Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken = default)
    {
        return await RetryBusyAsync(async () =>
        {
            using var writer = await provider.EnterWriterAsync(cancellationToken);
            await using var connection = await provider.OpenAsync(cancellationToken);
            await using var transaction = await provider.BeginWriteAsync(connection, cancellationToken);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }, cancellationToken);
    }

    public Task WriteAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken cancellationToken = default) =>
        WriteAsync(async (c, t) =>
        {
            await work(c, t);
            return true;
        }, cancellationToken);

    /// <summary>Runs a batch of reads in one round trip (one consistent snapshot).</summary>
    public Task ReadBatchAsync(SqlBatch batch, CancellationToken cancellationToken = default) =>
        RetryBusyAsync(async () =>
        {
            await provider.RunBatchAsync(batch, write: false, cancellationToken);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Runs a batch of writes as one transaction in one round trip. Throws <see cref="WriteConflictException"/> when its
    /// <see cref="SqlBatch.Guard"/> failed (nothing was written): the caller reads again and decides again.
    /// </summary>
    public async Task WriteBatchAsync(SqlBatch batch, CancellationToken cancellationToken = default)
    {
        try
        {
            await RetryBusyAsync(async () =>
            {
                using var writer = await provider.EnterWriterAsync(cancellationToken);
                await provider.RunBatchAsync(batch, write: true, cancellationToken);
                return true;
            }, cancellationToken);
        }
        catch (Exception ex) when (SqlBatch.IsGuardFailure(ex))
        {
            throw new WriteConflictException(ex);
        }
    }

    private async Task<T> RetryBusyAsync<T>(Func<Task<T>> attempt, CancellationToken cancellationToken)
    {
        for (var retry = 0; ; retry++)
        {
            try
            {
                return await attempt();
            }
            catch (Exception ex) when (retry < options.BusyRetries && provider.IsBusy(ex))
            {
                // The whole unit of work is run again: its transaction was rolled back, so nothing is doubled.
                var delay = TimeSpan.FromMilliseconds(25 * Math.Pow(2, retry) + Random.Shared.Next(0, 25));
                logger.LogWarning("Database busy, retrying in {DelayMs} ms (retry {Retry})", (int)delay.TotalMilliseconds, retry + 1);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }
}
