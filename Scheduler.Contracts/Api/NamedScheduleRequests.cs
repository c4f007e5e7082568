using System.Text.Json;

namespace Scheduler.Contracts.Api;

/// <summary>
/// Body of <c>POST /api/schedules</c> (a new schedule) and <c>PUT /api/schedules/{jobType}/{name}</c> (the whole
/// schedule replaced; <see cref="JobType"/> and <see cref="Name"/> come from the route there). Exactly one of
/// <see cref="Cron"/> and <see cref="Interval"/>.
/// </summary>
/// <param name="JobType">The job type it runs (POST only).</param>
/// <param name="Name">Unique within the type: 1 to 64 characters of a-z, 0-9, <c>-</c> and <c>_</c>, starting with a letter (POST only).</param>
/// <param name="Cron">Quartz cron (seconds first) or the classic 5-field form.</param>
/// <param name="Interval">An ISO 8601 duration such as <c>PT15M</c>, at least <c>Schedules:MinimumInterval</c>.</param>
/// <param name="StartAt">No fire before this instant; an interval counts from it (default: one interval from now).</param>
/// <param name="EndAt">No fire after this instant.</param>
/// <param name="TimeZone">IANA zone the cron expression is read in (default <c>UTC</c>).</param>
/// <param name="Parameters">Parameters every run gets, as <c>POST /api/jobs/trigger</c> takes them (the type's catalog validates them).</param>
/// <param name="Jitter">A random delay up to this ISO 8601 duration, drawn per occurrence (default none).</param>
/// <param name="MisfirePolicy"><c>fire_once</c> (default: run once now for all missed), <c>skip</c> (wait for the next) or <c>catch_up</c> (run every missed one, up to <paramref name="CatchUpLimit"/>).</param>
/// <param name="CatchUpLimit">With <c>catch_up</c>: the most missed occurrences run (default 10).</param>
/// <param name="Enabled">False keeps the schedule without a trigger (default true).</param>
/// <param name="Description">What the schedule is for.</param>
public sealed record NamedScheduleRequest(
    [property: NoNul] string? JobType = null,
    [property: NoNul] string? Name = null,
    [property: NoNul] string? Cron = null,
    [property: NoNul] string? Interval = null,
    DateTimeOffset? StartAt = null,
    DateTimeOffset? EndAt = null,
    [property: NoNul] string? TimeZone = null,
    [property: StorableParameters] JsonElement? Parameters = null,
    [property: NoNul] string? Jitter = null,
    [property: NoNul] string? MisfirePolicy = null,
    int? CatchUpLimit = null,
    bool? Enabled = null,
    [property: NoNul] string? Description = null);

/// <summary>Body of <c>POST /api/schedules/preview</c>: a schedule not saved, whose next fire times are wanted.</summary>
/// <param name="Cron">Quartz or 5-field cron; or give <paramref name="Interval"/>.</param>
/// <param name="Interval">An ISO 8601 duration.</param>
/// <param name="StartAt">No fire before this instant; an interval counts from it.</param>
/// <param name="EndAt">No fire after this instant.</param>
/// <param name="TimeZone">IANA zone (default <c>UTC</c>).</param>
/// <param name="Count">How many fire times, 1 to 50 (default 5).</param>
public sealed record SchedulePreviewRequest(
    [property: NoNul] string? Cron = null,
    [property: NoNul] string? Interval = null,
    DateTimeOffset? StartAt = null,
    DateTimeOffset? EndAt = null,
    [property: NoNul] string? TimeZone = null,
    int? Count = null);

/// <summary>Answer to <c>POST /api/schedules/preview</c>.</summary>
/// <param name="Cron">The cron expression in Quartz's canonical spelling, for a cron schedule.</param>
/// <param name="Interval">The interval in ISO 8601, for an interval schedule.</param>
/// <param name="TimeZone">The zone.</param>
/// <param name="NextFireTimes">The next fire times, in UTC and in the zone.</param>
public sealed record SchedulePreview(string? Cron, string? Interval, string TimeZone, IReadOnlyList<FireTime> NextFireTimes);
