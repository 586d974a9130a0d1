namespace SqlStudio.Server.Observability;

/// <summary>Gauges computed from the database: refreshed once a minute in the background, never per scrape.</summary>
public static class Refresh
{
    public static async Task EveryMinuteAsync(Func<CancellationToken, Task> refresh, TimeProvider time, ILogger logger, string what, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        do
        {
            try
            {
                await refresh(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("{What} not refreshed ({Message}); next try in a minute", what, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }
}
