namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>Percentiles (nearest rank) of a set of samples.</summary>
internal sealed class Stats
{
    private readonly double[] _sorted;

    public Stats(IEnumerable<double> samples)
    {
        _sorted = [.. samples.Order()];
    }

    public int Count => _sorted.Length;

    public double P50 => Percentile(50);

    public double P95 => Percentile(95);

    public double P99 => Percentile(99);

    public double Max => _sorted.Length == 0 ? double.NaN : _sorted[^1];

    public double Min => _sorted.Length == 0 ? double.NaN : _sorted[0];

    public double Mean => _sorted.Length == 0 ? double.NaN : _sorted.Average();

    public double Percentile(double p)
    {
        if (_sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * _sorted.Length);
        return _sorted[Math.Clamp(rank - 1, 0, _sorted.Length - 1)];
    }

    /// <summary>The share of samples at or below <paramref name="limit"/>, in percent.</summary>
    public double PercentAtMost(double limit) => _sorted.Length == 0 ? double.NaN : 100.0 * _sorted.Count(s => s <= limit) / _sorted.Length;
}
