using System.ComponentModel.DataAnnotations;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Scheduling;


namespace Scheduler.Jobs.Catalog;

/// <summary>
/// The settings every job type accepts under <c>Jobs:&lt;name&gt;</c>. Unset values keep the catalog's
/// defaults. Job-specific settings (batch sizes, retention windows) are bound from the same section
/// by the job's own options class.
/// </summary>
public sealed class JobTypeOptions : IValidatableObject
{
    /// <summary><c>HttpCall</c> declares a new HTTP-call type; built-in types need no kind.</summary>
    public JobKind? Kind { get; set; }

    public string? Description { get; set; }

    /// <summary>Quartz cron expression (seconds first).</summary>
    public string? Cron { get; set; }

    /// <summary>IANA time zone the cron expression is read in.</summary>
    public string? TimeZone { get; set; }

    public bool? Enabled { get; set; }

    public bool? Scheduled { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan? Timeout { get; set; }

    /// <summary>Retries after a failed run; 0 for none.</summary>
    [Range(0, 20)]
    public int? Retries { get; set; }

    /// <summary>The wait before the first retry; each next one doubles, up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan? RetryDelay { get; set; }

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan? RetryMaxDelay { get; set; }

    /// <summary>Consecutive failed runs after which the schedule pauses itself; 0 never.</summary>
    [Range(0, 1000)]
    public int? PauseAfterFailures { get; set; }

    public bool? Recoverable { get; set; }

    /// <summary>How late a cron occurrence may fire and still run; later ones are recorded as skipped.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan? MisfireGrace { get; set; }

    /// <summary>A run is slow once it has run this many times the type's typical p95 duration (<c>scheduler_job_slow_after_multiple</c>).</summary>
    [Range(1.0, 1000.0)]
    public double? SlowAfterMultiple { get; set; }

    /// <summary>A run is slow once it has used this share of its timeout (<c>scheduler_job_slow_after_seconds</c>).</summary>
    [Range(0.05, 1.0)]
    public double? SlowAfterTimeoutFraction { get; set; }

    /// <summary>The failure rate over which the type alerts (<c>scheduler_job_failure_rate_threshold</c>), 0.1 for 10 %.</summary>
    [Range(0.001, 1.0)]
    public double? FailureRateAlert { get; set; }

    /// <summary>HttpCall: the service called (<see cref="ServiceNames"/>).</summary>
    public string? Service { get; set; }

    /// <summary>HttpCall: the HTTP method.</summary>
    public string? Method { get; set; }

    /// <summary>HttpCall: the path on the service.</summary>
    public string? Path { get; set; }

    /// <summary>HttpCall: the numeric property of the answer that counts items handled.</summary>
    public string? ItemsField { get; set; }

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The value is not echoed: settings are reported by key only.
        if (!string.IsNullOrWhiteSpace(Cron) && !CronSyntax.TryNormalize(Cron, out _, out _))
        {
            yield return new ValidationResult("is not a valid cron expression (Quartz, seconds first, e.g. '0 0/15 * * * ?', or 5-field Unix, e.g. '*/15 * * * *').", [nameof(Cron)]);
        }

        if (!string.IsNullOrWhiteSpace(TimeZone) && !ScheduleProjection.TryGetTimeZone(TimeZone, out _, out _))
        {
            yield return new ValidationResult("is not a known IANA time zone.", [nameof(TimeZone)]);
        }

        if (Service is not null && !ServiceNames.All.Contains(Service, StringComparer.Ordinal))
        {
            yield return new ValidationResult($"must be one of {string.Join(", ", ServiceNames.All)}.", [nameof(Service)]);
        }

        if (Method is not null && !Methods.Contains(Method, StringComparer.Ordinal))
        {
            yield return new ValidationResult($"must be one of {string.Join(", ", Methods)}.", [nameof(Method)]);
        }

        if (RetryDelay is { } delay && RetryMaxDelay is { } max && max < delay)
        {
            yield return new ValidationResult($"must not be shorter than {nameof(RetryDelay)}.", [nameof(RetryMaxDelay)]);
        }

        if (Path is not null && (!Path.StartsWith('/') || Path.StartsWith("//", StringComparison.Ordinal) || Path.Contains("://", StringComparison.Ordinal)))
        {
            yield return new ValidationResult("must be a path on the service, starting with a single '/'.", [nameof(Path)]);
        }
    }
}
