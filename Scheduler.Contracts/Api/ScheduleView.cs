using System.ComponentModel.DataAnnotations;

namespace Scheduler.Contracts.Api;

/// <summary>
/// A schedule as <c>GET /api/schedules</c> shows it: what is in effect, where it comes from, when it fires next. Each
/// type's configured schedule is its <c>default</c>; schedules created through the API have names of their own.
/// </summary>
public sealed record ScheduleView
{
    /// <summary>The job type.</summary>
    public required string JobType { get; init; }

    /// <summary>The schedule's name, unique within its type: <c>default</c> for the configured one.</summary>
    public string Name { get; init; } = "default";

    /// <summary><c>cron</c> or <c>interval</c>.</summary>
    public string Kind { get; init; } = "cron";

    /// <summary>Quartz cron expression in effect (seconds first); null for an interval schedule.</summary>
    public required string? Cron { get; init; }

    /// <summary>The interval (ISO 8601 duration) of an interval schedule; null for a cron schedule.</summary>
    public string? Interval { get; init; }

    /// <summary>No fire before this instant (an interval counts from it); null for none.</summary>
    public DateTimeOffset? StartAt { get; init; }

    /// <summary>No fire after this instant; null for none.</summary>
    public DateTimeOffset? EndAt { get; init; }

    /// <summary>Parameters every run of this schedule gets; null for none (the type's configured settings).</summary>
    public System.Text.Json.JsonElement? Parameters { get; init; }

    /// <summary>Bound of the random delay drawn per occurrence (ISO 8601 duration); null for none.</summary>
    public string? Jitter { get; init; }

    /// <summary><c>fire_once</c>, <c>skip</c> or <c>catch_up</c>; the configured schedule runs a missed occurrence once, within its misfire grace.</summary>
    public string MisfirePolicy { get; init; } = "fire_once";

    /// <summary>With <c>catch_up</c>: the most missed occurrences run.</summary>
    public int? CatchUpLimit { get; init; }

    /// <summary><c>configuration</c> for the default schedule, <c>api</c> for schedules created through the API.</summary>
    public string Owner { get; init; } = "configuration";

    /// <summary>What the schedule is for.</summary>
    public string? Description { get; init; }

    /// <summary>IANA time zone the expression is read in.</summary>
    public required string TimeZone { get; init; }

    /// <summary>Whether the schedule is on.</summary>
    public required bool Enabled { get; init; }

    /// <summary>Whether the type fires on it now: the schedule is on and the type is enabled in configuration.</summary>
    public required bool Runs { get; init; }

    /// <summary><c>configuration</c>, or <c>override</c> when changed at run time; <c>api</c> for a schedule created through the API.</summary>
    public required string Source { get; init; }

    /// <summary>Whether what is in effect differs from configuration.</summary>
    public required bool Drift { get; init; }

    /// <summary>The schedule configuration gives; null for a schedule created through the API.</summary>
    public required ScheduleDefinition? Configured { get; init; }

    /// <summary>Who changed it at run time and when: for the default schedule when <see cref="Source"/> is <c>override</c>; for a schedule created through the API, its last change.</summary>
    public ScheduleOverrideInfo? Override { get; init; }

    /// <summary>The next five fire times (none when it does not run).</summary>
    public required IReadOnlyList<FireTime> NextFireTimes { get; init; }

    /// <summary>Daylight-saving changes in the zone between now and the last of <see cref="NextFireTimes"/>.</summary>
    public required IReadOnlyList<OffsetChange> DstTransitions { get; init; }

    /// <summary>When its cron trigger last fired (UTC).</summary>
    public DateTimeOffset? PreviousFireTime { get; init; }

    /// <summary>Whether it is paused.</summary>
    public required bool Paused { get; init; }

    /// <summary>The pause: why, who, since, until; null when not paused.</summary>
    public PauseView? Pause { get; init; }

    /// <summary>
    /// True when the schedule in effect cannot be scheduled (it never fires again, or names an unknown time zone),
    /// typically a stored override from an older version or written by hand. The service does not apply it: the
    /// type keeps the trigger it had (see <see cref="PreviousFireTime"/>), or has none, and
    /// <see cref="NextFireTimes"/> is empty. A valid <c>PUT</c>, or returning to configuration, repairs it.
    /// </summary>
    public bool Invalid { get; init; }

    /// <summary>Why <see cref="Invalid"/> is true, for the person repairing it; null when the schedule is valid.</summary>
    public string? InvalidReason { get; init; }
}

/// <summary>A run-time change to a schedule.</summary>
/// <param name="ChangedBy">Who made it.</param>
/// <param name="ChangedAt">When.</param>
public sealed record ScheduleOverrideInfo(string ChangedBy, DateTimeOffset ChangedAt);

/// <summary>One fire time, in UTC and in the schedule's zone.</summary>
/// <param name="Utc">The instant, UTC.</param>
/// <param name="Local">The same instant with the zone's offset then.</param>
/// <param name="DstTransition">True when the zone's offset changed since the fire time before it (or since now, for the first).</param>
public sealed record FireTime(DateTimeOffset Utc, DateTimeOffset Local, bool DstTransition);

