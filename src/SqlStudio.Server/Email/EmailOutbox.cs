using System.Data.Common;
using System.Diagnostics.Metrics;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Email;

/// <summary>The <c>Email:Outbox</c> section (docs/configuration.md): how long and how often undelivered email is retried.</summary>
public sealed class EmailOutboxOptions
{
    /// <summary>How long an undelivered email keeps being retried before it is marked failed.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The first retry's delay; each next one doubles (with jitter), up to <see cref="RetryMax"/>.</summary>
    public TimeSpan RetryInitial { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the outbox is looked at for messages another instance queued or whose retry came due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claimed message is this instance's alone (a crash mid-send frees it after this).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Sent messages (bodies already cleared) are kept this long, for `email failed` context and support.</summary>
    public TimeSpan KeepSent { get; set; } = TimeSpan.FromDays(7);

    public int BatchSize { get; set; } = 20;
}

/// <summary>One row of the outbox, as `email failed` lists it.</summary>
public sealed record OutboxMessage(string MessageId, string ToAddress, string Subject, string State, long Attempts, string CreatedAt,
    string NextAttemptAt, string? LastError, string? SentAt);

/// <summary>
/// Email that survives a crash, a deploy or an SMTP outage: a message is a row of <c>email_outbox</c>, written in the
/// same transaction as the change that causes it (<see cref="Queue"/>), or on its own right after it. A background worker
/// on every instance claims due rows with a lease (so exactly one instance sends each), sends them, and retries failures
/// with exponential backoff and jitter for <c>Email:Outbox:RetryFor</c>; then the message is marked failed, visible
/// through `email failed`, the metric and the log, and `email retry` queues it again. Requests never wait on the mail
/// server, so their timing never tells whether an account exists.
/// </summary>
public sealed class EmailOutbox : BackgroundService
{
    private readonly Db _db;
    private readonly IEmailSender _sender;
    private readonly EmailOutboxOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EmailOutbox> _logger;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);

    /// <summary>How long after a wake-up sending starts (real time: a scheduling nicety, not business time).</summary>
    private static readonly TimeSpan WakeDelay = TimeSpan.FromMilliseconds(25);
    private readonly Counter<long> _sent;
    private readonly Meter _meter = new("SqlStudio.Server.Email");
    private volatile IReadOnlyDictionary<string, long> _counts = new Dictionary<string, long>();
    private double _oldestQueuedSeconds;
    private DateTimeOffset _lastCleanup = DateTimeOffset.MinValue;

    public EmailOutbox(Db db, IEmailSender sender, EmailOptions options, TimeProvider time, ILogger<EmailOutbox> logger)
    {
        _db = db;
        _sender = sender;
        _options = options.Outbox;
        _time = time;
        _logger = logger;
        _sent = _meter.CreateCounter<long>("sqlstudio.email.sent", description: "Delivery attempts by outcome (sent, retry, failed)");
        _meter.CreateObservableGauge("sqlstudio.email.outbox.messages", () => _counts.Select(c =>
            new Measurement<long>(c.Value, new KeyValuePair<string, object?>("state", c.Key))), description: "Email outbox rows by state");
        _meter.CreateObservableGauge("sqlstudio.email.outbox.oldest_queued", () => Volatile.Read(ref _oldestQueuedSeconds), "s",
            "Age of the oldest message still waiting to be sent");
    }

    /// <summary>Every outcome at zero from the start (Observability/MetricSeeds).</summary>
    public void SeedMetrics()
    {
        foreach (var outcome in new[] { "sent", "retry", "failed" })
        {
            _sent.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    /// <summary>The row for <paramref name="message"/>, to add to the batch of the change that causes it; then <see cref="Wake"/>.</summary>
    public SqlStatement Queue(EmailMessage message, string? messageId = null)
    {
        var now = StoredTime.Format(_time.GetUtcNow());
        return new SqlStatement(
            EmailStore.Insert,
            new { id = messageId ?? Guid.CreateVersion7().ToString(), to = message.To, name = message.ToName, subject = message.Subject, html = message.Html,
                text = message.Text, now });
    }

    /// <summary>Queues one message on its own (when no other write goes with it) and wakes the sender.</summary>
    public async Task EnqueueAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        await _db.WriteBatchAsync(Queue(message).AddTo(new SqlBatch()), cancellationToken);
        Wake();
    }

    /// <summary>Something was queued on this instance: send now rather than at the next poll.</summary>
    public void Wake() => _wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var full = false;
            try
            {
                full = await SendDueAsync(stoppingToken) >= _options.BatchSize;
                await RefreshCountsAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database is away: the rows wait in it, and the next poll tries again.
                _logger.LogWarning("Email outbox not reachable ({Message}); retrying in {Seconds} s", ex.Message, _options.PollInterval.TotalSeconds);
            }
            if (full)
            {
                continue;
            }
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var woken = _wake.WaitAsync(waiting.Token);
                await Task.WhenAny(Task.Delay(_options.PollInterval, _time, waiting.Token), woken);
                await waiting.CancelAsync();
                if (woken.IsCompletedSuccessfully)
                {
                    // Queued by a request on this instance: let its answer leave first, so sending never slows (or times)
                    // the request that queued it — which would tell an observer whether an email went out.
                    await Task.Delay(WakeDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
            // Several wake-ups are one pass.
            while (_wake.Wait(0))
            {
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // One last pass for what this instance queued just before it stopped; the rest waits in the table.
        try
        {
            await SendDueAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning("Email outbox not drained at shutdown ({Message}); the messages wait in the database", ex.Message);
        }
    }

    /// <summary>Claims up to a batch of due messages for this instance, sends them, and records each outcome.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var claimed = new List<Claimed>();
        var claim = new SqlBatch().Read(
            EmailStore.Claim,
            new { owner = _owner, until = StoredTime.Format(now + _options.Lease), now = StoredTime.Format(now), limit = _options.BatchSize },
            async reader =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    claimed.Add(new Claimed(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                        reader.IsDBNull(4) ? "" : reader.GetString(4), reader.IsDBNull(5) ? "" : reader.GetString(5), reader.GetInt64(6),
                        StoredTime.Parse(reader.GetString(7))));
                }
            });
        await _db.WriteBatchAsync(claim, cancellationToken);
        foreach (var message in claimed)
        {
            await DeliverAsync(message, cancellationToken);
        }
        return claimed.Count;
    }

