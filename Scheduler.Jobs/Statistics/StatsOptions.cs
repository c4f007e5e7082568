using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Statistics;

/// <summary>Statistics (<c>GET /api/jobs/stats</c>) and the rollup that keeps them cheap, from <c>Stats</c>.</summary>
public sealed class StatsOptions
{
    public const string Section = "Stats";

    /// <summary>The longest range one answer may cover.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3660.00:00:00")]
    public TimeSpan MaxRange { get; set; } = TimeSpan.FromDays(400);

    /// <summary>The most buckets one answer's series may have.</summary>
    [Range(1, 100_000)]
    public int MaxBuckets { get; set; } = 1500;

    /// <summary>
    /// How long after an hour ends it is rolled up. An outcome written with a completion time older than this (its
    /// node lost the database for longer) falls in an hour already rolled up and is not counted there.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RollupDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often a node checks whether an hour has closed. It touches the database only when one has (about once an
    /// hour), or when the check finds another node rolling.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The most history one rollup statement reads (a node catching up rolls chunk after chunk).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "366.00:00:00")]
    public TimeSpan RollupChunk { get; set; } = TimeSpan.FromDays(7);
}
