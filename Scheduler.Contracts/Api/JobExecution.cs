using System.Text.Json;
using System.Text.Json.Serialization;

namespace Scheduler.Contracts.Api;

/// <summary>One execution as <c>GET /api/jobs/{id}</c> and <c>GET /api/jobs</c> return it.</summary>
public sealed record JobExecution
{
    /// <summary>The execution's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The job type.</summary>
    public required string JobType { get; init; }

    /// <summary>Where it is in its lifecycle (<c>"pending"</c>, <c>"running"</c>, …).</summary>
    public required ExecutionStatus Status { get; init; }

    /// <summary>How it came about (<c>"manual"</c>, <c>"cron"</c>, …).</summary>
    public required ExecutionTrigger Trigger { get; init; }

    /// <summary>For cron and backfill runs, the occurrence's fire time; for a run scheduled for later, when it is due.</summary>
    public DateTimeOffset? ScheduledFor { get; init; }

    /// <summary>The schedule whose occurrence this is: <c>default</c> for the type's configured schedule, else its name; null for runs not started by a schedule.</summary>
    public string? Schedule { get; init; }

    /// <summary>The random delay drawn for this occurrence, in milliseconds, when its schedule has jitter.</summary>
    public int? JitterMs { get; init; }

    /// <summary>When a node started running it.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it finished, whichever way.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Who started it: a user id for manual runs, <c>scheduler</c> for cron runs.</summary>
    public string? StartedBy { get; init; }

    /// <summary>The node (runner id) that ran it.</summary>
    public string? RunnerId { get; init; }

    /// <summary>1 for a first run, higher for retries.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>The execution this one retries or recovers, if any.</summary>
    public Guid? RetryOf { get; init; }

    /// <summary>The first attempt of the run this execution belongs to (itself when it is the first).</summary>
    public Guid RootId { get; init; }

    /// <summary>When an operator asked to cancel it.</summary>
    public DateTimeOffset? CancelRequestedAt { get; init; }

    /// <summary>Who asked to cancel it.</summary>
    public string? CancelledBy { get; init; }

    /// <summary>While it runs: when its node last renewed its lease, saying it is still working on it.</summary>
    [JsonPropertyName("heartbeatAt")]
    public DateTimeOffset? LeaseRenewedAt { get; init; }

    /// <summary>Parameters given with a manual trigger.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>How far a running job says it is: <c>{percent, message, at}</c>; null until it reports.</summary>
    public JsonElement? Progress { get; init; }

    /// <summary>Why it failed, was skipped or was cancelled.</summary>
    public string? Error { get; init; }

    /// <summary>What the run did, once finished.</summary>
    public JobResult? Result { get; init; }

    /// <summary>When the execution was recorded.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the row last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A page of executions, newest first (<c>GET /api/jobs</c>).</summary>
/// <param name="Jobs">The executions on this page.</param>
/// <param name="Total">How many executions match the filters, over all pages.</param>
/// <param name="Page">The 1-based page number.</param>
/// <param name="Limit">The page size.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> for the page after this one, however deep (null on the last page).</param>
public sealed record JobExecutionPage(IReadOnlyList<JobExecution> Jobs, long Total, int Page, int Limit, string? NextCursor = null);

/// <summary>What an execution logged while it ran (<c>GET /api/jobs/{id}/logs</c>).</summary>
/// <param name="ExecutionId">The execution.</param>
/// <param name="Lines">Its lines, in order.</param>
/// <param name="Truncated">True when the run logged more than is kept (500 lines, 128 KiB); the last line says so.</param>
public sealed record ExecutionLog(Guid ExecutionId, IReadOnlyList<ExecutionLogEntry> Lines, bool Truncated);

/// <summary>One logged line.</summary>
/// <param name="At">When.</param>
/// <param name="Level">The log level, e.g. <c>Information</c>.</param>
/// <param name="Message">The message, with the logger's category in brackets.</param>
public sealed record ExecutionLogEntry(DateTimeOffset At, string Level, string Message);
