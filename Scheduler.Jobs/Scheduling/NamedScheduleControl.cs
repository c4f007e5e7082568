using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Events;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Scheduling;

/// <summary>
/// Every change to a named schedule: create, replace, delete, pause, resume. Each is one transaction holding the
/// <c>job_schedules</c> row, the Quartz trigger change (written to the shared store, so every node acts on it at
/// once), its audit row and its <c>schedule</c> event; when Quartz refuses, none of them is kept.
/// </summary>
public sealed partial class NamedScheduleControl(
    ISchedulerFactory schedulers,
    JobCatalog catalog,
    NamedScheduleStore store,
    AuditLog audit,
    IOptions<NamedScheduleOptions> options,
    TimeProvider time,
    ILogger<NamedScheduleControl> logger)
{
    public const int MaxDescriptionLength = 500;
    public const int DefaultCatchUpLimit = 10;

    /// <summary>Route words under <c>/api/schedules/{jobType}/</c>, and the configured schedule's name: no schedule may take them.</summary>
    public static IReadOnlyList<string> ReservedNames { get; } = [NamedSchedule.DefaultName, "override", "pause", "resume", "backfill", "preview"];

    private NamedScheduleOptions Settings => options.Value;

    public async Task<ScheduleResult> CreateAsync(NamedScheduleRequest request, Requester actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.JobType))
        {
            errors["jobType"] = ["Required. GET /api/jobs/types lists the valid types."];
        }
        else if (!catalog.TryGet(request.JobType, out _))
        {
            errors["jobType"] = [$"Unknown job type. Valid types: {string.Join(", ", catalog.Names)}."];
        }

        if (NameProblem(request.Name) is { } nameProblem)
        {
            errors["name"] = [nameProblem];
        }

        if (errors.Count > 0)
        {
            return new ScheduleResult.Invalid(errors);
        }

        catalog.TryGet(request.JobType, out var definition);
        var now = time.GetUtcNow();
        var (schedule, problems) = Validate(definition, request.Name!, request, actor, now, existing: null);
        if (schedule is null)
        {
            return new ScheduleResult.Invalid(problems);
        }

        if (!definition.Enabled)
        {
            return Disabled(definition);
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return await store.InTransactionAsync<ScheduleResult>(scheduler, async (connection, transaction) =>
        {
            if (await NamedScheduleStore.CountOfTypeAsync(connection, transaction, definition.Name, cancellationToken) >= Settings.MaxPerType)
            {
                return new ScheduleResult.Conflict("Too many schedules", $"{definition.Name} has {Settings.MaxPerType} schedules (Schedules:MaxPerType); delete one first.");
            }

            if (!await NamedScheduleStore.InsertAsync(connection, transaction, schedule, cancellationToken))
            {
                return new ScheduleResult.Conflict("The schedule exists",
                    $"{definition.Name} already has a schedule named '{schedule.Name}'; PUT /api/schedules/{definition.Name}/{schedule.Name} replaces it.");
            }

            if (schedule.Enabled)
            {
                await scheduler.ScheduleTrigger(NamedScheduleTriggers.Build(schedule, definition.JobKey, now), TriggerConflict.Replace, cancellationToken);
            }

            await ChangedAsync(connection, transaction, AuditActions.ScheduleCreate, "created", actor, schedule, new { after = Describe(schedule) }, cancellationToken);
            LogCreated(definition.Name, schedule.Name, schedule.Cron ?? schedule.IntervalText!, actor.Actor);
            return new ScheduleResult.Changed();
        }, cancellationToken);
    }

    /// <summary>Replaces the whole schedule (a pause is kept).</summary>
    public async Task<ScheduleResult> ReplaceAsync(JobDefinition definition, string name, NamedScheduleRequest request, Requester actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(request);
        if (Immovable(definition, name) is { } refused)
        {
            return refused;
        }

        var now = time.GetUtcNow();
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return await store.InTransactionAsync<ScheduleResult>(scheduler, async (connection, transaction) =>
        {
            if (await NamedScheduleStore.LockAsync(connection, transaction, definition.Name, name, cancellationToken) is not { } before)
            {
                return NotFound(definition, name);
            }

            var (schedule, problems) = Validate(definition, name, request, actor, now, before);
            if (schedule is null)
            {
                return new ScheduleResult.Invalid(problems);
            }

            await NamedScheduleStore.ReplaceAsync(connection, transaction, schedule, cancellationToken);
            var key = schedule.TriggerKey;
            var paused = await scheduler.GetTriggerState(key, cancellationToken) == TriggerState.Paused;
            var pause = paused ? await scheduler.GetTriggerPause(key, cancellationToken) : null;
            if (schedule.Enabled)
            {
                await scheduler.ScheduleTrigger(NamedScheduleTriggers.Build(schedule, definition.JobKey, now), TriggerConflict.Replace, cancellationToken);
                if (paused)
                {
                    await scheduler.PauseTriggerWith(key, new PauseDetails { Reason = pause?.Reason, RequestedBy = pause?.RequestedBy }, cancellationToken);
                }
            }
            else
            {
                await scheduler.UnscheduleJob(key, cancellationToken);
            }

            await ChangedAsync(connection, transaction, AuditActions.ScheduleChange, "changed", actor, schedule,
                new { before = Describe(before), after = Describe(schedule) }, cancellationToken);
            return new ScheduleResult.Changed();
        }, cancellationToken);
    }

    public async Task<ScheduleResult> DeleteAsync(JobDefinition definition, string name, Requester actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (Immovable(definition, name) is { } refused)
        {
            return refused;
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return await store.InTransactionAsync<ScheduleResult>(scheduler, async (connection, transaction) =>
        {
            if (await NamedScheduleStore.LockAsync(connection, transaction, definition.Name, name, cancellationToken) is not { } before)
            {
                return NotFound(definition, name);
            }

            await NamedScheduleStore.DeleteAsync(connection, transaction, definition.Name, name, cancellationToken);
            await scheduler.UnscheduleJob(before.TriggerKey, cancellationToken);
            // Occurrences already drawn a jitter (or waiting for their busy type) go with the schedule.
            var waiting = await scheduler.QueryTriggers(new TriggerQuery
            {
                Group = GroupMatcher<TriggerKey>.GroupEquals(NamedSchedule.OccurrenceGroup),
                Name = NameMatcher<TriggerKey>.NameStartsWith($"{definition.Name}/{name}/"),
                Take = 1000,
            }, cancellationToken);
            if (waiting.Items.Count > 0)
            {
                await scheduler.UnscheduleJobs([.. waiting.Items.Select(t => t.Key)], cancellationToken);
            }

            await ChangedAsync(connection, transaction, AuditActions.ScheduleDelete, "deleted", actor, before, new { before = Describe(before) }, cancellationToken);
            return new ScheduleResult.Changed();
        }, cancellationToken);
    }

    public async Task<ScheduleResult> PauseAsync(JobDefinition definition, string name, string reason, Requester actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return await store.InTransactionAsync<ScheduleResult>(scheduler, async (connection, transaction) =>
        {
            if (await NamedScheduleStore.LockAsync(connection, transaction, definition.Name, name, cancellationToken) is not { } schedule)
            {
                return NotFound(definition, name);
            }

            if (!await scheduler.Exists(schedule.TriggerKey, cancellationToken))
            {
                return new ScheduleResult.Conflict("The schedule does not fire", $"{definition.Name}/{name} is disabled or has no fire time left; there is nothing to pause.");
            }

            await scheduler.PauseTriggerWith(schedule.TriggerKey, new PauseDetails { Reason = reason, RequestedBy = actor.Actor }, cancellationToken);
            await ChangedAsync(connection, transaction, AuditActions.SchedulePause, "paused", actor, schedule, new { reason }, cancellationToken);
            return new ScheduleResult.Changed();
        }, cancellationToken);
    }

    public async Task<ScheduleResult> ResumeAsync(JobDefinition definition, string name, Requester actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return await store.InTransactionAsync<ScheduleResult>(scheduler, async (connection, transaction) =>
        {
            if (await NamedScheduleStore.LockAsync(connection, transaction, definition.Name, name, cancellationToken) is not { } schedule)
            {
                return NotFound(definition, name);
            }

            if (await scheduler.GetTriggerState(schedule.TriggerKey, cancellationToken) != TriggerState.Paused)
            {
                return new ScheduleResult.Conflict("The schedule is not paused", $"{definition.Name}/{name} is not paused.");
            }

            var pause = await scheduler.GetTriggerPause(schedule.TriggerKey, cancellationToken);
            await scheduler.ResumeTrigger(schedule.TriggerKey, cancellationToken);
            await ChangedAsync(connection, transaction, AuditActions.ScheduleResume, "resumed", actor, schedule,
                new { pausedBecause = pause?.Reason, pausedBy = pause?.RequestedBy }, cancellationToken);
            return new ScheduleResult.Changed();
        }, cancellationToken);
    }

    /// <summary>The next fire times of a schedule not saved; the problems by field when it is not one that could be saved.</summary>
    public (SchedulePreview? Preview, Dictionary<string, string[]> Errors) Preview(SchedulePreviewRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>();
        var timing = Timing(request.Cron, request.Interval, request.TimeZone, request.StartAt, request.EndAt, time.GetUtcNow(), errors);
        var count = request.Count ?? 5;
        if (count is < 1 or > ScheduleProjection.MaxCount)
        {
            errors["count"] = [$"Must be from 1 to {ScheduleProjection.MaxCount}."];
        }

        if (errors.Count > 0 || timing is not var (kind, cron, interval, zone))
        {
            return (null, errors);
        }

        var times = NamedScheduleTriggers.Upcoming(kind, cron, interval, request.StartAt, request.EndAt, zone, time.GetUtcNow(), count);
        return (new SchedulePreview(cron, interval is { } i ? IsoDuration.Format(i) : null, zone, times), errors);
    }

    /// <summary>The schedule <paramref name="request"/> describes, or the problems with it by field.</summary>
    private (NamedSchedule? Schedule, Dictionary<string, string[]> Errors) Validate(JobDefinition definition, string name, NamedScheduleRequest request, Requester actor, DateTimeOffset now, NamedSchedule? existing)
    {
        var errors = new Dictionary<string, string[]>();
        var timing = Timing(request.Cron, request.Interval, request.TimeZone, request.StartAt, request.EndAt, now, errors);
        foreach (var (field, problem) in ParameterCheck.Problems(definition, request.Parameters))
        {
            errors[field] = problem;
        }

        var jitter = TimeSpan.Zero;
        if (request.Jitter is { } jitterText)
        {
            if (!IsoDuration.TryParse(jitterText, out jitter))
            {
                errors["jitter"] = ["Must be an ISO 8601 duration such as PT30S (weeks, days, hours, minutes, seconds)."];
            }
            else if (jitter > Settings.MaxJitter)
            {
                errors["jitter"] = [$"At most {IsoDuration.Format(Settings.MaxJitter)} (Schedules:MaxJitter)."];
            }
        }

        var policy = request.MisfirePolicy ?? MisfirePolicies.FireOnce;
        if (!MisfirePolicies.All.Contains(policy))
        {
            errors["misfirePolicy"] = [$"Unknown misfire policy. Valid policies: {string.Join(", ", MisfirePolicies.All)}."];
        }

        int? catchUp = null;
        if (policy == MisfirePolicies.CatchUp)
        {
            catchUp = request.CatchUpLimit ?? Math.Min(DefaultCatchUpLimit, Settings.MaxCatchUpLimit);
            if (catchUp < 1 || catchUp > Settings.MaxCatchUpLimit)
            {
                errors["catchUpLimit"] = [$"Must be from 1 to {Settings.MaxCatchUpLimit} (Schedules:MaxCatchUpLimit)."];
            }
        }
        else if (request.CatchUpLimit is not null)
        {
            errors["catchUpLimit"] = ["Only with the misfire policy catch_up."];
        }

        if (request.Description is { Length: > MaxDescriptionLength } || request.Description?.Any(c => char.IsControl(c) && c != '\n') == true)
        {
            errors["description"] = [$"At most {MaxDescriptionLength} characters, no control characters."];
        }

        if (errors.Count > 0 || timing is not var (kind, cron, interval, zone))
        {
            return (null, errors);
        }

        var schedule = new NamedSchedule(
            definition.Name, name, kind, cron, interval is { } i ? request.Interval : null, request.StartAt?.ToUniversalTime(), request.EndAt?.ToUniversalTime(), zone,
            request.Parameters is { ValueKind: JsonValueKind.Object } p ? p.GetRawText() : null,
            (int)jitter.TotalMilliseconds, policy, catchUp, request.Enabled ?? true, NamedSchedule.ApiOwner, request.Description,
            existing?.CreatedBy ?? actor.Actor, existing?.CreatedAt ?? now, actor.Actor, now);
        if (!NamedScheduleTriggers.FiresAgain(schedule, now))
        {
            errors[schedule.EndsAt is null ? (kind == NamedSchedule.CronKind ? "cron" : "interval") : "endAt"] = ["The schedule never fires again from now on."];
            return (null, errors);
        }

        return (schedule, errors);
    }

    /// <summary>Cron or interval, zone, start and end checked; the problems go to <paramref name="errors"/>.</summary>
    private (string Kind, string? Cron, TimeSpan? Interval, string Zone)? Timing(
        string? cronText, string? intervalText, string? timeZone, DateTimeOffset? startAt, DateTimeOffset? endAt, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        var zone = timeZone ?? "UTC";
        if (!ScheduleProjection.TryGetTimeZone(zone, out _, out var zoneError))
        {
            errors[ScheduleValidation.TimeZoneField] = [zoneError ?? "Not a known IANA time zone."];
        }

        if (startAt is { } start && endAt is { } end && end <= start)
        {
            errors["endAt"] = ["Must be later than startAt."];
        }
        else if (endAt is { } ending && ending <= now)
        {
            errors["endAt"] = ["Must be in the future."];
        }

        string? cron = null;
        TimeSpan? interval = null;
        if ((cronText is null) == (intervalText is null))
        {
            errors["cron"] = ["Give either cron or interval (an ISO 8601 duration such as PT15M), not both."];
        }
        else if (cronText is not null)
        {
            if (!CronSyntax.TryNormalize(cronText, out var normalized, out var cronError))
            {
                errors["cron"] = [cronError ?? "Not a valid cron expression."];
            }
            else
            {
                cron = normalized;
            }
        }
        else if (!IsoDuration.TryParse(intervalText, out var every))
        {
            errors["interval"] = ["Must be an ISO 8601 duration such as PT15M or P1D (weeks, days, hours, minutes, seconds)."];
        }
        else if (every < Settings.MinimumInterval)
        {
            errors["interval"] = [$"Must be at least {IsoDuration.Format(Settings.MinimumInterval)} (Schedules:MinimumInterval)."];
        }
        else
        {
            interval = every;
        }

        return errors.Count > 0 ? null : (cron is null ? NamedSchedule.IntervalKind : NamedSchedule.CronKind, cron, interval, zone);
    }

    private static string? NameProblem(string? name) => name switch
    {
        null or "" => "Required: 1 to 64 characters of a-z, 0-9, '-' and '_', starting with a letter.",
        _ when !ValidName().IsMatch(name) => "1 to 64 characters of a-z, 0-9, '-' and '_', starting with a letter.",
        _ when ReservedNames.Contains(name) => $"'{name}' is reserved ({string.Join(", ", ReservedNames)}).",
        _ => null,
    };

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex ValidName();

    private static ScheduleResult.Conflict? Immovable(JobDefinition definition, string name) => name == NamedSchedule.DefaultName
        ? new ScheduleResult.Conflict("The default schedule comes from configuration",
            $"{definition.Name}'s default schedule is Jobs:{definition.Name}:Cron; change it with PUT /api/schedules/{definition.Name}, return it to configuration with DELETE /api/schedules/{definition.Name}/override.")
        : null;

    private static ScheduleResult.Conflict Disabled(JobDefinition definition) =>
        new("The job type is disabled", $"{definition.Name} is disabled in configuration (Jobs:{definition.Name}:Enabled); enable it there first.");

    private static ScheduleResult.NotFound NotFound(JobDefinition definition, string name) =>
        new("Schedule not found", $"{definition.Name} has no schedule named '{(name.Length <= 64 ? name : name[..64] + "…")}'. GET /api/schedules lists them.");

    private async Task ChangedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string action, string kind, Requester actor, NamedSchedule schedule, object details, CancellationToken cancellationToken)
    {
        await audit.RecordAsync(connection, transaction, new AuditRecord(
            action, actor.Actor, AuditTargetTypes.Schedule, $"{schedule.JobType}/{schedule.Name}", schedule.JobType, actor.RemoteAddress, AuditOutcomes.Accepted, details),
            cancellationToken);
        await SchedulerEventStore.ScheduleChangedAsync(connection, transaction, kind, schedule.JobType, schedule.Name, cancellationToken);
    }

    private static object Describe(NamedSchedule s) => new
    {
        s.Name, s.Kind, s.Cron, interval = s.IntervalText, s.StartsAt, s.EndsAt, s.TimeZone,
        parameters = s.Parameters is null ? (JsonElement?)null : JsonSerializer.Deserialize<JsonElement>(s.Parameters),
        jitter = s.JitterMs == 0 ? null : IsoDuration.Format(s.Jitter), s.MisfirePolicy, s.CatchUpLimit, s.Enabled, s.Description,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {JobType}/{Name} created ({Timing}) by {Actor}")]
    private partial void LogCreated(string jobType, string name, string timing, string actor);
}
