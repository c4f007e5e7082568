using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Quartz;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Events;
using Scheduler.Jobs.Scheduling;
using Scheduler.Service.Auth;
using Scheduler.Service.Scheduling;

namespace Scheduler.Service.Api;

/// <summary>
/// <c>/api/schedules</c>: read every type's schedule, change it at run time (an audited override configuration
/// start-up keeps and reports as drift), return it to configuration, pause with a reason and an optional end,
/// resume, and backfill missed occurrences.
/// </summary>
public static class SchedulesApi
{
    private const int UpcomingFireTimes = 5;
    private const int MaxReasonLength = 500;
    private static readonly TimeSpan MaxPause = TimeSpan.FromDays(90);

    /// <summary>A backfill covers at most this window and this many occurrences.</summary>
    public static readonly TimeSpan MaxBackfillWindow = TimeSpan.FromDays(31);

    public const int MaxBackfillOccurrences = 100;

    public static IEndpointRouteBuilder MapSchedulesApi(this IEndpointRouteBuilder app)
    {
        var schedules = app.MapGroup("/api/schedules").WithTags("Schedules").RequireAuthorization(Caller.ReaderPolicy);
        schedules.MapGet("", List).WithName("ListSchedules")
            .WithSummary("Every job type's schedule: cron, time zone, next five fire times in UTC and in the zone with DST changes flagged, previous fire, pause, source and drift.");
        schedules.MapGet("/{jobType}", Get).WithName("GetSchedule").WithSummary("One job type's schedule.");

        var changes = schedules.MapGroup("").RequireAuthorization(Caller.AdminPolicy).RequireRateLimiting(MutationRateLimit.Policy);
        changes.MapPut("/{jobType}", Change).WithName("ChangeSchedule")
            .WithSummary("Changes cron, time zone or enabled at run time (Quartz or 5-field Unix cron); takes effect across the cluster at once.");
        changes.MapDelete("/{jobType}/override", Reset).WithName("ResetSchedule").WithSummary("Returns the schedule to configuration.");
        changes.MapPost("/{jobType}/pause", Pause).WithName("PauseSchedule").WithSummary("Pauses the schedule with a reason, until resumed or until 'until'.");
        changes.MapPost("/{jobType}/resume", Resume).WithName("ResumeSchedule").WithSummary("Resumes a paused schedule.");
        changes.MapPost("/{jobType}/backfill", Backfill).WithName("BackfillSchedule")
            .WithSummary("Lists the occurrences in [from, to) that have no row; without dryRun runs them one after another, each recorded with its occurrence.");
        return app;
    }

    public static async Task<Ok<IReadOnlyList<ScheduleView>>> List(ScheduleManager manager, ScheduleStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var triggers = await manager.CronTriggersAsync(cancellationToken);
        var expiries = await store.PauseExpiriesAsync(cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Ok<IReadOnlyList<ScheduleView>>(
            [.. (await manager.EffectiveAsync(cancellationToken)).Select(s => View(s, triggers.GetValueOrDefault(s.Definition.Name), expiries, now))]);
    }

    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Get(
        string jobType, JobCatalog catalog, ScheduleManager manager, ISchedulerFactory schedulers, ScheduleStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(jobType, out var definition))
        {
            return UnknownType(jobType, catalog);
        }

        return TypedResults.Ok(await CurrentAsync(definition, manager, schedulers, store, time, cancellationToken));
    }

    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Change(
        string jobType, ScheduleChangeRequest request, HttpContext http, JobCatalog catalog, ScheduleManager manager, ISchedulerFactory schedulers,
        ScheduleStore store, AuditLog audit, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(jobType, out var definition))
        {
            return UnknownType(jobType, catalog);
        }

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

        if (request is { Cron: null, TimeZone: null, Enabled: null })
        {
            errors["body"] = ["Give at least one of cron, timeZone and enabled."];
        }

        if (errors.Count > 0)
        {
            return InvalidChange(errors);
        }

        if (!definition.Enabled)
        {
            return TypedResults.Problem(title: "The job type is disabled",
                detail: $"{jobType} is disabled in configuration (Jobs:{jobType}:Enabled); enable it there first.", statusCode: StatusCodes.Status409Conflict);
        }

