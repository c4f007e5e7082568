using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Events;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Scheduling;

/// <summary>
/// Every change to a job type's schedule, whoever makes it (the API, the pause after repeated failures, the end of a
/// pause that had one): the Quartz change, the store write, its audit row and, once carried out, its
/// <c>schedule</c> event (kind: changed, reset, paused, resumed), each in one place.
/// </summary>
/// <remarks>
/// The change has happened by the time its audit row is written, so a failure to write the row is logged, not
/// raised: the answer must say what was done.
/// </remarks>
public sealed class ScheduleControl(
    ISchedulerFactory schedulers,
    ScheduleManager manager,
    ScheduleStore store,
    AuditLog audit,
    SchedulerEventStore events,
    TimeProvider time,
    ILogger<ScheduleControl> logger)
{
    /// <summary>A backfill covers at most this many occurrences.</summary>
    public const int MaxBackfillOccurrences = 100;

    /// <summary>
    /// Changes cron, time zone or enabled (each null: as it is) as a run-time override. What Quartz would refuse is
    /// refused here, stored nowhere and applied nowhere.
    /// </summary>
    public async Task<ScheduleResult> ChangeAsync(JobDefinition definition, ScheduleChangeRequest request, Requester actor, CancellationToken cancellationToken)
    {
        var jobType = definition.Name;
        var errors = new Dictionary<string, string[]>();
        string? cron = null;
        if (request.Cron is not null && !CronSyntax.TryNormalize(request.Cron, out cron, out var cronError))
        {
            errors[ScheduleValidation.CronField] = [cronError ?? "Not a valid cron expression."];
        }

        if (request.TimeZone is not null && !ScheduleProjection.TryGetTimeZone(request.TimeZone, out _, out var zoneError))
        {
            errors[ScheduleValidation.TimeZoneField] = [zoneError ?? "Not a known IANA time zone."];
        }

        if (errors.Count > 0)
        {
            return new ScheduleResult.Invalid(errors);
        }

        if (!definition.Enabled)
        {
            return new ScheduleResult.Conflict("The job type is disabled", $"{jobType} is disabled in configuration (Jobs:{jobType}:Enabled); enable it there first.");
        }

        var before = await manager.EffectiveAsync(definition, cancellationToken);
        var change = new ScheduleOverride(jobType, cron ?? before.Cron, request.TimeZone ?? before.TimeZone, request.Enabled ?? before.Enabled, actor.Actor, time.GetUtcNow());

        // The whole schedule as it would be stored, whether or not it is switched on now: Quartz's "will never fire"
        // check included, so that nothing is stored that a node could not schedule at its next start.
        if (ScheduleValidation.Check(change.Cron, change.TimeZone, time.GetUtcNow()) is { } problem)
        {
            return new ScheduleResult.Invalid(problem.Field, problem.Reason);
        }

        var requested = new { request.Cron, request.TimeZone, request.Enabled };
        try
        {
            await store.SaveOverrideAsync(change, async token =>
            {
                if (await manager.ApplyAsync(manager.Effective(definition, change), token) == ScheduleChange.Invalid)
                {
                    throw new SchedulerException("this node's scheduler refused the same schedule before");
                }
            }, cancellationToken);
        }
        catch (SchedulerException ex) when (ex is not JobPersistenceException)
        {
            // Nothing was stored (the override's transaction rolled back) and the trigger is as it was.
            await AuditAsync(AuditActions.ScheduleChange, actor, jobType, AuditOutcomes.Rejected, new { requested, reason = ex.Message });
            return new ScheduleResult.Invalid(ScheduleValidation.CronField, $"Quartz refused the schedule: {ex.Message}");
        }
        catch (Exception ex) when (ex is JobPersistenceException or NpgsqlException)
        {
            // Rolled back likewise; the caller answers the database's failure (503 while it is unreachable).
            await AuditAsync(AuditActions.ScheduleChange, actor, jobType, AuditOutcomes.Failed, new { requested, reason = ex.Message });
            throw;
        }

        return await ChangedAsync(AuditActions.ScheduleChange, "changed", actor, jobType, new
        {
            before = new { before.Cron, before.TimeZone, before.Enabled, before.Source },
            after = new { change.Cron, change.TimeZone, change.Enabled },
            requested,
        });
    }

    /// <summary>Returns the schedule to configuration, provided configuration's schedule can be put into Quartz.</summary>
    public async Task<ScheduleResult> ResetAsync(JobDefinition definition, Requester actor, CancellationToken cancellationToken)
    {
        var jobType = definition.Name;
        var before = await manager.EffectiveAsync(definition, cancellationToken);
        var configured = manager.Effective(definition, null);
        if (configured.Problem is { } problem)
        {
            return new ScheduleResult.Conflict("The configured schedule is invalid",
                $"{jobType}'s configured schedule (Jobs:{jobType}:Cron, :TimeZone) cannot be scheduled: {problem.Reason} Fix the configuration, or PUT a valid schedule.");
        }

        if (!await store.DeleteOverrideAsync(jobType, async token => await manager.ApplyAsync(configured, token), cancellationToken))
        {
            return new ScheduleResult.NotFound("The schedule has no override", $"{jobType} already runs on its configured schedule.");
        }

        return await ChangedAsync(AuditActions.ScheduleReset, "reset", actor, jobType, new
        {
            before = new { before.Cron, before.TimeZone, before.Enabled },
            after = new { definition.Cron, definition.TimeZone, Enabled = definition.Scheduled },
        });
    }

    /// <summary>Pauses the type's cron trigger with the order's reason (and end, unless the order keeps the one set).</summary>
    public async Task<ScheduleResult> PauseAsync(JobDefinition definition, PauseOrder order, Requester actor, CancellationToken cancellationToken)
    {
        // Whether the type has a schedule now is the store's to say: a run-time override may have given or taken one.
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (!await scheduler.Exists(definition.CronTriggerKey, cancellationToken))
        {
            return new ScheduleResult.Conflict("The job type has no schedule to pause", $"{definition.Name} does not run on a schedule now (disabled, or manual only).");
        }

        await scheduler.PauseTriggerWith(definition.CronTriggerKey, new PauseDetails { Reason = order.Reason, RequestedBy = actor.Actor }, cancellationToken);
        if (!order.KeepsEnd)
        {
            await store.SetPauseExpiryAsync(definition.Name, order.Until, cancellationToken);
        }

        return await ChangedAsync(AuditActions.SchedulePause, "paused", actor, definition.Name, order.Details);
    }

    /// <summary>Resumes a paused schedule, and clears its end unless the order comes from that end.</summary>
    public async Task<ScheduleResult> ResumeAsync(JobDefinition definition, ResumeOrder order, Requester actor, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (await scheduler.GetTriggerState(definition.CronTriggerKey, cancellationToken) != TriggerState.Paused)
        {
            return new ScheduleResult.Conflict("The schedule is not paused", $"{definition.Name} is not paused.");
        }

        var pause = await scheduler.GetTriggerPause(definition.CronTriggerKey, cancellationToken);
        await scheduler.ResumeTrigger(definition.CronTriggerKey, cancellationToken);
        if (!order.EndTaken)
        {
            await store.SetPauseExpiryAsync(definition.Name, null, cancellationToken);
        }

        return await ChangedAsync(AuditActions.ScheduleResume, "resumed", actor, definition.Name, order.Details(pause?.Reason, pause?.RequestedBy));
    }

    /// <summary>
    /// The occurrences of [<paramref name="from"/>, <paramref name="to"/>) that have no row; unless
    /// <paramref name="dryRun"/>, a backfill that runs them one after another (the supervisor drives it).
    /// </summary>
    public async Task<ScheduleResult> BackfillAsync(
        JobDefinition definition, DateTimeOffset from, DateTimeOffset to, bool dryRun, Requester actor, CancellationToken cancellationToken)
    {
        var jobType = definition.Name;
        if (!definition.Enabled)
        {
            return new ScheduleResult.Conflict("The job type is disabled", $"{jobType} is disabled in configuration and accepts no runs.");
        }

        var schedule = await manager.EffectiveAsync(definition, cancellationToken);
        if (schedule.Problem is { } problem)
        {
            return new ScheduleResult.Conflict("The schedule is invalid",
                $"{jobType}'s schedule cannot be read: {problem.Reason} Repair it with PUT /api/schedules/{jobType} first.");
        }

        var window = Occurrences.Between(schedule.Cron, schedule.TimeZone, from, to, MaxBackfillOccurrences + 1);
        if (window.Count > MaxBackfillOccurrences)
        {
            return new ScheduleResult.Invalid("to", $"The window holds more than {MaxBackfillOccurrences} occurrences; backfill a shorter one.");
        }

        var recorded = await store.RecordedOccurrencesAsync(jobType, from, to, cancellationToken);
        var missing = window.Where(o => !recorded.Contains(o)).ToList();
        Guid? backfillId = dryRun || missing.Count == 0 ? null : await store.CreateBackfillAsync(jobType, missing, actor.Actor, time.GetUtcNow(), cancellationToken);
        await AuditAsync(AuditActions.ScheduleBackfill, actor, jobType, AuditOutcomes.Accepted, new { from, to, dryRun, missing = missing.Count, backfillId });
        return new ScheduleResult.Backfilled(missing, backfillId);
    }

    /// <summary>Audits a change carried out and tells the live views (the event's kind is the action's verb).</summary>
    private async Task<ScheduleResult> ChangedAsync(string action, string kind, Requester actor, string jobType, object details)
    {
        await AuditAsync(action, actor, jobType, AuditOutcomes.Accepted, details);
        await events.ScheduleChangedAsync(kind, jobType, CancellationToken.None);
        return new ScheduleResult.Changed();
    }

    private Task AuditAsync(string action, Requester actor, string jobType, string outcome, object details) =>
        audit.RecordAfterTheFactAsync(
            new AuditRecord(action, actor.Actor, AuditTargetTypes.Schedule, jobType, jobType, actor.RemoteAddress, outcome, details), logger);
}
