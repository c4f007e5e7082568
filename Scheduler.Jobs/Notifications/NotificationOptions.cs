using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Notifications;

/// <summary>How notifications are sent, from <c>Notifications</c>. The notifications themselves are per job type (<c>Jobs:&lt;type&gt;:Notifications</c>) or created through the API.</summary>
public sealed class NotificationOptions : IValidatableObject
{
    public const string Section = "Notifications";

    /// <summary>How long one attempt may take, connection included; a receiver slower than this counts as a failed attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per delivery, the first included; after the last, the delivery is recorded as failed.</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failed attempt; each next one doubles, up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often a node reads the deliveries that are due (retries, and deliveries another node queued and could not
    /// send). A node that writes an outcome with deliveries sends them at once, without waiting for this.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries claimed and sent together, at most.</summary>
    [Range(1, 100)]
    public int BatchSize { get; set; } = 10;

    /// <summary>
    /// When set, the only hosts notifications may be sent to (exact names, or <c>*.example.com</c> for its
    /// subdomains). Checked when a notification is created or configured, and again before every attempt.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>How long a claimed attempt is kept from other nodes: past it, the attempt is taken to be lost and is made again.</summary>
    public TimeSpan ClaimFor => Timeout + TimeSpan.FromSeconds(30);

    /// <summary>The wait after failed attempt number <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        var delay = RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        return TimeSpan.FromMilliseconds(Math.Min(delay, RetryMaxDelay.TotalMilliseconds));
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetryMaxDelay < RetryDelay)
        {
            yield return new ValidationResult($"must not be shorter than {nameof(RetryDelay)}.", [nameof(RetryMaxDelay)]);
        }

        foreach (var host in AllowedHosts)
        {
            if (!NotificationRules.IsHostPattern(host))
            {
                yield return new ValidationResult("each entry is a host name or '*.' and a domain, without scheme, port or path.", [nameof(AllowedHosts)]);
                break;
            }
        }
    }
}