        var actor = ApiAudit.Actor(http);
        var before = await manager.EffectiveAsync(definition, cancellationToken);
        var change = new ScheduleOverride(jobType, cron ?? before.Cron, request.TimeZone ?? before.TimeZone, request.Enabled ?? before.Enabled, actor, time.GetUtcNow().UtcDateTime);

        // The whole schedule as it would be stored, whether or not it is switched on now: Quartz's "will never fire"
        // check included, so that nothing is stored that a node could not schedule at its next start.
        if (ScheduleValidation.Check(change.Cron, change.TimeZone, time.GetUtcNow()) is { } problem)
        {
            return InvalidChange(new Dictionary<string, string[]> { [problem.Field] = [problem.Reason] });
        }

        var details = new
        {
            before = new { before.Cron, before.TimeZone, before.Enabled, before.Source },
            after = new { change.Cron, change.TimeZone, change.Enabled },
            requested = new { request.Cron, request.TimeZone, request.Enabled },
        };
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
            await AuditAsync(audit, http, AuditActions.ScheduleChange, actor, jobType, AuditOutcomes.Rejected, new { details.requested, reason = ex.Message }, loggers);
            return InvalidChange(new Dictionary<string, string[]> { [ScheduleValidation.CronField] = [$"Quartz refused the schedule: {ex.Message}"] });
        }
        catch (Exception ex) when (ex is JobPersistenceException or NpgsqlException)
        {
            // Rolled back likewise; the answer is the exception handler's (503 while the database is unreachable).
            await AuditAsync(audit, http, AuditActions.ScheduleChange, actor, jobType, AuditOutcomes.Failed, new { details.requested, reason = ex.Message }, loggers);
            throw;
        }

        await AuditAsync(audit, http, AuditActions.ScheduleChange, actor, jobType, AuditOutcomes.Accepted, details, loggers);
        return TypedResults.Ok(await CurrentAsync(definition, manager, schedulers, store, time, cancellationToken));
    }

    private static ValidationProblem InvalidChange(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The schedule change is invalid");

    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Reset(
        string jobType, HttpContext http, JobCatalog catalog, ScheduleManager manager, ISchedulerFactory schedulers,
        ScheduleStore store, AuditLog audit, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(jobType, out var definition))
        {
            return UnknownType(jobType, catalog);
        }

        var before = await manager.EffectiveAsync(definition, cancellationToken);
        var configured = manager.Effective(definition, null);
        if (configured.Problem is { } problem)
        {
            return TypedResults.Problem(title: "The configured schedule is invalid",
                detail: $"{jobType}'s configured schedule (Jobs:{jobType}:Cron, :TimeZone) cannot be scheduled: {problem.Reason} Fix the configuration, or PUT a valid schedule.",
                statusCode: StatusCodes.Status409Conflict);
        }

        if (!await store.DeleteOverrideAsync(jobType, async token => await manager.ApplyAsync(configured, token), cancellationToken))
        {
            return TypedResults.Problem(title: "The schedule has no override", detail: $"{jobType} already runs on its configured schedule.",
                statusCode: StatusCodes.Status404NotFound);
        }

        await AuditAsync(audit, http, AuditActions.ScheduleReset, ApiAudit.Actor(http), jobType, AuditOutcomes.Accepted, new
        {
            before = new { before.Cron, before.TimeZone, before.Enabled },
            after = new { definition.Cron, definition.TimeZone, Enabled = definition.Scheduled },
        }, loggers);
        return TypedResults.Ok(await CurrentAsync(definition, manager, schedulers, store, time, cancellationToken));
    }

    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Pause(
        string jobType, PauseRequest request, HttpContext http, JobCatalog catalog, ScheduleManager manager, ISchedulerFactory schedulers,
        ScheduleStore store, AuditLog audit, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(jobType, out var definition))
        {
            return UnknownType(jobType, catalog);
        }

        var now = time.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            errors["reason"] = ["Required: say why, for whoever looks next."];
        }
        else if (request.Reason.Length > MaxReasonLength || request.Reason.Any(char.IsControl))
        {
            errors["reason"] = [$"At most {MaxReasonLength} characters, no control characters."];
        }

        if (request.Until is { } until && (until <= now || until - now > MaxPause))
        {
            errors["until"] = [$"Must be in the future and at most {MaxPause.TotalDays:0} days ahead."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The pause request is invalid");
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (await scheduler.GetTrigger(definition.CronTriggerKey, cancellationToken) is null)
        {
            return TypedResults.Problem(title: "The job type has no schedule to pause",
                detail: $"{jobType} does not run on a schedule now (disabled, or manual only).", statusCode: StatusCodes.Status409Conflict);
        }

        var actor = ApiAudit.Actor(http);
        await scheduler.PauseTriggerWith(definition.CronTriggerKey, new PauseDetails { Reason = request.Reason, RequestedBy = actor }, cancellationToken);
        await store.SetPauseExpiryAsync(jobType, request.Until, cancellationToken);
        await AuditAsync(audit, http, AuditActions.SchedulePause, actor, jobType, AuditOutcomes.Accepted, new { request.Reason, request.Until }, loggers);
        return TypedResults.Ok(await CurrentAsync(definition, manager, schedulers, store, time, cancellationToken));
    }

    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Resume(
        string jobType, HttpContext http, JobCatalog catalog, ScheduleManager manager, ISchedulerFactory schedulers,
        ScheduleStore store, AuditLog audit, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(jobType, out var definition))
        {
            return UnknownType(jobType, catalog);
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (await scheduler.GetTriggerState(definition.CronTriggerKey, cancellationToken) != TriggerState.Paused)
        {
            return TypedResults.Problem(title: "The schedule is not paused", detail: $"{jobType} is not paused.", statusCode: StatusCodes.Status409Conflict);
        }

        var pause = await scheduler.GetTriggerPause(definition.CronTriggerKey, cancellationToken);
        await scheduler.ResumeTrigger(definition.CronTriggerKey, cancellationToken);
        await store.SetPauseExpiryAsync(jobType, null, cancellationToken);
        await AuditAsync(audit, http, AuditActions.ScheduleResume, ApiAudit.Actor(http), jobType, AuditOutcomes.Accepted, new { pausedBecause = pause?.Reason, pausedBy = pause?.RequestedBy }, loggers);
        return TypedResults.Ok(await CurrentAsync(definition, manager, schedulers, store, time, cancellationToken));
    }

    public static async Task<Results<Ok<BackfillResponse>, Accepted<BackfillResponse>, ValidationProblem, ProblemHttpResult>> Backfill(
        string jobType, BackfillRequest request, HttpContext http, JobCatalog catalog, ScheduleManager manager,
        ScheduleStore store, AuditLog audit, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(jobType, out var definition))
        {
            return UnknownType(jobType, catalog);
        }

        var now = time.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        if (request.From is null)
        {
            errors["from"] = ["Required (ISO 8601)."];
        }

        if (request.To is null)
        {
            errors["to"] = ["Required (ISO 8601)."];
        }
        else if (request.To > now)
        {
            errors["to"] = ["Must not be in the future: occurrences still to come run on their own."];
        }

        if (request is { From: { } from, To: { } to } && (from >= to || to - from > MaxBackfillWindow))
        {
            errors["to"] = [$"Must be later than 'from', and the window at most {MaxBackfillWindow.TotalDays:0} days."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The backfill request is invalid");
        }

        if (!definition.Enabled)
        {
            return TypedResults.Problem(title: "The job type is disabled", detail: $"{jobType} is disabled in configuration and accepts no runs.",
                statusCode: StatusCodes.Status409Conflict);
        }

        var schedule = await manager.EffectiveAsync(definition, cancellationToken);
        if (schedule.Problem is { } problem)
        {
            return TypedResults.Problem(title: "The schedule is invalid",
                detail: $"{jobType}'s schedule cannot be read: {problem.Reason} Repair it with PUT /api/schedules/{jobType} first.",
                statusCode: StatusCodes.Status409Conflict);
        }

        var window = Occurrences.Between(schedule.Cron, schedule.TimeZone, request.From!.Value, request.To!.Value, MaxBackfillOccurrences + 1);
        if (window.Count > MaxBackfillOccurrences)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["to"] = [$"The window holds more than {MaxBackfillOccurrences} occurrences; backfill a shorter one."],
            }, title: "The backfill request is invalid");
        }

        var recorded = await store.RecordedOccurrencesAsync(jobType, request.From.Value, request.To.Value, cancellationToken);
        var missing = window.Where(o => !recorded.Contains(o)).ToList();
        var actor = ApiAudit.Actor(http);
        Guid? backfillId = request.DryRun || missing.Count == 0 ? null : await store.CreateBackfillAsync(jobType, missing, actor, now, cancellationToken);
        await AuditAsync(audit, http, AuditActions.ScheduleBackfill, actor, jobType, AuditOutcomes.Accepted,
            new { request.From, request.To, request.DryRun, missing = missing.Count, backfillId }, loggers);
        var answer = new BackfillResponse(jobType, missing, request.DryRun, backfillId);
        return backfillId is null ? TypedResults.Ok(answer) : TypedResults.Accepted($"/api/jobs?type={jobType}", answer);
    }

    private static async Task<ScheduleView> CurrentAsync(
        JobDefinition definition, ScheduleManager manager, ISchedulerFactory schedulers, ScheduleStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var found = (await scheduler.QueryTriggers(new TriggerQuery
        {
            Group = GroupMatcher<TriggerKey>.GroupEquals(JobCatalog.CronTriggerGroup),
            Name = NameMatcher<TriggerKey>.NameEquals(definition.Name),
        }, cancellationToken)).Items;
        var header = found.Count > 0 ? found[0] : null;
        return View(await manager.EffectiveAsync(definition, cancellationToken), header, await store.PauseExpiriesAsync(cancellationToken), time.GetUtcNow());
    }

    private static ScheduleView View(EffectiveSchedule schedule, TriggerHeader? trigger, IReadOnlyDictionary<string, DateTimeOffset> expiries, DateTimeOffset now)
    {
        var definition = schedule.Definition;
        var paused = trigger?.State == TriggerState.Paused;
        var pause = paused ? trigger!.Pause : null;
        var projection = schedule.Runs && schedule.Problem is null ? ScheduleProjection.Compute(schedule.Cron, schedule.TimeZone, now, UpcomingFireTimes) : null;
        return new ScheduleView
        {
            JobType = definition.Name,
            Cron = schedule.Cron,
            TimeZone = schedule.TimeZone,
            Enabled = schedule.Enabled,
            Runs = schedule.Runs,
            Source = schedule.Source,
            Drift = schedule.Drift,
            Configured = new ScheduleDefinition(definition.Cron, definition.TimeZone, definition.Scheduled),
            Override = schedule.Override is { } change ? new ScheduleOverrideInfo(change.ChangedBy, new DateTimeOffset(DateTime.SpecifyKind(change.ChangedAt, DateTimeKind.Utc))) : null,
            NextFireTimes = projection is null ? [] : [.. projection.FireTimes.Select(f => new FireTime(f.Utc, f.Local, f.DstTransition))],
            DstTransitions = projection is null ? [] : [.. projection.Transitions.Select(t => new OffsetChange(t.At, t.OffsetBefore, t.OffsetAfter))],
            PreviousFireTime = trigger?.PreviousFireTimeUtc,
            Paused = paused,
            Pause = paused ? new PauseView(pause?.Reason, pause?.RequestedBy, pause?.PausedAtUtc, expiries.TryGetValue(definition.Name, out var until) ? until : null) : null,
            Invalid = schedule.Problem is not null,
            InvalidReason = schedule.Problem?.Reason,
        };
    }

    private static ProblemHttpResult UnknownType(string jobType, JobCatalog catalog) => TypedResults.Problem(
        title: "Unknown job type",
        detail: $"No job type is named '{(jobType.Length <= 64 ? jobType : jobType[..64] + "…")}'. Valid types: {string.Join(", ", catalog.Names)}.",
        statusCode: StatusCodes.Status404NotFound);

    /// <summary>Audits a schedule change and, when it was carried out, tells the live views (the event's kind is the action's verb: paused, resumed, changed, reset).</summary>
    private static async Task AuditAsync(AuditLog audit, HttpContext http, string action, string actor, string jobType, string outcome, object details, ILoggerFactory loggers)
    {
        await ApiAudit.RecordAsync(audit, http, new AuditRecord(action, actor, AuditTargetTypes.Schedule, jobType, jobType, null, outcome, details), loggers);
        if (outcome != AuditOutcomes.Accepted)
        {
            return;
        }

        var kind = action switch
        {
            AuditActions.SchedulePause => "paused",
            AuditActions.ScheduleResume => "resumed",
            AuditActions.ScheduleChange => "changed",
            AuditActions.ScheduleReset => "reset",
            _ => null,
        };
        if (kind is not null)
        {
            await http.RequestServices.GetRequiredService<SchedulerEventStore>().ScheduleChangedAsync(kind, jobType, CancellationToken.None);
        }
    }
}
