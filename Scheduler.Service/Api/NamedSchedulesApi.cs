using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Quartz;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Service.Api;

/// <summary>
/// <c>/api/schedules</c> for schedules created through the API: create, read, replace, delete, pause and resume
/// one by <c>{jobType}/{name}</c>. The name <c>default</c> is the type's configured schedule: readable, pausable and
/// resumable here, changed through <c>PUT /api/schedules/{jobType}</c>.
/// </summary>
public static class NamedSchedulesApi
{
    private const int UpcomingFireTimes = 5;

    internal static void Map(RouteGroupBuilder schedules, RouteGroupBuilder changes)
    {
        schedules.MapGet("/{jobType}/{name}", Get).WithName("GetNamedSchedule").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One schedule of a job type by name (default: the configured one).");
        changes.MapPost("", Create).WithName("CreateSchedule").ProducesValidationProblem()
            .WithSummary("Creates a named schedule (cron or interval, zone, parameters, jitter, misfire policy); it fires across the cluster at once.");
        changes.MapPut("/{jobType}/{name}", Replace).WithName("ReplaceSchedule").ProducesValidationProblem()
            .WithSummary("Replaces a named schedule as a whole (a pause is kept).");
        changes.MapDelete("/{jobType}/{name}", Delete).WithName("DeleteSchedule")
            .WithSummary("Deletes a named schedule; its runs stay in the history.");
        changes.MapPost("/{jobType}/{name}/pause", Pause).WithName("PauseNamedSchedule").ProducesValidationProblem()
            .WithSummary("Pauses one schedule of a job type with a reason (default: as POST /api/schedules/{jobType}/pause).");
        changes.MapPost("/{jobType}/{name}/resume", Resume).WithName("ResumeNamedSchedule")
            .WithSummary("Resumes one paused schedule of a job type.");
    }

