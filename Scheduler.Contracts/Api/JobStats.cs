using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace Scheduler.Contracts.Api;

/// <summary>
/// <c>GET /api/jobs/stats</c>: executions that ended in [<see cref="From"/>, <see cref="To"/>) (by completion time), per
/// job type and over all of them, with a series of <see cref="Bucket"/>-long buckets for charts.
/// </summary>
/// <param name="From">Start of the range (inclusive).</param>
/// <param name="To">End of the range (exclusive).</param>
/// <param name="Bucket">The series' bucket: <c>minute</c>, <c>hour</c> or <c>day</c>, aligned to UTC.</param>
/// <param name="GeneratedAt">When this answer was made.</param>
/// <param name="Overall">Every type together.</param>
/// <param name="Types">Each type with runs in the range (or the one asked for), ordered by name.</param>
public sealed record JobStatsReport(
    DateTimeOffset From,
    DateTimeOffset To,
    string Bucket,
    DateTimeOffset GeneratedAt,
    JobStatsSummary Overall,
    IReadOnlyList<JobTypeStats> Types);

/// <summary>What ended in the range: counts, success rate, durations, a series and the top failure reasons.</summary>
public record JobStatsSummary
{
    /// <summary>Finished runs per status; every status present, 0 when none.</summary>
    public required StatusCounts Counts { get; init; }

    /// <summary>All finished runs.</summary>
    public required long Total { get; init; }

    /// <summary>completed / (completed + failed), to 4 decimals; null when neither.</summary>
    public double? SuccessRate { get; init; }

    /// <summary>Durations of completed and failed runs: percentiles approximate (within 9.1 %), max exact.</summary>
    public required DurationSummary Duration { get; init; }

    /// <summary>One entry per bucket in the range, empty buckets included (the first and last may be partial).</summary>
    public required IReadOnlyList<StatsBucket> Series { get; init; }

    /// <summary>The 10 most frequent failure reasons (then the most recently seen), as <c>scheduler_failure_reason(error)</c> has them.</summary>
    public required IReadOnlyList<FailureReason> FailureReasons { get; init; }
}

/// <summary>One job type's <see cref="JobStatsSummary"/>.</summary>
public sealed record JobTypeStats : JobStatsSummary
{
    /// <summary>An empty one, for deserializers.</summary>
    public JobTypeStats()
    {
    }

    /// <summary>The type <paramref name="jobType"/> with <paramref name="summary"/>'s figures.</summary>
    [SetsRequiredMembers]
    public JobTypeStats(string jobType, JobStatsSummary summary)
        : base(summary) => JobType = jobType;

    /// <summary>The job type.</summary>
    [JsonPropertyOrder(-1)]
    public required string JobType { get; init; }
}

/// <summary>Finished runs per status.</summary>
public sealed record StatusCounts(long Completed, long Failed, long Cancelled, long Skipped);

/// <summary>Durations in milliseconds; nulls when no completed or failed run.</summary>
/// <param name="P50Ms">Median (approximate).</param>
/// <param name="P95Ms">95th percentile (approximate).</param>
/// <param name="MaxMs">Longest (exact, to the millisecond).</param>
public sealed record DurationSummary(long? P50Ms, long? P95Ms, long? MaxMs);

/// <summary>One bucket of a series.</summary>
/// <param name="Start">Where the bucket starts (UTC-aligned; the range may cut the first and last).</param>
/// <param name="Counts">Finished runs per status in it.</param>
/// <param name="SuccessRate">completed / (completed + failed); null when neither.</param>
/// <param name="P50Ms">Median duration of its completed and failed runs (approximate); null when none.</param>
/// <param name="P95Ms">95th percentile (approximate); null when none.</param>
public sealed record StatsBucket(DateTimeOffset Start, StatusCounts Counts, double? SuccessRate, long? P50Ms, long? P95Ms);

/// <summary>Failed runs with one normalised error.</summary>
/// <param name="Reason">The error with URLs, ids and numbers masked (<c>scheduler_failure_reason</c>); <c>GET /api/jobs?reason=</c> lists its runs.</param>
/// <param name="Count">How many failed runs in the range had it.</param>
/// <param name="FirstSeen">When the first of them ended.</param>
/// <param name="LastSeen">When the last of them ended.</param>
/// <param name="ExampleId">One of them (the last).</param>
public sealed record FailureReason(string Reason, long Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, Guid ExampleId);
