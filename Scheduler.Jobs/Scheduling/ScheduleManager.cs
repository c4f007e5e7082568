using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Quartz;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Jobs.Scheduling;

/// <summary>
/// A job type's cron trigger as it should be: its configured schedule, or the run-time override that replaces
/// it. Every change goes through <see cref="ApplyAsync"/>, which writes the shared store (so the cluster sees it at
/// once) and keeps a pause across a replaced trigger. A schedule that cannot be put into Quartz (it never fires
/// again, its zone is unknown) is <see cref="EffectiveSchedule.Problem">invalid</see>: every node works that out
/// from the stored schedule itself, and no node applies it.
/// </summary>
public sealed partial class ScheduleManager(
    ISchedulerFactory schedulers, JobCatalog catalog, ScheduleStore store, ScheduleRefusals refusals, TimeProvider time, ILogger<ScheduleManager> logger)
{
    /// <summary>Every type's cron trigger as the store has it (state, pause, fire times), in one query, by job type.</summary>
    public async Task<IReadOnlyDictionary<string, TriggerHeader>> CronTriggersAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var page = await scheduler.QueryTriggers(
            new TriggerQuery { Group = GroupMatcher<TriggerKey>.GroupEquals(JobCatalog.CronTriggerGroup), Take = 1000 }, cancellationToken);
        return page.Items.ToDictionary(t => t.Key.Name, StringComparer.Ordinal);
    }

    /// <summary>The schedule each catalog type should have now, with where it comes from.</summary>
    public async Task<IReadOnlyList<EffectiveSchedule>> EffectiveAsync(CancellationToken cancellationToken)
    {
        var overrides = await store.OverridesAsync(cancellationToken);
        return [.. catalog.All.Select(d => Effective(d, overrides.GetValueOrDefault(d.Name)))];
    }

    public async Task<EffectiveSchedule> EffectiveAsync(JobDefinition definition, CancellationToken cancellationToken) =>
        Effective(definition, (await store.OverridesAsync(cancellationToken)).GetValueOrDefault(definition.Name));

    /// <summary>The schedule <paramref name="definition"/> has with <paramref name="change"/> (or configuration), checked as of now.</summary>
    public EffectiveSchedule Effective(JobDefinition definition, ScheduleOverride? change)
    {
        var schedule = change is null
            ? new EffectiveSchedule(definition, definition.Cron, definition.TimeZone, definition.Scheduled, null)
            : new EffectiveSchedule(definition, change.Cron, change.TimeZone, change.Enabled, change);
        if (!schedule.Runs)
        {
            return schedule;
        }

        var problem = ScheduleValidation.Check(schedule.Cron, schedule.TimeZone, time.GetUtcNow());
        if (problem is null && refusals.ByType.TryGetValue(definition.Name, out var refused) && refused.Cron == schedule.Cron && refused.TimeZone == schedule.TimeZone)
        {
            problem = new ScheduleProblem(ScheduleValidation.CronField, refused.Reason);
        }

        return schedule with { Problem = problem };
    }

    /// <summary>
    /// Makes the type's cron trigger match <paramref name="schedule"/>: created, replaced (a pause carried over),
    /// removed, or left alone when it already matches, so its next fire time is not disturbed. An invalid schedule
    /// leaves the trigger as it is (<see cref="ScheduleChange.Invalid"/>). What it did.
    /// </summary>
    /// <exception cref="SchedulerException">Quartz refused the trigger, or its store failed.</exception>
    public async Task<ScheduleChange> ApplyAsync(EffectiveSchedule schedule, CancellationToken cancellationToken)
    {
        var definition = schedule.Definition;
        if (schedule.Problem is not null)
        {
            return ScheduleChange.Invalid;
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var key = definition.CronTriggerKey;
        var existing = await scheduler.GetTrigger(key, cancellationToken) as ICronTrigger;

        if (!schedule.Runs)
        {
            if (existing is null)
            {
                return ScheduleChange.None;
            }

            await scheduler.UnscheduleJob(key, cancellationToken);
            LogUnscheduled(definition.Name);
            return ScheduleChange.Removed;
        }

        if (existing is not null && existing.CronExpressionString == schedule.Cron && existing.TimeZone.Id == schedule.TimeZone)
        {
            return ScheduleChange.None;
        }

        var pause = existing is null ? null : await scheduler.GetTriggerPause(key, cancellationToken);
        var paused = existing is not null && await scheduler.GetTriggerState(key, cancellationToken) == TriggerState.Paused;
        var trigger = TriggerBuilder.Create()
            .WithIdentity(key)
            .ForJob(definition.JobKey)
            .WithDescription($"{definition.Name} on its {(schedule.Override is null ? "configured" : "run-time")} schedule")
            .WithCronSchedule(schedule.Cron, c => c
                .InTimeZone(TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone))
                .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
            .Build();

        try
        {
            // Keep: a node starting at the same moment already wrote the same trigger.
            await scheduler.ScheduleTrigger(trigger, existing is null ? TriggerConflict.Keep : TriggerConflict.Replace, cancellationToken);
            refusals.ByType.TryRemove(definition.Name, out _);
        }
        catch (SchedulerException ex) when (ex is not JobPersistenceException)
        {
            refusals.ByType[definition.Name] = (schedule.Cron, schedule.TimeZone, $"Quartz refused the trigger: {ex.Message}");
            throw;
        }

        if (paused)
        {
            await scheduler.PauseTriggerWith(key, new PauseDetails { Reason = pause?.Reason, RequestedBy = pause?.RequestedBy }, cancellationToken);
        }

        LogScheduled(definition.Name, schedule.Cron, schedule.TimeZone, schedule.Override is null ? "configuration" : "override");
        return existing is null ? ScheduleChange.Created : ScheduleChange.Replaced;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled {JobType}: '{Cron}' in {TimeZone} (from {Source})")]
    private partial void LogScheduled(string jobType, string cron, string timeZone, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unscheduled {JobType}")]
    private partial void LogUnscheduled(string jobType);
}

/// <summary>What <see cref="ScheduleManager.ApplyAsync"/> did to a trigger.</summary>
public enum ScheduleChange
{
    None,
    Created,
    Replaced,
    Removed,

    /// <summary>The schedule is invalid: the trigger was left as it was (or absent).</summary>
    Invalid,
}

/// <summary>The schedule a type should have: configuration's, or the override's when there is one.</summary>
/// <param name="Definition">The type, with its configured schedule.</param>
/// <param name="Cron">Quartz cron expression in effect.</param>
/// <param name="TimeZone">IANA time zone in effect.</param>
/// <param name="Enabled">Whether the schedule is on (a disabled type never runs whatever this says).</param>
/// <param name="Override">The run-time override in effect, or null when configuration rules.</param>
public sealed record EffectiveSchedule(JobDefinition Definition, string Cron, string TimeZone, bool Enabled, ScheduleOverride? Override)
{
    /// <summary>
    /// Why a schedule that should run cannot be put into Quartz (it never fires again, its zone is unknown); null
    /// when it can, or when it does not run. Its trigger is left as it was.
    /// </summary>
    public ScheduleProblem? Problem { get; init; }

    /// <summary>Whether a cron trigger should exist.</summary>
    public bool Runs => Definition.Enabled && Enabled;

    /// <summary>Where the schedule comes from: <c>configuration</c> or <c>override</c>.</summary>
    public string Source => Override is null ? "configuration" : "override";

    /// <summary>Whether the schedule in effect differs from configuration.</summary>
    public bool Drift => Override is not null
        && (Override.Cron != Definition.Cron || Override.TimeZone != Definition.TimeZone || Override.Enabled != Definition.Scheduled);
}

/// <summary>
/// Schedules Quartz refused on this node although they passed validation, by job type (a last line of defence). One per
/// node, shared by the API's and the background pool's <see cref="ScheduleManager"/>, so both report the same.
/// </summary>
public sealed class ScheduleRefusals
{
    internal ConcurrentDictionary<string, (string Cron, string TimeZone, string Reason)> ByType { get; } = new(StringComparer.Ordinal);
}
