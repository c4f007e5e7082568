using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Execution;

/// <summary>Runs asked for later (<c>runAt</c>, <c>delay</c>), from <c>Runs</c>.</summary>
public sealed class RunOptions
{
    public const string Section = "Runs";

    /// <summary>How far ahead a run may be scheduled (<c>Runs:MaxDelay</c>); further is refused with a 400 naming the field.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromDays(90);
}
