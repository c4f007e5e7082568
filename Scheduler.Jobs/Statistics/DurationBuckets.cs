namespace Scheduler.Jobs.Statistics;

/// <summary>
/// The fixed log-spaced duration buckets of <c>scheduler_duration_bucket(ms)</c> (migration 019): bucket 0 holds
/// [0, 1) ms, bucket k ≥ 1 holds [2^((k-1)/4), 2^(k/4)) ms, 127 everything longer. A percentile read from a bucket
/// is its geometric middle, at most 2^(1/8) (9.1 %) from any duration in it, and never above the exact maximum; the
/// last rank is the maximum itself.
/// </summary>
public static class DurationBuckets
{
    public const int Count = 128;

    /// <summary>The duration at rank ⌈<paramref name="quantile"/> × n⌉ of the counts in <paramref name="histogram"/>, estimated; null when empty.</summary>
    public static long? Percentile(long[] histogram, double quantile, long? maxMs)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var total = histogram.Sum();
        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        if (rank == total && maxMs is not null)
        {
            // The last rank is the longest run, which is known exactly.
            return maxMs;
        }

        long seen = 0;
        for (var k = 0; k < histogram.Length; k++)
        {
            seen += histogram[k];
            if (seen >= rank)
            {
                var estimate = k == 0 ? 0 : k == Count - 1 ? long.MaxValue : (long)Math.Round(Math.Pow(2, (k - 0.5) / 4));
                return maxMs is { } max ? Math.Min(estimate, max) : estimate;
            }
        }

        return maxMs;
    }
}
