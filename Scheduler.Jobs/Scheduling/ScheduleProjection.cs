using System.Text.RegularExpressions;

namespace Scheduler.Jobs.Scheduling;

/// <summary>
/// The next fire times of a cron schedule in its time zone, as Quartz computes them, with the zone's
/// UTC offset changes (daylight saving) in that window called out.
/// </summary>
/// <remarks>
/// Quartz 4.7 resolves a wall-clock time a spring-forward gap swallows to the end of the gap (a daily
/// 02:30 in Europe/Berlin fires at 03:00 on the last Sunday of March), and a wall-clock time a fall-back
/// repeats to its first occurrence, so a daily schedule fires once on both days.
/// </remarks>
/// <param name="CronExpression">The Quartz expression projected, in its canonical spelling.</param>
/// <param name="TimeZone">The IANA id of the zone the expression is read in.</param>
/// <param name="From">The instant the projection starts after ("now").</param>
/// <param name="FireTimes">The next fire times after <paramref name="From"/>, earliest first; fewer than
/// asked for, or none, when the expression stops firing (a year field in the past).</param>
/// <param name="Transitions">Every change of the zone's UTC offset from <paramref name="From"/> to the
/// last of <paramref name="FireTimes"/>.</param>
/// <param name="ExpectedInterval">Real time between the first two fires after <paramref name="From"/>
/// (so 23 or 25 hours for a daily schedule across a transition); null when it fires fewer than twice more.</param>
public sealed partial record ScheduleProjection(
    string CronExpression,
    string TimeZone,
    DateTimeOffset From,
    IReadOnlyList<ProjectedFireTime> FireTimes,
    IReadOnlyList<UtcOffsetTransition> Transitions,
    TimeSpan? ExpectedInterval)
{
    public const int MaxCount = 50;

    /// <summary>The longest IANA id is 32 characters (America/Argentina/ComodRivadavia).</summary>
    private const int MaxTimeZoneIdLength = 64;

    // The offset is sampled this often between fire times; no zone changes it twice within a day.
    private static readonly TimeSpan ScanStep = TimeSpan.FromDays(1);

    /// <summary>
    /// The next <paramref name="count"/> fire times of <paramref name="cron"/> (either form
    /// <see cref="CronSyntax.TryNormalize"/> accepts) read in the IANA zone <paramref name="timeZoneId"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The expression or the zone is refused; the message says why.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not 1 to <see cref="MaxCount"/>.</exception>
    public static ScheduleProjection Compute(string cron, string timeZoneId, DateTimeOffset now, int count)
    {
        if (!TryGetTimeZone(timeZoneId, out var zone, out var error))
        {
            throw new ArgumentException(error, nameof(timeZoneId));
        }

        return Compute(cron, zone, now, count);
    }

    /// <inheritdoc cref="Compute(string, string, DateTimeOffset, int)"/>
    public static ScheduleProjection Compute(string cron, TimeZoneInfo zone, DateTimeOffset now, int count)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        if (!CronSyntax.TryNormalize(cron, out var quartzCron, out var error))
        {
            throw new ArgumentException(error, nameof(cron));
        }

        var expression = Quartz.CronExpression.Parse(quartzCron).WithTimeZone(zone);
        var from = now.ToUniversalTime();

        // Two fires at least, for the interval, though fewer may be asked for.
        var instants = new List<DateTimeOffset>(Math.Max(count, 2));
        var cursor = from;
        while (instants.Count < Math.Max(count, 2) && expression.GetNextValidTimeAfter(cursor) is { } next)
        {
            instants.Add(next.ToUniversalTime());
            cursor = next;
        }

        var fireTimes = new List<ProjectedFireTime>(count);
        var previousOffset = zone.GetUtcOffset(from);
        foreach (var utc in instants.Take(count))
        {
            var local = TimeZoneInfo.ConvertTime(utc, zone);
            fireTimes.Add(new ProjectedFireTime(utc, local, local.Offset != previousOffset));
            previousOffset = local.Offset;
        }

        var transitions = fireTimes.Count == 0 ? [] : FindTransitions(zone, from, fireTimes[^1].Utc);
        TimeSpan? interval = instants.Count >= 2 ? instants[1] - instants[0] : null;
        return new ScheduleProjection(quartzCron, zone.Id, from, fireTimes, transitions, interval);
    }

    /// <summary>
    /// Finds the zone an IANA id names (<c>Europe/Berlin</c>, <c>America/New_York</c>, <c>UTC</c>), spelled
    /// exactly, case included; tz database aliases (<c>Etc/UTC</c>, <c>US/Eastern</c>) are ids too.
    /// </summary>
    /// <remarks>
    /// Windows ids, which .NET also finds, are refused with the IANA id to use instead, and so are the
    /// tz database's files that are not zones to schedule in (<c>posix/…</c>, <c>right/…</c> with leap
    /// seconds, <c>localtime</c>, <c>Factory</c>). Never throws.
    /// </remarks>
    public static bool TryGetTimeZone(string? id, out TimeZoneInfo zone, out string? error)
    {
        zone = TimeZoneInfo.Utc;
        error = CheckTimeZone(id, out var found);
        if (error is not null)
        {
            return false;
        }

        zone = found!;
        return true;
    }

    private static string? CheckTimeZone(string? id, out TimeZoneInfo? zone)
    {
        zone = null;
        const string Example = "an IANA time zone id such as 'Europe/Berlin', 'America/New_York' or 'UTC'";
        if (string.IsNullOrWhiteSpace(id))
        {
            return $"A time zone is required: {Example}.";
        }

        if (id.Length > MaxTimeZoneIdLength)
        {
            return $"'{id[..MaxTimeZoneIdLength]}…' is not a time zone id: expected {Example}.";
        }

        if (!TimeZoneIdShape().IsMatch(id))
        {
            return TimeZoneInfo.TryConvertWindowsIdToIanaId(id, out var ianaId)
                ? $"'{id}' is a Windows time zone id; use the IANA id '{ianaId}'."
                : $"'{id}' is not a time zone id: expected {Example}.";
        }

        if (NotAZone().IsMatch(id))
        {
            return $"'{id}' is a file of the tz database, not a zone to schedule in: use {Example}.";
        }

        // Whether a miscased id is found depends on what was looked up before (.NET caches ignoring case
        // and the tz files are not), so only the exact spelling is accepted, whatever was looked up first.
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(id, out var candidate) || !string.Equals(candidate.Id, id, StringComparison.Ordinal))
        {
            var spelled = candidate?.Id ?? TimeZoneInfo.GetSystemTimeZones()
                .FirstOrDefault(z => string.Equals(z.Id, id, StringComparison.OrdinalIgnoreCase))?.Id;
            return spelled is not null
                ? $"'{id}' is not a known time zone: time zone ids are case-sensitive; use '{spelled}'."
                : $"'{id}' is not a known time zone: use {Example}.";
        }

        if (!candidate.HasIanaId)
        {
            return TimeZoneInfo.TryConvertWindowsIdToIanaId(id, out var ianaId)
                ? $"'{id}' is a Windows time zone id; use the IANA id '{ianaId}'."
                : $"'{id}' is a Windows time zone id: use {Example}.";
        }

        zone = candidate;
        return null;
    }

    /// <summary>
    /// Walks [<paramref name="from"/>, <paramref name="to"/>] a day at a time and, where the offset differs
    /// at the two ends of a step, narrows to the second it changed.
    /// </summary>
    private static List<UtcOffsetTransition> FindTransitions(TimeZoneInfo zone, DateTimeOffset from, DateTimeOffset to)
    {
        var transitions = new List<UtcOffsetTransition>();
        var cursor = from;
        var offset = zone.GetUtcOffset(cursor);
        while (cursor < to)
        {
            var next = cursor + ScanStep < to ? cursor + ScanStep : to;
            if (zone.GetUtcOffset(next) == offset)
            {
                cursor = next;
                continue;
            }

            // Offsets change on whole seconds: the earliest one carrying a different offset is the change.
            var before = cursor.ToUnixTimeSeconds();
            var after = next.ToUnixTimeSeconds();
            while (after - before > 1)
            {
                var middle = before + ((after - before) / 2);
                if (zone.GetUtcOffset(DateTimeOffset.FromUnixTimeSeconds(middle)) == offset)
                {
                    before = middle;
                }
                else
                {
                    after = middle;
                }
            }

            var at = DateTimeOffset.FromUnixTimeSeconds(after);
            var changed = zone.GetUtcOffset(at);
            transitions.Add(new UtcOffsetTransition(at, offset, changed));
            cursor = at;
            offset = changed;
        }

        return transitions;
    }

    // Area/Location[/Sub], or a single name (UTC, GMT0, EST5EDT, Etc/GMT+5); no dots, so no path tricks.
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")]
    private static partial Regex TimeZoneIdShape();

    [GeneratedRegex(@"^((posix|right)/.*|localtime|posixrules|Factory)$", RegexOptions.IgnoreCase)]
    private static partial Regex NotAZone();
}

/// <summary>One fire time of a projected schedule.</summary>
/// <param name="Utc">When it fires, in UTC.</param>
/// <param name="Local">The same instant on the zone's clock, with the zone's offset at that instant.</param>
/// <param name="DstTransition">Whether the zone's UTC offset at this fire differs from the offset at the
/// fire before it (or, for the first, at the projection's start): the clocks changed in between, so the
/// UTC time of this fire moved.</param>
public sealed record ProjectedFireTime(DateTimeOffset Utc, DateTimeOffset Local, bool DstTransition);

/// <summary>A change of a zone's UTC offset: the start or end of daylight saving, or a change of standard time.</summary>
/// <param name="At">The instant the offset changed (UTC).</param>
/// <param name="OffsetBefore">The zone's UTC offset just before <paramref name="At"/>.</param>
/// <param name="OffsetAfter">The zone's UTC offset from <paramref name="At"/> on.</param>
public sealed record UtcOffsetTransition(DateTimeOffset At, TimeSpan OffsetBefore, TimeSpan OffsetAfter);
