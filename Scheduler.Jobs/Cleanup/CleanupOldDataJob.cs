using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Execution;
using static Scheduler.Jobs.Cleanup.CleanupOldDataType;

namespace Scheduler.Jobs.Cleanup;

/// <summary>
/// <c>cleanup_old_data</c>, its steps in order, each run whatever happened to the ones before it: old user
/// interactions deleted (user service), old executions archived, then what is past its retention deleted (the
/// archive, execution logs, the audit log, live events, digest and notification deliveries; here, in bounded
/// batches), view counts refreshed and trending recalculated (discovery service). <c>parameters.steps</c> picks some
/// of them; the others are reported <c>skipped</c>. Each step's outcome is in <c>details.steps</c>; the run fails
/// when any step failed, naming each failure.
/// </summary>
public sealed class CleanupOldDataJob(
    UserClient users,
    DiscoveryClient discovery,
    ExecutionArchive executions,
    RetentionPurge purge,
    TimeProvider time,
    IOptionsMonitor<CleanupOptions> options) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.CurrentValue;
        var days = Windows.ToDictionary(w => w, w => w.ValueIn(context, settings));

        // Checked when the run was requested; a retry of an older run, or a setting changed since, is checked again
        // here, because what this job deletes is not coming back.
        var belowFloor = days
            .Where(d => d.Key.Floor is not null && settings.BelowFloor(d.Value))
            .Select(d => $"{d.Key.Name} {d.Value} is below the {CleanupOptions.RetentionFloorDays}-day floor ({CleanupOptions.AllowShortRetentionKey} is not set); nothing was deleted")
            .ToList();
        if (belowFloor.Count > 0)
        {
            context.Result = Result([], belowFloor, 0, done: true);
            return;
        }

        var requested = RunSteps.ChoicesIn(context).ToHashSet(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        DateTimeOffset OlderThan(JobParameter<CleanupOptions> window) => now.AddDays(-days[window]);
        var steps = new Dictionary<string, object?>();
        var errors = new List<string>();
        var items = 0;

        async Task StepAsync(string name, Func<Task<(int Count, Dictionary<string, object?> Outcome)>> step)
        {
            if (!requested.Contains(name))
            {
                steps[name] = new Dictionary<string, object?> { ["status"] = "skipped" };
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var (count, outcome) = await step();
                items += count;
                outcome["status"] = "ok";
                steps[name] = outcome;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                errors.Add($"{name}: {ex.Message}");
                steps[name] = new Dictionary<string, object?> { ["status"] = "failed", ["error"] = ex.Message };
            }

            context.Result = Result(steps, errors, items, done: false);
        }

        // Moves or deletes batch after batch, each its own statement, until one comes back short; counted under `counted`.
        async Task<(int Count, Dictionary<string, object?> Outcome)> BatchesAsync(Func<int, Task<int>> batch, int batchSize, string counted, Dictionary<string, object?> cutoffs)
        {
            int total = 0, batches = 0, last;
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                last = await batch(batchSize);
                total += last;
                batches += last > 0 ? 1 : 0;
            }
            while (last == batchSize);

            return (total, new(cutoffs) { [counted] = total, ["batches"] = batches });
        }

        Task<(int Count, Dictionary<string, object?> Outcome)> PurgeAsync(Func<int, Task<int>> batch, Dictionary<string, object?> cutoffs) =>
            BatchesAsync(batch, settings.DeleteBatchSize, "deleted", cutoffs);

        await StepAsync(Steps.Interactions, async () =>
        {
            var olderThan = OlderThan(InteractionRetentionDays);
            var deleted = (await users.CleanupInteractionsAsync(olderThan, context.IdempotencyKey("interactions"), cancellationToken)).Deleted;
            return (deleted, new() { ["deleted"] = deleted, ["olderThan"] = olderThan });
        });

        await StepAsync(Steps.Archive, () =>
        {
            var (cutoff, failedCutoff) = (OlderThan(ExecutionRetentionDays), OlderThan(FailedExecutionRetentionDays));
            return BatchesAsync(n => executions.ArchiveFinishedBeforeAsync(cutoff, failedCutoff, n, time.GetUtcNow(), cancellationToken),
                settings.ArchiveBatchSize, "archived", new() { ["finishedBefore"] = cutoff, ["failedFinishedBefore"] = failedCutoff });
        });

        await StepAsync(Steps.ArchivePurge, () =>
        {
            var (olderThan, failedOlderThan) = (OlderThan(ArchiveRetentionDays), OlderThan(FailedArchiveRetentionDays));
            return PurgeAsync(n => purge.ArchiveAsync(olderThan, failedOlderThan, n, cancellationToken),
                new() { ["olderThan"] = olderThan, ["failedOlderThan"] = failedOlderThan });
        });

        await StepAsync(Steps.ExecutionLogs, () =>
        {
            var olderThan = OlderThan(ExecutionLogRetentionDays);
            return PurgeAsync(n => purge.ExecutionLogsAsync(olderThan, n, cancellationToken), new() { ["olderThan"] = olderThan });
        });

        await StepAsync(Steps.AuditLog, () =>
        {
            var olderThan = OlderThan(AuditRetentionDays);
            return PurgeAsync(n => purge.AuditLogAsync(olderThan, n, cancellationToken), new() { ["olderThan"] = olderThan });
        });

        await StepAsync(Steps.Events, () =>
        {
            var olderThan = OlderThan(EventRetentionDays);
            return PurgeAsync(n => purge.EventsAsync(olderThan, n, cancellationToken), new() { ["olderThan"] = olderThan });
        });

        await StepAsync(Steps.DigestDeliveries, () =>
        {
            var olderThan = OlderThan(DigestDeliveryRetentionDays);
            return PurgeAsync(n => purge.DigestDeliveriesAsync(olderThan, n, cancellationToken), new() { ["olderThan"] = olderThan });
        });

        await StepAsync(Steps.NotificationDeliveries, () =>
        {
            var olderThan = OlderThan(NotificationDeliveryRetentionDays);
            return PurgeAsync(n => purge.NotificationDeliveriesAsync(olderThan, n, cancellationToken), new() { ["olderThan"] = olderThan });
        });

        await StepAsync(Steps.ViewCounts, async () =>
        {
            var updated = (await discovery.RefreshViewCountsAsync(context.IdempotencyKey("view-counts"), cancellationToken)).Updated;
            return (updated, new() { ["updated"] = updated });
        });

        await StepAsync(Steps.Trending, async () =>
        {
            var updated = (await discovery.RecalculateTrendingAsync(context.IdempotencyKey("trending"), cancellationToken)).Updated;
            return (updated, new() { ["updated"] = updated });
        });

        context.Result = Result(steps, errors, items, done: true);
    }

    private static JobResult Result(Dictionary<string, object?> steps, List<string> errors, int items, bool done)
    {
        var details = new Dictionary<string, object?> { ["steps"] = new Dictionary<string, object?>(steps) };
        if (done && errors.Count == 0 && items == 0)
        {
            details["note"] = "nothing was old enough to remove and no counts changed";
        }

        return new JobResult
        {
            Success = errors.Count == 0,
            ItemsProcessed = items,
            Errors = JobResults.Bounded(errors),
            Details = details,
        };
    }
}