/// <summary>A change of the zone's UTC offset.</summary>
/// <param name="At">The instant it changes.</param>
/// <param name="OffsetBefore">The offset before.</param>
/// <param name="OffsetAfter">The offset after.</param>
public sealed record OffsetChange(DateTimeOffset At, TimeSpan OffsetBefore, TimeSpan OffsetAfter);

/// <summary>A pause.</summary>
/// <param name="Reason">Why.</param>
/// <param name="PausedBy">Who (a user id, or <c>scheduler</c> when it paused itself after failures).</param>
/// <param name="Since">When it was paused.</param>
/// <param name="Until">When it resumes by itself; null: until someone resumes it.</param>
public sealed record PauseView(string? Reason, string? PausedBy, DateTimeOffset? Since, DateTimeOffset? Until);

/// <summary>Body of <c>PUT /api/schedules/{jobType}</c>; what is left out stays as it is.</summary>
/// <param name="Cron">Quartz cron (seconds first) or the classic 5-field Unix form, e.g. <c>*/15 * * * *</c>.</param>
/// <param name="TimeZone">IANA time zone, e.g. <c>Europe/Berlin</c>.</param>
/// <param name="Enabled">False turns the schedule off (manual runs still work).</param>
public sealed record ScheduleChangeRequest(string? Cron = null, string? TimeZone = null, bool? Enabled = null) : IValidatableObject
{
    /// <summary>At least one of the three is given. Whether cron and zone can be scheduled is the service's to check.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (this is { Cron: null, TimeZone: null, Enabled: null })
        {
            yield return new ValidationResult("Give at least one of cron, timeZone and enabled.", ["body"]);
        }
    }
}

/// <summary>Body of <c>POST /api/schedules/{jobType}/pause</c>.</summary>
/// <param name="Reason">Why; required, shown to everyone who looks.</param>
/// <param name="Until">When it resumes by itself (ISO 8601, in the future); null: until resumed.</param>
/// <remarks>
/// Its rules are in <see cref="Validate"/> rather than in attributes: the framework names an attribute's error by
/// the C# property (<c>Reason</c>), and the API's fields are camelCase (<c>reason</c>).
/// </remarks>
public sealed record PauseRequest(string? Reason = null, DateTimeOffset? Until = null) : IValidatableObject
{
    /// <summary>The longest reason accepted.</summary>
    public const int MaxReasonLength = 500;

    /// <summary>How far ahead <see cref="Until"/> may be.</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromDays(90);

    /// <summary>A reason of at most <see cref="MaxReasonLength"/> characters, none a control character; <see cref="Until"/> ahead, at most <see cref="MaxPause"/>.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        ArgumentNullException.ThrowIfNull(validationContext);
        if (string.IsNullOrWhiteSpace(Reason))
        {
            yield return new ValidationResult("Required: say why, for whoever looks next.", ["reason"]);
        }
        else if (Reason.Length > MaxReasonLength || Reason.Any(char.IsControl))
        {
            yield return new ValidationResult($"At most {MaxReasonLength} characters, no control characters.", ["reason"]);
        }

        var now = (validationContext.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System).GetUtcNow();
        if (Until is { } until && (until <= now || until - now > MaxPause))
        {
            yield return new ValidationResult($"Must be in the future and at most {MaxPause.TotalDays:0} days ahead.", ["until"]);
        }
    }
}

/// <summary>Body of <c>POST /api/schedules/{jobType}/backfill</c>.</summary>
/// <param name="From">Start of the window (inclusive).</param>
/// <param name="To">End of the window (exclusive), not in the future.</param>
/// <param name="DryRun">True: only list the occurrences that have no row.</param>
/// <remarks>Its rules are in <see cref="Validate"/>, for camelCase field names (see <see cref="PauseRequest"/>).</remarks>
public sealed record BackfillRequest(DateTimeOffset? From = null, DateTimeOffset? To = null, bool DryRun = false) : IValidatableObject
{
    /// <summary>The longest window a backfill covers.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(31);

    /// <summary>Both ends given; <see cref="To"/> not in the future, later than <see cref="From"/>, and at most <see cref="MaxWindow"/> after it.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        ArgumentNullException.ThrowIfNull(validationContext);
        if (From is null)
        {
            yield return new ValidationResult("Required (ISO 8601).", ["from"]);
        }

        var now = (validationContext.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System).GetUtcNow();
        if (this is { From: { } from, To: { } to } && (from >= to || to - from > MaxWindow))
        {
            yield return new ValidationResult($"Must be later than 'from', and the window at most {MaxWindow.TotalDays:0} days.", ["to"]);
        }
        else if (To is null)
        {
            yield return new ValidationResult("Required (ISO 8601).", ["to"]);
        }
        else if (To > now)
        {
            yield return new ValidationResult("Must not be in the future: occurrences still to come run on their own.", ["to"]);
        }
    }
}

/// <summary>Answer to a backfill: the occurrences in the window with no row, and, unless a dry run, the backfill that runs them.</summary>
/// <param name="JobType">The job type.</param>
/// <param name="Occurrences">The missing occurrences, oldest first.</param>
/// <param name="DryRun">Whether this only listed them.</param>
/// <param name="BackfillId">The backfill running them one after another; null for a dry run or when none are missing.</param>
public sealed record BackfillResponse(string JobType, IReadOnlyList<DateTimeOffset> Occurrences, bool DryRun, Guid? BackfillId);
