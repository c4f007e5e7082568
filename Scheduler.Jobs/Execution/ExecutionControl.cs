using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// What an operator does to executions: trigger a run, cancel one, retry one. Each checks what it may, records
/// through <see cref="RunLifecycle"/> or the store, and writes its audit row, whatever the outcome.
/// </summary>
public sealed class ExecutionControl(
    JobCatalog catalog,
    ExecutionHistory history,
    RunLifecycle lifecycle,
    StartedByResolver startedBy,
    AuditLog audit,
    ISchedulerFactory schedulers,
    TimeProvider time,
    IOptions<RunOptions> runOptions,
    ILogger<ExecutionControl> logger)
{
    public async Task<TriggerOutcome> TriggerAsync(TriggerCommand command, Requester requester, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(requester);
        var errors = Problems(command);
        var runAt = RunLater.Resolve(command.RunAt, command.Delay, time.GetUtcNow(), runOptions.Value.MaxDelay, errors);
        if (errors.Count > 0)
        {
            return new TriggerOutcome.Invalid(errors);
        }

        catalog.TryGet(command.JobType, out var definition);
        var actor = requester.Actor;
        // The token says who asks; a different triggeredBy in the body is ignored, and the audit row says so.
        var ignoredTriggeredBy = Ignored(command.TriggeredBy, actor);
        var key = command.IdempotencyKey;
        if (!definition.Enabled)
        {
            await AuditAsync(AuditActions.JobTrigger, requester, null, definition.Name, AuditOutcomes.Rejected, new { reason = "disabled" });
            return new TriggerOutcome.Disabled(definition.Name);
        }

        var parameters = command.Parameters is { ValueKind: JsonValueKind.Object } p ? p : (JsonElement?)null;
        var startedByUser = await startedBy.ResolveAsync(actor, cancellationToken);
        // The accepted run's audit row commits with it. A lost run waiting for its re-run goes first: its recovery is
        // retried every two seconds, and a stream of manual triggers would otherwise keep the type's one slot from it for ever.
        var (outcome, submitted) = await lifecycle.RecordAndSubmitAsync(
            definition,
            new NewExecution(definition.Name, startedByUser, parameters)
            {
                IdempotencyKey = key,
                RequestHash = key is null ? null : RequestHash(definition.Name, actor, parameters, command.RunAt ?? command.Delay),
                RunAt = runAt,
            },
            startAt: null,
            cancellationToken,
            accepted: execution => Record(AuditActions.JobTrigger, requester, execution.Id, definition.Name, AuditOutcomes.Accepted,
                new { startedBy = execution.StartedBy, parameters, idempotencyKey = key, ignoredTriggeredBy, runAt }),
            yieldToRecovery: true);

        switch (outcome)
        {
            case PendingOutcome.WaitingRecovery waiting:
                await AuditAsync(AuditActions.JobTrigger, requester, null, definition.Name, AuditOutcomes.Conflict, new { waitingRecoveryOf = waiting.LostId });
                return new TriggerOutcome.WaitingRecovery(definition.Name, waiting.LostId);
            case PendingOutcome.Replayed { SameRequest: true } replay:
                await AuditAsync(AuditActions.JobTrigger, requester, replay.Execution.Id, definition.Name, AuditOutcomes.Replayed, new { idempotencyKey = key });
                return new TriggerOutcome.Replayed(replay.Execution);
            case PendingOutcome.Replayed replay:
                await AuditAsync(AuditActions.JobTrigger, requester, replay.Execution.Id, definition.Name, AuditOutcomes.Rejected,
                    new { idempotencyKey = key, reason = "key reused with a different request" });
                return new TriggerOutcome.KeyReused(key!, replay.Execution.Id);
            case PendingOutcome.Busy busy:
                await AuditAsync(AuditActions.JobTrigger, requester, null, definition.Name, AuditOutcomes.Conflict, new { activeExecutionId = busy.ActiveId });
                return new TriggerOutcome.Busy(definition.Name, busy.ActiveId);
        }

        if (!submitted)
        {
            await AuditAsync(AuditActions.JobTrigger, requester, null, definition.Name, AuditOutcomes.Failed,
                new { reason = "could not be handed to the scheduler; nothing was recorded", parameters, idempotencyKey = key });
            return new TriggerOutcome.NotSubmitted(definition.Name);
        }

        return new TriggerOutcome.Accepted(((PendingOutcome.Created)outcome).Execution);
    }

    public async Task<CancelOutcome> CancelAsync(Guid id, ExecutionActionRequest? request, Requester requester, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requester);
        // The accepted cancel's audit row commits with it (and, for a scheduled run, with its trigger unscheduled).
        var cancel = await lifecycle.CancelAsync(id, requester.Actor, state => Record(AuditActions.JobCancel, requester, id, state.JobType, AuditOutcomes.Accepted, new
        {
            wasRunning = state.Status == ExecutionStatus.Running,
            wasScheduled = state.Was == ExecutionStatus.Scheduled,
            state.RunnerId,
            request?.Reason,
            ignoredRequestedBy = Ignored(request?.RequestedBy, requester.Actor),
        }), cancellationToken);
        if (cancel is null)
        {
            if (await history.GetAsync(id, cancellationToken) is not { } current)
            {
                return new CancelOutcome.NotFound(id);
            }

            await AuditAsync(AuditActions.JobCancel, requester, id, current.JobType, AuditOutcomes.Conflict, new { current.Status, request?.Reason });
            return new CancelOutcome.Finished(id, current.Status.ToText());
        }

        var execution = (await history.GetAsync(id, cancellationToken))!;
        if (cancel.Status == ExecutionStatus.Cancelled)
        {
            return new CancelOutcome.Cancelled(execution);
        }

        if (cancel.FireInstanceId is { } fireInstanceId)
        {
            // On this node the token is cancelled now; on another, after that node's next cluster check-in.
            var scheduler = await schedulers.GetScheduler(CancellationToken.None);
            await scheduler.InterruptFireInstance(fireInstanceId, CancellationToken.None);
        }

        return new CancelOutcome.Interrupting(execution);
    }

    public async Task<RetryOutcome> RetryAsync(Guid id, RetryJobRequest? request, Requester requester, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requester);
        var errors = new Dictionary<string, string[]>();
        var runAt = RunLater.Resolve(request?.RunAt, request?.Delay, time.GetUtcNow(), runOptions.Value.MaxDelay, errors);
        if (errors.Count > 0)
        {
            return new RetryOutcome.Invalid(errors);
        }

        if (await history.GetAsync(id, cancellationToken) is not { } failed)
        {
            return new RetryOutcome.NotFound(id);
        }

        if (await RefusalAsync(failed, cancellationToken) is { } refused)
        {
            await AuditAsync(AuditActions.JobRetry, requester, id, failed.JobType, AuditOutcomes.Conflict, new { refused.Detail, request?.Reason });
            return refused;
        }

        catalog.TryGet(failed.JobType, out var definition);
        var (outcome, submitted) = await lifecycle.RecordAndSubmitAsync(
            definition,
            new NewExecution(definition.Name, await startedBy.ResolveAsync(requester.Actor, cancellationToken), failed.Parameters)
            {
                Trigger = ExecutionTrigger.Retry,
                RetryOf = failed.Id,
                RootId = failed.RootId,
                Attempt = failed.Attempt + 1,
                RunAt = runAt,
            },
            startAt: null,
            cancellationToken,
            accepted: execution => Record(AuditActions.JobRetry, requester, id, failed.JobType, AuditOutcomes.Accepted, new
            {
                retryExecutionId = execution.Id,
                attempt = execution.Attempt,
                runAt,
                request?.Reason,
                ignoredRequestedBy = Ignored(request?.RequestedBy, requester.Actor),
            }));
        if (outcome is PendingOutcome.Busy busy)
        {
            await AuditAsync(AuditActions.JobRetry, requester, id, failed.JobType, AuditOutcomes.Conflict, new { activeExecutionId = busy.ActiveId, request?.Reason });
            return new RetryOutcome.Busy(definition.Name, busy.ActiveId);
        }

        if (!submitted)
        {
            await AuditAsync(AuditActions.JobRetry, requester, id, failed.JobType, AuditOutcomes.Failed,
                new { reason = "could not be handed to the scheduler; nothing was recorded", request?.Reason });
            return new RetryOutcome.NotSubmitted(failed.JobType);
        }

        return new RetryOutcome.Accepted(((PendingOutcome.Created)outcome).Execution);
    }

    /// <summary>What the catalog says about a trigger: the type exists, and each parameter is one it declares, in range.</summary>
    private Dictionary<string, string[]> Problems(TriggerCommand command)
    {
        var errors = new Dictionary<string, string[]>();
        if (!catalog.TryGet(command.JobType, out var definition))
        {
            errors["jobType"] = [$"Unknown job type. Valid types: {string.Join(", ", catalog.Names)}."];
            return errors;
        }

        return ParameterCheck.Problems(definition, command.Parameters);
    }

    /// <summary>Why <paramref name="failed"/> cannot be retried, or null when it can.</summary>
    private async Task<RetryOutcome.Refused?> RefusalAsync(JobExecution failed, CancellationToken cancellationToken)
    {
        if (failed.Status is not (ExecutionStatus.Failed or ExecutionStatus.Cancelled))
        {
            return new RetryOutcome.NotRetryable(failed.Id, failed.Status.ToText());
        }

        if (await history.RetriedByAsync(failed.Id, cancellationToken) is { } retriedBy)
        {
            return new RetryOutcome.AlreadyRetried(failed.Id, retriedBy);
        }

        return catalog.TryGet(failed.JobType, out var definition) && definition.Enabled ? null : new RetryOutcome.CannotRun(failed.JobType);
    }

    private Task AuditAsync(string action, Requester requester, Guid? target, string? jobType, string outcome, object? details) =>
        audit.RecordAfterTheFactAsync(Record(action, requester, target, jobType, outcome, details), logger);

    private static AuditRecord Record(string action, Requester requester, Guid? target, string? jobType, string outcome, object? details) =>
        new(action, requester.Actor, AuditTargetTypes.Execution, target?.ToString(), jobType, requester.RemoteAddress, outcome, details);

    /// <summary>A name the body gave for the caller that the token contradicts; kept in the audit row, never used.</summary>
    private static string? Ignored(string? claimed, string actor) =>
        string.IsNullOrWhiteSpace(claimed) || claimed == actor ? null : claimed;

    /// <summary>What makes two keyed triggers the same request; a run for later adds when, as given (a run now hashes as it always has).</summary>
    private static string RequestHash(string jobType, string caller, JsonElement? parameters, string? when)
    {
        var canonical = when is null
            ? JsonSerializer.Serialize(new { jobType, caller, parameters = parameters?.GetRawText() })
            : JsonSerializer.Serialize(new { jobType, caller, parameters = parameters?.GetRawText(), when });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
