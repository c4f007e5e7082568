using Scheduler.Contracts.Api;

namespace Scheduler.Jobs.Execution;

/// <summary>Who asks for an action, as the audit trail records them: the token's caller and their address.</summary>
public sealed record Requester(string Actor, string? RemoteAddress)
{
    /// <summary>The scheduler acting on its own: a pause after repeated failures, the end of a pause that had one.</summary>
    public static Requester Scheduler { get; } = new("scheduler", null);
}

/// <summary>
/// A manual trigger: the job type, the parameters, who the body claims asked, and, for a run later, when
/// (<paramref name="RunAt"/>, an ISO 8601 instant, or <paramref name="Delay"/>, an ISO 8601 duration, as given).
/// </summary>
public sealed record TriggerCommand(
    string JobType, System.Text.Json.JsonElement? Parameters, string? TriggeredBy, string? IdempotencyKey, string? RunAt = null, string? Delay = null);

/// <summary>How <see cref="ExecutionControl.TriggerAsync"/> ended.</summary>
public abstract record TriggerOutcome
{
    /// <summary>Refused before anything was recorded, each problem under its field.</summary>
    public sealed record Invalid(IDictionary<string, string[]> Errors) : TriggerOutcome;

    /// <summary>The type is disabled in configuration.</summary>
    public sealed record Disabled(string JobType) : TriggerOutcome;

    /// <summary>A lost run of the type waits for its re-run, which goes first.</summary>
    public sealed record WaitingRecovery(string JobType, Guid LostId) : TriggerOutcome;

    /// <summary>The idempotency key named this execution before, for the same request.</summary>
    public sealed record Replayed(JobExecution Execution) : TriggerOutcome;

    /// <summary>The idempotency key named this execution before, for a different request.</summary>
    public sealed record KeyReused(string IdempotencyKey, Guid ExecutionId) : TriggerOutcome;

    /// <summary>The type has a pending or running execution.</summary>
    public sealed record Busy(string JobType, Guid ActiveId) : TriggerOutcome;

    /// <summary>Recorded and handed to the cluster.</summary>
    public sealed record Accepted(JobExecution Execution) : TriggerOutcome;

    /// <summary>The scheduler refused it; the run and its audit row were rolled back, nothing of it is stored.</summary>
    public sealed record NotSubmitted(string JobType) : TriggerOutcome;
}

/// <summary>How <see cref="ExecutionControl.CancelAsync"/> ended.</summary>
public abstract record CancelOutcome
{
    public sealed record NotFound(Guid Id) : CancelOutcome;

    /// <summary>Already finished: nothing to cancel.</summary>
    public sealed record Finished(Guid Id, string Status) : CancelOutcome;

    /// <summary>Was scheduled or pending: it never starts.</summary>
    public sealed record Cancelled(JobExecution Execution) : CancelOutcome;

    /// <summary>Is running: its node has been asked to interrupt it.</summary>
    public sealed record Interrupting(JobExecution Execution) : CancelOutcome;
}

/// <summary>How <see cref="ExecutionControl.RetryAsync"/> ended.</summary>
public abstract record RetryOutcome
{
    /// <summary>Refused before anything was recorded, each problem under its field (<c>runAt</c>, <c>delay</c>).</summary>
    public sealed record Invalid(IDictionary<string, string[]> Errors) : RetryOutcome;

    public sealed record NotFound(Guid Id) : RetryOutcome;

    /// <summary>Refused before anything was recorded; <see cref="Detail"/> says why (the audit row keeps it).</summary>
    public abstract record Refused : RetryOutcome
    {
        public abstract string Detail { get; }
    }

    /// <summary>Neither failed nor cancelled.</summary>
    public sealed record NotRetryable(Guid Id, string Status) : Refused
    {
        public override string Detail => $"Execution {Id} is {Status}.";
    }

    /// <summary>Retried before, as <paramref name="RetriedBy"/>.</summary>
    public sealed record AlreadyRetried(Guid Id, Guid RetriedBy) : Refused
    {
        public override string Detail => $"Execution {Id} was already retried as execution {RetriedBy}.";
    }

    /// <summary>Its type is unknown here or disabled.</summary>
    public sealed record CannotRun(string JobType) : Refused
    {
        public override string Detail => $"{JobType} is not an enabled job type on this service.";
    }

    public sealed record Busy(string JobType, Guid ActiveId) : RetryOutcome;

    public sealed record Accepted(JobExecution Execution) : RetryOutcome;

    public sealed record NotSubmitted(string JobType) : RetryOutcome;
}