    public static async Task<Results<Created<ScheduleView>, ValidationProblem, ProblemHttpResult>> Create(
        NamedScheduleRequest request, HttpContext http, [AsParameters] ScheduleServices services, CancellationToken cancellationToken)
    {
        switch (await services.Named.CreateAsync(request, ApiAudit.Requester(http), cancellationToken))
        {
            case ScheduleResult.Changed:
                var view = await ViewAsync(request.JobType!, request.Name!, services, cancellationToken);
                return TypedResults.Created($"/api/schedules/{request.JobType}/{request.Name}", view);
            case ScheduleResult.Invalid invalid:
                return TypedResults.ValidationProblem(invalid.Errors, title: "The schedule is invalid");
            case var problem:
                return SchedulesApi.Problem(problem);
        }
    }

    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Get(
        JobTypeRoute type, string name, [AsParameters] ScheduleServices services, CancellationToken cancellationToken)
    {
        if (name == NamedSchedule.DefaultName)
        {
            return TypedResults.Ok(await SchedulesApi.CurrentAsync(type.Definition, services, cancellationToken));
        }

        return await ViewAsync(type.Name, name, services, cancellationToken) is { } view ? TypedResults.Ok(view) : NotFound(type.Name, name);
    }

    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Replace(
        JobTypeRoute type, string name, NamedScheduleRequest request, HttpContext http, [AsParameters] ScheduleServices services, CancellationToken cancellationToken)
    {
        if ((request.JobType is { } jobType && jobType != type.Name) || (request.Name is { } renamed && renamed != name))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [request.Name is { } n && n != name ? "name" : "jobType"] = ["Leave it out, or give the one in the path: a schedule cannot be moved or renamed."],
            }, title: "The schedule is invalid");
        }

        return await AnswerAsync(await services.Named.ReplaceAsync(type.Definition, name, request, ApiAudit.Requester(http), cancellationToken), type.Name, name, services, cancellationToken);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        JobTypeRoute type, string name, HttpContext http, [AsParameters] ScheduleServices services, CancellationToken cancellationToken) =>
        await services.Named.DeleteAsync(type.Definition, name, ApiAudit.Requester(http), cancellationToken) switch
        {
            ScheduleResult.Changed => TypedResults.NoContent(),
            var problem => SchedulesApi.Problem(problem),
        };

    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Pause(
        JobTypeRoute type, string name, PauseRequest request, HttpContext http, [AsParameters] ScheduleServices services, CancellationToken cancellationToken)
    {
        if (name == NamedSchedule.DefaultName)
        {
            return await SchedulesApi.Pause(type, request, http, services, cancellationToken);
        }

        if (request.Until is not null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["until"] = ["A named schedule's pause lasts until it is resumed; leave 'until' out."] },
                title: "The pause request is invalid");
        }

        return await AnswerAsync(await services.Named.PauseAsync(type.Definition, name, request.Reason!, ApiAudit.Requester(http), cancellationToken), type.Name, name, services, cancellationToken);
    }

    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Resume(
        JobTypeRoute type, string name, HttpContext http, [AsParameters] ScheduleServices services, CancellationToken cancellationToken) =>
        name == NamedSchedule.DefaultName
            ? await SchedulesApi.Resume(type, http, services, cancellationToken)
            : await AnswerAsync(await services.Named.ResumeAsync(type.Definition, name, ApiAudit.Requester(http), cancellationToken), type.Name, name, services, cancellationToken);

    private static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> AnswerAsync(
        ScheduleResult result, string jobType, string name, ScheduleServices services, CancellationToken cancellationToken) => result switch
        {
            ScheduleResult.Changed => await ViewAsync(jobType, name, services, cancellationToken) is { } view ? TypedResults.Ok(view) : NotFound(jobType, name),
            ScheduleResult.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The schedule is invalid"),
            _ => SchedulesApi.Problem(result),
        };

    private static ProblemHttpResult NotFound(string jobType, string name) => SchedulesApi.Problem(
        new ScheduleResult.NotFound("Schedule not found", $"{jobType} has no schedule named '{(name.Length <= 64 ? name : name[..64] + "…")}'. GET /api/schedules lists them."));

    /// <summary>Every named schedule, as the list shows it.</summary>
    internal static async Task<IReadOnlyList<ScheduleView>> ViewsAsync(ScheduleServices services, CancellationToken cancellationToken)
    {
        var rows = await services.NamedStore.ListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return [];
        }

        var triggers = await TriggersAsync(services, null, cancellationToken);
        var now = services.Time.GetUtcNow();
        return [.. rows.Select(r => View(r, triggers.GetValueOrDefault(r.TriggerKey.Name), now))];
    }

    private static async Task<ScheduleView?> ViewAsync(string jobType, string name, ScheduleServices services, CancellationToken cancellationToken)
    {
        if (await services.NamedStore.GetAsync(jobType, name, cancellationToken) is not { } row)
        {
            return null;
        }

        var triggers = await TriggersAsync(services, row.TriggerKey.Name, cancellationToken);
        return View(row, triggers.GetValueOrDefault(row.TriggerKey.Name), services.Time.GetUtcNow());
    }

    private static async Task<Dictionary<string, TriggerHeader>> TriggersAsync(ScheduleServices services, string? name, CancellationToken cancellationToken)
    {
        var scheduler = await services.Schedulers.GetScheduler(cancellationToken);
        var query = new TriggerQuery { Group = GroupMatcher<TriggerKey>.GroupEquals(NamedSchedule.TriggerGroup), Take = 1000 };
        if (name is not null)
        {
            query = query with { Name = NameMatcher<TriggerKey>.NameEquals(name) };
        }

        return (await scheduler.QueryTriggers(query, cancellationToken)).Items.ToDictionary(t => t.Key.Name, StringComparer.Ordinal);
    }

    private static ScheduleView View(NamedSchedule row, TriggerHeader? trigger, DateTimeOffset now)
    {
        var paused = trigger?.State == TriggerState.Paused;
        var pause = paused ? trigger!.Pause : null;
        var runs = row.Enabled && trigger is not null;
        var fireTimes = runs
            ? NamedScheduleTriggers.Upcoming(row.Kind, row.Cron, row.Interval, row.StartsAt, row.EndsAt, row.TimeZone, now, UpcomingFireTimes,
                row.Kind == NamedSchedule.IntervalKind ? trigger!.NextFireTimeUtc : null)
            : [];
        return new ScheduleView
        {
            JobType = row.JobType,
            Name = row.Name,
            Kind = row.Kind,
            Cron = row.Cron,
            Interval = row.IntervalText,
            StartAt = row.StartsAt,
            EndAt = row.EndsAt,
            TimeZone = row.TimeZone,
            Parameters = row.Parameters is null ? null : JsonSerializer.Deserialize<JsonElement>(row.Parameters),
            Jitter = row.JitterMs == 0 ? null : IsoDuration.Format(row.Jitter),
            MisfirePolicy = row.MisfirePolicy,
            CatchUpLimit = row.CatchUpLimit,
            Owner = row.Owner,
            Description = row.Description,
            Enabled = row.Enabled,
            Runs = runs,
            Source = row.Owner,
            Drift = false,
            Configured = null,
            Override = new ScheduleOverrideInfo(row.ChangedBy, row.ChangedAt),
            NextFireTimes = fireTimes,
            DstTransitions = [],
            PreviousFireTime = trigger?.PreviousFireTimeUtc,
            Paused = paused,
            Pause = paused ? new PauseView(pause?.Reason, pause?.RequestedBy, pause?.PausedAtUtc, null) : null,
        };
    }
}
