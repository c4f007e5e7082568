using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.DeadLetters;

/// <summary>Settings of <c>/api/dlq</c>, from <c>DeadLetters</c>.</summary>
public sealed class DeadLetterOptions
{
    public const string Section = "DeadLetters";

    /// <summary>
    /// How long <c>/api/dlq</c> waits for the core API, retries included, before answering 504. Shorter than the core
    /// API's own timeouts (<c>Services:CoreApi</c>), which are sized for its slow maintenance calls, not for a page.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
