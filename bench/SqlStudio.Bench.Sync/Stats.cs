namespace SqlStudio.Bench.Sync;

/// <summary>Percentiles of timings, nearest rank, the same way in every sync benchmark.</summary>
public static class Stats
{
    public static double Median(List<double> values) => Percentile(values, 50);

    public static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Clamp(Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
