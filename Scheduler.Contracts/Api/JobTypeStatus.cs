using System.Text.Json.Serialization;

namespace Scheduler.Contracts.Api;

/// <summary>
/// <c>GET /api/jobs/status</c>: one entry per job type, and each node's <c>jobs-runner</c> heartbeat. Field names are
/// the previous service's (snake_case), so its runbooks and dashboards read them unchanged.
/// </summary>
/// <param name="Jobs">One entry per job type in the catalog.</param>
/// <param name="Runners">Each node's heartbeat, newest first.</param>
/// <param name="GeneratedAt">When this report was made.</param>
public sealed record JobStatusReport(
    [property: JsonPropertyName("jobs")] IReadOnlyList<JobTypeStatus> Jobs,
    [property: JsonPropertyName("runners")] IReadOnlyList<RunnerStatus> Runners,
    [property: JsonPropertyName("generated_at")] DateTimeOffset GeneratedAt);

/// <summary>One job type: its heartbeat row, its schedule, what runs now and how long runs usually take.</summary>
public sealed record JobTypeStatus
{
    /// <summary>The job type.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>False: the type accepts no runs.</summary>
    [JsonPropertyName("enabled")]
    public required bool Enabled { get; init; }

    /// <summary>When any node last ran it (its <c>job_heartbeats</c> row), or null if never.</summary>
    [JsonPropertyName("last_heartbeat")]
    public DateTimeOffset? LastHeartbeat { get; init; }

    /// <summary>The node that last ran it.</summary>
    [JsonPropertyName("runner_id")]
    public string? RunnerId { get; init; }

    /// <summary>When it last succeeded, or null if never.</summary>
    [JsonPropertyName("last_success_at")]
    public DateTimeOffset? LastSuccessAt { get; init; }

    /// <summary>Failed runs in a row; back to 0 after a success.</summary>
    [JsonPropertyName("consecutive_failures")]
    public int ConsecutiveFailures { get; init; }

    /// <summary>The error of its last failed run; cleared by a success.</summary>
    [JsonPropertyName("last_error")]
    public string? LastError { get; init; }

    /// <summary>When that failure happened.</summary>
    [JsonPropertyName("last_error_at")]
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>The cron trigger's next fire time (UTC), or null when the type has no schedule.</summary>
    [JsonPropertyName("next_fire_time")]
    public DateTimeOffset? NextFireTime { get; init; }

    /// <summary>When the cron trigger last fired (UTC).</summary>
    [JsonPropertyName("previous_fire_time")]
    public DateTimeOffset? PreviousFireTime { get; init; }

    /// <summary>Whether its schedule is paused.</summary>
    [JsonPropertyName("paused")]
    public bool Paused { get; init; }

    /// <summary>
    /// The dead-man's switch: true when an occurrence that was due has no row at all (not even <c>skipped</c>),
    /// or the type has not succeeded for twice its interval. Paused and unscheduled types are never overdue.
    /// </summary>
    [JsonPropertyName("overdue")]
    public bool Overdue { get; init; }

    /// <summary>Why it is overdue, or null.</summary>
    [JsonPropertyName("overdue_reason")]
    public string? OverdueReason { get; init; }

    /// <summary>The execution running now, if any.</summary>
    [JsonPropertyName("running")]
    public RunningExecution? Running { get; init; }

    /// <summary>Durations of its recent successful runs, or null before the first.</summary>
    [JsonPropertyName("typical_duration")]
    public TypicalDuration? TypicalDuration { get; init; }

    /// <summary>Its runs scheduled for later (<c>runAt</c>, <c>delay</c>): the next one due and how many; null when it has none.</summary>
    [JsonPropertyName("scheduled_runs")]
    public ScheduledRuns? ScheduledRuns { get; init; }
}

/// <summary>A type's runs scheduled for later: how many, and the next one due.</summary>
public sealed record ScheduledRuns(
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("next_id")] Guid NextId,
    [property: JsonPropertyName("next_scheduled_for")] DateTimeOffset NextScheduledFor);

/// <summary>An execution in progress, with when it should be done if it takes its usual time.</summary>
public sealed record RunningExecution(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("runner_id")] string? RunnerId,
    [property: JsonPropertyName("estimated_completion_at")] DateTimeOffset? EstimatedCompletionAt);

/// <summary>Median and 95th percentile, in seconds, of the last <paramref name="Samples"/> successful runs (at most 50, last 30 days).</summary>
public sealed record TypicalDuration(
    [property: JsonPropertyName("p50_seconds")] double P50Seconds,
    [property: JsonPropertyName("p95_seconds")] double P95Seconds,
    [property: JsonPropertyName("samples")] int Samples);

/// <summary>A node's <c>jobs-runner</c> heartbeat.</summary>
public sealed record RunnerStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("runner_id")] string RunnerId,
    [property: JsonPropertyName("last_heartbeat")] DateTimeOffset LastHeartbeat,
    [property: JsonPropertyName("age_seconds")] double AgeSeconds,
    [property: JsonPropertyName("stale")] bool Stale);
