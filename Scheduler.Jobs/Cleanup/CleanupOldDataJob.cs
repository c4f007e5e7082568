using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Cleanup;

/// <summary>
/// <c>cleanup_old_data</c>, four steps, each run whatever happened to the ones before it:
/// old user interactions deleted (user service), old executions archived (here, in bounded
/// batches), view counts refreshed and trending recalculated (discovery service). Each step's
/// outcome is in <c>details.steps</c>; the run fails when any step failed, naming each failure.
/// </summary>
public sealed class CleanupOldDataJob(
    UserClient users,
    DiscoveryClient discovery,
    ExecutionArchive executions,
    TimeProvider time,
    IOptionsMonitor<CleanupOptions> options) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.CurrentValue;
        var interactionRetentionDays = CleanupOldDataType.InteractionRetentionDays.ValueIn(context, settings);
        var executionRetentionDays = CleanupOldDataType.ExecutionRetentionDays.ValueIn(context, settings);

        // Checked when the run was requested; a retry of an older run, or a setting changed since, is checked again
        // here, because what this job deletes is not coming back.
        var belowFloor = new[] { (CleanupOldDataType.InteractionRetentionDays.Name, interactionRetentionDays), (CleanupOldDataType.ExecutionRetentionDays.Name, executionRetentionDays) }
            .Where(r => settings.BelowFloor(r.Item2))
            .Select(r => $"{r.Item1} {r.Item2} is below the {CleanupOptions.RetentionFloorDays}-day floor ({CleanupOptions.AllowShortRetentionKey} is not set); nothing was deleted")
            .ToList();
        if (belowFloor.Count > 0)
        {
            context.Result = Result([], belowFloor, 0, done: true);
            return;
        }

        var now = time.GetUtcNow();
        var steps = new Dictionary<string, object?>();
        var errors = new List<string>();
        var items = 0;

        async Task StepAsync(string name, Func<Task<(int Count, Dictionary<string, object?> Outcome)>> step)
        {
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

        await StepAsync("interactions", async () =>
        {
            var olderThan = now.AddDays(-interactionRetentionDays);
            var deleted = (await users.CleanupInteractionsAsync(olderThan, context.IdempotencyKey("interactions"), cancellationToken)).Deleted;
            return (deleted, new() { ["deleted"] = deleted, ["olderThan"] = olderThan });
        });

        await StepAsync("archive", async () =>
        {
            var cutoff = now.AddDays(-executionRetentionDays);
            int archived = 0, batches = 0, moved;
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                moved = await executions.ArchiveFinishedBeforeAsync(cutoff, settings.ArchiveBatchSize, time.GetUtcNow(), cancellationToken);
                archived += moved;
                batches += moved > 0 ? 1 : 0;
            }
            while (moved == settings.ArchiveBatchSize);

            return (archived, new() { ["archived"] = archived, ["batches"] = batches, ["finishedBefore"] = cutoff });
        });

        await StepAsync("viewCounts", async () =>
        {
            var updated = (await discovery.RefreshViewCountsAsync(context.IdempotencyKey("view-counts"), cancellationToken)).Updated;
            return (updated, new() { ["updated"] = updated });
        });

        await StepAsync("trending", async () =>
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
