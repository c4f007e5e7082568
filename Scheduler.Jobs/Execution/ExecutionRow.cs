using System.Text.Json;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// One <c>scheduled_jobs</c> row as <see cref="Columns"/> selects it, and its API shape: the one mapping of an
/// execution, read by the execution stores and by the event store's joined reads. Status and trigger are read as
/// their text and mapped through <see cref="EnumText"/> (Dapper reads enum members with <c>Enum.Parse</c>, not
/// through a type handler).
/// </summary>
internal sealed class ExecutionRow
{
    /// <summary>An execution's columns, named as this row reads them.</summary>
    public const string Columns = """
        id AS Id, job_type AS JobType, status AS Status, trigger AS Trigger,
        scheduled_for AS ScheduledFor, schedule AS Schedule, jitter_ms AS JitterMs, started_at AS StartedAt, completed_at AS CompletedAt,
        started_by AS StartedBy, runner_id AS RunnerId, attempt AS Attempt, retry_of AS RetryOf,
        root_id AS RootId, parameters::text AS Parameters, progress::text AS Progress, error AS Error, result::text AS Result,
        cancel_requested_at AS CancelRequestedAt, cancelled_by AS CancelledBy, heartbeat_at AS LeaseRenewedAt,
        fire_instance_id AS FireInstanceId, idempotency_key AS IdempotencyKey, request_hash AS RequestHash,
        created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public Guid Id { get; init; }
    public string JobType { get; init; } = "";
    public string Status { get; init; } = "";
    public string Trigger { get; init; } = "";
    public DateTimeOffset? ScheduledFor { get; init; }
    public string? Schedule { get; init; }
    public int? JitterMs { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public string? StartedBy { get; init; }
    public string? RunnerId { get; init; }
    public int Attempt { get; init; }
    public Guid? RetryOf { get; init; }
    public Guid? RootId { get; init; }
    public string? Parameters { get; init; }
    public string? Progress { get; init; }
    public string? Error { get; init; }
    public string? Result { get; init; }
    public DateTimeOffset? CancelRequestedAt { get; init; }
    public string? CancelledBy { get; init; }
    public DateTimeOffset? LeaseRenewedAt { get; init; }
    public string? FireInstanceId { get; init; }
    public string? IdempotencyKey { get; init; }
    public string? RequestHash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public JobExecution ToContract() => new()
    {
        Id = Id,
        JobType = JobType,
        Status = EnumText.Parse<ExecutionStatus>(Status),
        Trigger = EnumText.Parse<ExecutionTrigger>(Trigger),
        ScheduledFor = ScheduledFor,
        Schedule = Schedule,
        JitterMs = JitterMs,
        StartedAt = StartedAt,
        CompletedAt = CompletedAt,
        StartedBy = StartedBy,
        RunnerId = RunnerId,
        Attempt = Attempt,
        RetryOf = RetryOf,
        RootId = RootId ?? Id,
        CancelRequestedAt = CancelRequestedAt,
        CancelledBy = CancelledBy,
        LeaseRenewedAt = LeaseRenewedAt,
        Parameters = Parameters is null ? null : JsonSerializer.Deserialize<JsonElement>(Parameters),
        Progress = Progress is null ? null : JsonSerializer.Deserialize<JsonElement>(Progress),
        Error = Error,
        Result = Result is null ? null : JsonSerializer.Deserialize<JobResult>(Result, ResultJson.Options),
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
    };
}

/// <summary>How a <see cref="JobResult"/> is stored in <c>scheduled_jobs.result</c>.</summary>
internal static class ResultJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Serialize(JobResult result) => JsonSerializer.Serialize(result, Options);
}
