using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Execution;

/// <summary>Runs asked for later (<c>runAt</c>, <c>delay</c>) and the bulk operations' cap, from <c>Runs</c>.</summary>
public sealed class RunOptions
{
    public const string Section = "Runs";

    /// <summary>How far ahead a run may be scheduled (<c>Runs:MaxDelay</c>); further is refused with a 400 naming the field.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// How many runs one <c>POST /api/jobs/retry-failed</c> or <c>POST /api/jobs/cancel-pending</c> takes at most
    /// (<c>Runs:BulkRetryLimit</c>); a call's <c>limit</c> may lower it, and the answer says how many are left.
    /// </summary>
    [Range(1, 1000)]
    public int BulkRetryLimit { get; set; } = 100;
}
