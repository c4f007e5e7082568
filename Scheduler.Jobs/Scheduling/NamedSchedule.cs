using Quartz;

namespace Scheduler.Jobs.Scheduling;

/// <summary>A schedule created through the API: a <c>job_schedules</c> row, and what its Quartz trigger is built from.</summary>
/// <param name="JobType">The job type it runs.</param>
/// <param name="Name">Unique within the type.</param>
/// <param name="Kind"><c>cron</c> or <c>interval</c>.</param>
/// <param name="Cron">The Quartz cron expression (canonical spelling) of a cron schedule.</param>
/// <param name="IntervalText">The ISO 8601 duration of an interval schedule, as given.</param>
/// <param name="StartsAt">No fire before this instant; an interval counts from it.</param>
/// <param name="EndsAt">No fire after this instant.</param>
/// <param name="TimeZone">IANA zone a cron expression is read in.</param>
/// <param name="Parameters">Parameters every run gets (JSON object), validated by the type's parameter catalog.</param>
/// <param name="JitterMs">Bound of the random delay drawn per occurrence, in milliseconds; 0 for none.</param>
/// <param name="MisfirePolicy"><c>fire_once</c>, <c>skip</c> or <c>catch_up</c>.</param>
/// <param name="CatchUpLimit">With <c>catch_up</c>: at most this many missed occurrences are run.</param>
/// <param name="Enabled">False: the row is kept, with no trigger.</param>
/// <param name="Owner"><c>api</c>: start-up reconciliation leaves it alone.</param>
/// <param name="Description">What it is for.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="ChangedBy">Who changed it last.</param>
/// <param name="ChangedAt">When.</param>
public sealed record NamedSchedule(
    string JobType,
    string Name,
    string Kind,
    string? Cron,
    string? IntervalText,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    string TimeZone,
    string? Parameters,
    int JitterMs,
    string MisfirePolicy,
    int? CatchUpLimit,
    bool Enabled,
    string Owner,
    string? Description,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    string ChangedBy,
    DateTimeOffset ChangedAt)
{
    public const string CronKind = "cron";
    public const string IntervalKind = "interval";

    /// <summary>The name of the schedule configuration gives a type.</summary>
    public const string DefaultName = "default";

    /// <summary>Who owns a schedule created through the API (start-up reconciliation leaves it alone).</summary>
    public const string ApiOwner = "api";

    /// <summary>The Quartz group of the schedules' own triggers.</summary>
    public const string TriggerGroup = "schedules";

    /// <summary>The Quartz group of one-shot triggers that carry one occurrence (its jittered or deferred run).</summary>
    public const string OccurrenceGroup = "schedule-occurrences";

    public TimeSpan? Interval => IntervalText is null ? null : IsoDuration.TryParse(IntervalText, out var interval) ? interval : null;

    public TimeSpan Jitter => TimeSpan.FromMilliseconds(JitterMs);

    public TriggerKey TriggerKey => KeyOf(JobType, Name);

    public static TriggerKey KeyOf(string jobType, string name) => new($"{jobType}/{name}", TriggerGroup);
}

/// <summary>How a schedule treats occurrences it missed (its node down, the cluster stopped).</summary>
public static class MisfirePolicies
{
    /// <summary>Run once now for all that were missed (coalesce), then carry on.</summary>
    public const string FireOnce = "fire_once";

    /// <summary>Run none of them: wait for the next occurrence.</summary>
    public const string Skip = "skip";

    /// <summary>Run every missed one, one after another, at most the schedule's catch-up limit (the latest ones).</summary>
    public const string CatchUp = "catch_up";

    public static IReadOnlyList<string> All { get; } = [FireOnce, Skip, CatchUp];
}

/// <summary>What a schedule's trigger carries in its <see cref="JobDataMap"/>, for the claim.</summary>
public static class ScheduleData
{
    public const string ScheduleKey = "schedule";
    public const string JitterKey = "jitterMs";
    public const string MisfirePolicyKey = "misfirePolicy";
    public const string CatchUpLimitKey = "catchUpLimit";

    /// <summary>On a one-shot occurrence trigger: the nominal occurrence it runs (ISO 8601).</summary>
    public const string OccurrenceKey = "occurrence";

    /// <summary>On a one-shot occurrence trigger: the jitter drawn for it, in milliseconds.</summary>
    public const string DrawnJitterKey = "drawnJitterMs";

    /// <summary>On a one-shot occurrence trigger: how many times the occurrence has already waited for its busy type.</summary>
    public const string AttemptKey = "attempt";

    /// <summary>The schedule a firing belongs to, read from its trigger; null for a firing of no named schedule.</summary>
    public static ScheduleFiring? Read(ITrigger trigger)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        if (trigger.Key.Group is not (NamedSchedule.TriggerGroup or NamedSchedule.OccurrenceGroup))
        {
            return null;
        }

        var map = trigger.JobDataMap;
        if (!map.TryGetString(ScheduleKey, out var name) || string.IsNullOrEmpty(name))
        {
            return null;
        }

        DateTimeOffset? occurrence = map.TryGetString(OccurrenceKey, out var text) && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var at)
            ? at
            : null;
        return new ScheduleFiring(
            name!,
            map.TryGetString(ExecutionParameters, out var parameters) && !string.IsNullOrEmpty(parameters) ? parameters : null,
            Int(map, JitterKey) ?? 0,
            map.TryGetString(MisfirePolicyKey, out var policy) && policy is not null ? policy : MisfirePolicies.FireOnce,
            Int(map, CatchUpLimitKey),
            occurrence,
            Int(map, DrawnJitterKey),
            Int(map, AttemptKey) ?? 0);
    }

    private const string ExecutionParameters = Execution.ExecutionData.ParametersKey;

    private static int? Int(JobDataMap map, string key) =>
        map.TryGetString(key, out var text) && int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>A firing of a named schedule, as its trigger describes it.</summary>
/// <param name="Schedule">The schedule's name.</param>
/// <param name="Parameters">The parameters its runs get (JSON), or null.</param>
/// <param name="JitterMs">The schedule's jitter bound.</param>
/// <param name="MisfirePolicy">The schedule's misfire policy.</param>
/// <param name="CatchUpLimit">The schedule's catch-up limit.</param>
/// <param name="Occurrence">Set on a one-shot occurrence trigger: the nominal occurrence it runs.</param>
/// <param name="DrawnJitterMs">Set on a jittered one-shot: the delay drawn.</param>
/// <param name="Attempt">On a one-shot: how many times the occurrence has waited for its busy type.</param>
public sealed record ScheduleFiring(
    string Schedule, string? Parameters, int JitterMs, string MisfirePolicy, int? CatchUpLimit, DateTimeOffset? Occurrence, int? DrawnJitterMs, int Attempt);
