using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Scheduling;

/// <summary>Bounds on schedules created through the API, from <c>Schedules</c>.</summary>
public sealed class NamedScheduleOptions
{
    public const string Section = "Schedules";

    /// <summary>The shortest interval an interval schedule may have.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MinimumInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The largest jitter bound a schedule may have.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxJitter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The largest catch-up limit a <c>catch_up</c> misfire policy may have.</summary>
    [Range(1, 10_000)]
    public int MaxCatchUpLimit { get; set; } = 100;

    /// <summary>How many schedules one job type may have (its configured one not counted).</summary>
    [Range(1, 10_000)]
    public int MaxPerType { get; set; } = 50;
}
