using Microsoft.AspNetCore.Http.HttpResults;
using Quartz;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Scheduling;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Api;

/// <summary>
/// <c>/api/schedules</c>: read every type's schedule, change it at run time (an audited override configuration
/// start-up keeps and reports as drift), return it to configuration, pause with a reason and an optional end,
/// resume, and backfill missed occurrences; and the named schedules created through the API (<see cref="NamedSchedulesApi"/>).
/// </summary>
public static class SchedulesApi
{
    private const int UpcomingFireTimes = 5;

    public static IEndpointRouteBuilder MapSchedulesApi(this IEndpointRouteBuilder app)
    {
        var schedules = app.MapGroup("/api/schedules").WithTags("Schedules").RequireAuthorization(Caller.ReaderPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        JobTypeRoute.RequireKnown(schedules);
        schedules.MapGet("", List).WithName("ListSchedules")
            .WithSummary("Every job type's schedule: cron, time zone, next five fire times in UTC and in the zone with DST changes flagged, previous fire, pause, source and drift.");
        schedules.MapGet("/{jobType}", Get).WithName("GetSchedule").ProducesProblem(StatusCodes.Status404NotFound).WithSummary("One job type's schedule.");

        var changes = schedules.MapGroup("").RequireAuthorization(Caller.AdminPolicy).RequireRateLimiting(MutationRateLimit.Policy)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        changes.MapPut("/{jobType}", Change).WithName("ChangeSchedule")
            .WithSummary("Changes cron, time zone or enabled at run time (Quartz or 5-field Unix cron); takes effect across the cluster at once.");
        changes.MapDelete("/{jobType}/override", Reset).WithName("ResetSchedule").WithSummary("Returns the schedule to configuration.");
        changes.MapPost("/{jobType}/pause", Pause).WithName("PauseSchedule").WithSummary("Pauses the schedule with a reason, until resumed or until 'until'.");
        changes.MapPost("/{jobType}/resume", Resume).WithName("ResumeSchedule").WithSummary("Resumes a paused schedule.");
        changes.MapPost("/{jobType}/backfill", Backfill).WithName("BackfillSchedule")
            .WithSummary("Lists the occurrences in [from, to) that have no row; without dryRun runs them one after another, each recorded with its occurrence.");
        schedules.MapPost("/preview", Preview).WithName("PreviewSchedule").ProducesValidationProblem()
            .WithSummary("The next fire times of a cron or interval schedule not saved (for the dashboard's editor).");
        NamedSchedulesApi.Map(schedules, changes);
        return app;
    }

    public static async Task<Ok<IReadOnlyList<ScheduleView>>> List([AsParameters] ScheduleServices services, CancellationToken cancellationToken)
    {
        var triggers = await services.Manager.CronTriggersAsync(cancellationToken);
        var expiries = await services.Store.PauseExpiriesAsync(cancellationToken);
        var now = services.Time.GetUtcNow();
        var named = await NamedSchedulesApi.ViewsAsync(services, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<ScheduleView>>(
            [.. (await services.Manager.EffectiveAsync(cancellationToken)).Select(s => View(s, triggers.GetValueOrDefault(s.Definition.Name), expiries, now)), .. named]);
    }

    public static Results<Ok<SchedulePreview>, ValidationProblem> Preview(SchedulePreviewRequest request, NamedScheduleControl control)
    {
        var (preview, errors) = control.Preview(request);
        return preview is null ? TypedResults.ValidationProblem(errors, title: "The schedule is invalid") : TypedResults.Ok(preview);
    }

    public static async Task<Ok<ScheduleView>> Get(JobTypeRoute type, [AsParameters] ScheduleServices services, CancellationToken cancellationToken) =>
        TypedResults.Ok(await CurrentAsync(type.Definition, services, cancellationToken));

    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Change(
        JobTypeRoute type, ScheduleChangeRequest request, HttpContext http, [AsParameters] ScheduleServices services, CancellationToken cancellationToken) =>
        await AnswerAsync(await services.Control.ChangeAsync(type.Definition, request, ApiAudit.Requester(http), cancellationToken),
            "The schedule change is invalid", type.Definition, services, cancellationToken);

    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Reset(
        JobTypeRoute type, HttpContext http, [AsParameters] ScheduleServices services, CancellationToken cancellationToken) =>
        await AnswerAsync(await services.Control.ResetAsync(type.Definition, ApiAudit.Requester(http), cancellationToken),
            "The schedule reset is invalid", type.Definition, services, cancellationToken);

    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Pause(
        JobTypeRoute type, PauseRequest request, HttpContext http, [AsParameters] ScheduleServices services, CancellationToken cancellationToken) =>
        await AnswerAsync(await services.Control.PauseAsync(type.Definition, PauseOrder.Requested(request.Reason!, request.Until), ApiAudit.Requester(http), cancellationToken),
            "The pause request is invalid", type.Definition, services, cancellationToken);

    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Resume(
        JobTypeRoute type, HttpContext http, [AsParameters] ScheduleServices services, CancellationToken cancellationToken) =>
        await AnswerAsync(await services.Control.ResumeAsync(type.Definition, ResumeOrder.Requested, ApiAudit.Requester(http), cancellationToken),
            "The resume request is invalid", type.Definition, services, cancellationToken);

    public static async Task<Results<Ok<BackfillResponse>, Accepted<BackfillResponse>, ValidationProblem, ProblemHttpResult>> Backfill(
        JobTypeRoute type, BackfillRequest request, HttpContext http, ScheduleControl control, CancellationToken cancellationToken)
    {
        switch (await control.BackfillAsync(type.Definition, request.From!.Value, request.To!.Value, request.DryRun, ApiAudit.Requester(http), cancellationToken))
        {
            case ScheduleResult.Backfilled(var missing, var backfillId):
                var answer = new BackfillResponse(type.Name, missing, request.DryRun, backfillId);
                return backfillId is null ? TypedResults.Ok(answer) : TypedResults.Accepted($"/api/jobs?type={type.Name}", answer);
            case ScheduleResult.Invalid invalid:
                return TypedResults.ValidationProblem(invalid.Errors, title: "The backfill request is invalid");
            case var problem:
                return Problem(problem);
        }
    }

    /// <summary>The schedule as it is now when the change was made; otherwise the problem that says why not.</summary>
    internal static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> AnswerAsync(
        ScheduleResult result, string invalidTitle, JobDefinition definition, ScheduleServices services, CancellationToken cancellationToken) => result switch
        {
            ScheduleResult.Changed => TypedResults.Ok(await CurrentAsync(definition, services, cancellationToken)),
            ScheduleResult.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: invalidTitle),
            _ => Problem(result),
        };

    internal static ProblemHttpResult Problem(ScheduleResult result) => result switch
    {
        ScheduleResult.NotFound notFound => TypedResults.Problem(title: notFound.Title, detail: notFound.Detail, statusCode: StatusCodes.Status404NotFound),
        ScheduleResult.Conflict conflict => TypedResults.Problem(title: conflict.Title, detail: conflict.Detail, statusCode: StatusCodes.Status409Conflict),
        _ => throw new InvalidOperationException($"{result} is not a problem"),
    };

    internal static async Task<ScheduleView> CurrentAsync(JobDefinition definition, ScheduleServices services, CancellationToken cancellationToken)
    {
        var scheduler = await services.Schedulers.GetScheduler(cancellationToken);
        var found = (await scheduler.QueryTriggers(new TriggerQuery
        {
            Group = GroupMatcher<TriggerKey>.GroupEquals(JobCatalog.CronTriggerGroup),
            Name = NameMatcher<TriggerKey>.NameEquals(definition.Name),
        }, cancellationToken)).Items;
        var header = found.Count > 0 ? found[0] : null;
        return View(await services.Manager.EffectiveAsync(definition, cancellationToken), header, await services.Store.PauseExpiriesAsync(cancellationToken), services.Time.GetUtcNow());
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
            Override = schedule.Override is { } change ? new ScheduleOverrideInfo(change.ChangedBy, change.ChangedAt) : null,
            NextFireTimes = projection is null ? [] : [.. projection.FireTimes.Select(f => new FireTime(f.Utc, f.Local, f.DstTransition))],
            DstTransitions = projection is null ? [] : [.. projection.Transitions.Select(t => new OffsetChange(t.At, t.OffsetBefore, t.OffsetAfter))],
            PreviousFireTime = trigger?.PreviousFireTimeUtc,
            Paused = paused,
            Pause = paused ? new PauseView(pause?.Reason, pause?.RequestedBy, pause?.PausedAtUtc, expiries.TryGetValue(definition.Name, out var until) ? until : null) : null,
            Invalid = schedule.Problem is not null,
            InvalidReason = schedule.Problem?.Reason,
        };
    }
}

/// <summary>What the schedule handlers use.</summary>
public sealed record ScheduleServices(
    ScheduleControl Control, ScheduleManager Manager, ISchedulerFactory Schedulers, ScheduleStore Store, TimeProvider Time,
    NamedScheduleControl Named, NamedScheduleStore NamedStore);