    private async Task DeliverAsync(Claimed message, CancellationToken cancellationToken)
    {
        try
        {
            await _sender.SendAsync(new EmailMessage(message.To, message.Name, message.Subject, message.Html, message.Text, []), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping mid-send: free the row for the next instance (or this one after a restart) at once.
            await _db.WriteBatchAsync(new SqlBatch().Execute(
                EmailStore.Release,
                new { id = message.Id, owner = _owner }), CancellationToken.None);
            throw;
        }
        catch (Exception ex)
        {
            await FailedAttemptAsync(message, ex);
            return;
        }
        var now = StoredTime.Format(_time.GetUtcNow());
        // Sent: the bodies (which carry the links) go; the row stays a while as a record.
        await _db.WriteBatchAsync(new SqlBatch().Execute(
            EmailStore.MarkSent, new { id = message.Id, now }), CancellationToken.None);
        _sent.Add(1, new KeyValuePair<string, object?>("outcome", "sent"));
    }

    private async Task FailedAttemptAsync(Claimed message, Exception ex)
    {
        var now = _time.GetUtcNow();
        // What the mail server said, never the message itself (its links are secrets).
        var error = $"{ex.GetType().Name}: {ex.Message}";
        error = error.Length > 500 ? error[..500] : error;
        var delay = Backoff(message.Attempts);
        var givingUp = now + delay - message.CreatedAt > _options.RetryFor;
        await _db.WriteBatchAsync(new SqlBatch().Execute(
            EmailStore.MarkAttemptFailed, new { id = message.Id, state = givingUp ? "failed" : "queued", next = StoredTime.Format(now + delay), error }), CancellationToken.None);
        if (givingUp)
        {
            _sent.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            _logger.LogError("Email {MessageId} (\"{Subject}\") failed after {Attempts} attempts over {Hours:0.#} h: {Error}. " +
                             "`email failed` lists it, `email retry {MessageId}` sends it again",
                message.Id, message.Subject, message.Attempts, (now - message.CreatedAt).TotalHours, error, message.Id);
        }
        else
        {
            _sent.Add(1, new KeyValuePair<string, object?>("outcome", "retry"));
            _logger.LogWarning("Email {MessageId} (\"{Subject}\") not delivered (attempt {Attempt}): {Error}; next try in {Seconds:0} s",
                message.Id, message.Subject, message.Attempts, error, delay.TotalSeconds);
        }
    }

    /// <summary>Exponential from <c>RetryInitial</c>, capped at <c>RetryMax</c>, with full jitter on the upper half.</summary>
    private TimeSpan Backoff(long attempts)
    {
        var ceiling = Math.Min(_options.RetryMax.TotalMilliseconds, _options.RetryInitial.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 30)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private async Task RefreshCountsAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long> { ["queued"] = 0, ["sent"] = 0, ["failed"] = 0 };
        string? oldest = null;
        var now = _time.GetUtcNow();
        var reads = new SqlBatch()
            .Read(EmailStore.CountsByState, null, async reader =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    counts[reader.GetString(0)] = reader.GetInt64(1);
                }
            })
            .Query<string>(EmailStore.OldestQueued, null, rows => oldest = rows.FirstOrDefault());
        await _db.ReadBatchAsync(reads, cancellationToken);
        _counts = counts;
        Volatile.Write(ref _oldestQueuedSeconds, oldest is null ? 0 : Math.Max(0, (now - StoredTime.Parse(oldest)).TotalSeconds));
        if (now - _lastCleanup > TimeSpan.FromHours(1))
        {
            _lastCleanup = now;
            await _db.WriteBatchAsync(new SqlBatch().Execute(EmailStore.DeleteSentBefore,
                new { before = StoredTime.Format(now - _options.KeepSent) }), cancellationToken);
        }
    }

    /// <summary>The messages that were given up on (`email failed`).</summary>
    public async Task<IReadOnlyList<OutboxMessage>> FailedAsync(CancellationToken cancellationToken = default)
    {
        var rows = new List<OutboxMessage>();
        await _db.ReadBatchAsync(new SqlBatch().Query<OutboxMessage>(
            EmailStore.Failed, null, found => rows = found), cancellationToken);
        return rows;
    }

    /// <summary>Queues failed messages again (one by id, or all of them); how many were queued.</summary>
    public async Task<int> RetryAsync(string? messageId, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var count = 0;
        // A retried message gets a fresh retry window: it is as if it was queued now.
        await _db.WriteBatchAsync(new SqlBatch().Query<long>(
            EmailStore.Retry, new { id = messageId, now = StoredTime.Format(now) }, rows => count = rows.Count), cancellationToken);
        Wake();
        return count;
    }

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }

    private sealed record Claimed(string Id, string To, string Name, string Subject, string Html, string Text, long Attempts, DateTimeOffset CreatedAt);
}
