using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Clients;

/// <summary>
/// One downstream service, from <c>Services:&lt;name&gt;</c>: where it lives and how calls to it are
/// made resilient (Microsoft.Extensions.Http.Resilience's standard pipeline, tuned per service).
/// The previous generation's environment names (<c>CRAWLER_SERVICE_URL</c>, <c>API_BASE</c>, …) map onto
/// <c>BaseUrl</c>.
/// </summary>
public class ServiceEndpoint : IValidatableObject
{
    /// <summary>Absolute http(s) base URL, for example <c>http://crawler-service:7004</c>. Required when an enabled job type calls the service.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>
    /// The service's Entra application id URI (e.g. <c>api://crawler-service</c>). When set, calls carry an app-only
    /// token for <c>{AppIdUri}/.default</c> acquired with the scheduler's own credentials (not for the core API).
    /// </summary>
    public string? AppIdUri { get; set; }

    /// <summary>How long one attempt may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:30:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a call may take, all retries included.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Retries after a transient failure (5xx, 408, 429, timeout, connection error), with exponential
    /// backoff and jitter. Only calls that are safe to repeat are retried: GET, PUT, DELETE, and any
    /// call that carries an <c>Idempotency-Key</c>.
    /// </summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay; each next one doubles it (with jitter), up to 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The circuit opens when at least this share of the calls in the sampling window failed...</summary>
    [Range(0.01, 1.0)]
    public double BreakFailureRatio { get; set; } = 0.5;

    /// <summary>...and at least this many calls were made in it.</summary>
    [Range(2, 10_000)]
    public int BreakMinimumThroughput { get; set; } = 10;

    /// <summary>The window failures are counted over; at least twice <see cref="AttemptTimeout"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.5", "01:00:00")]
    public TimeSpan BreakSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit refuses calls before letting one through to test the service.</summary>
    [Range(typeof(TimeSpan), "00:00:00.5", "01:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    public virtual IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseUrl.Length > 0 && BaseAddress is null)
        {
            yield return new ValidationResult("must be an absolute http or https URL.", [nameof(BaseUrl)]);
        }

        if (!string.IsNullOrWhiteSpace(AppIdUri) && !Uri.TryCreate(AppIdUri, UriKind.Absolute, out _))
        {
            yield return new ValidationResult("must be an absolute URI, e.g. api://crawler-service.", [nameof(AppIdUri)]);
        }

        if (TotalTimeout <= AttemptTimeout)
        {
            yield return new ValidationResult($"must be longer than {nameof(AttemptTimeout)}.", [nameof(TotalTimeout)]);
        }

        if (BreakSamplingDuration < 2 * AttemptTimeout)
        {
            yield return new ValidationResult($"must be at least twice {nameof(AttemptTimeout)}.", [nameof(BreakSamplingDuration)]);
        }
    }

    /// <summary>The base address with a trailing slash, so relative paths append to it; null when not a valid http(s) URL.</summary>
    public Uri? BaseAddress =>
        Uri.TryCreate(BaseUrl.EndsWith('/') ? BaseUrl : BaseUrl + "/", UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : null;
}

/// <summary>The core API's admin endpoints: a <see cref="ServiceEndpoint"/> with Basic credentials.</summary>
public sealed class CoreApiEndpoint : ServiceEndpoint
{
    /// <summary><c>ADMIN_BASIC_USERNAME</c>.</summary>
    public string Username { get; set; } = "";

    /// <summary><c>ADMIN_BASIC_PASSWORD</c>. Never logged, never echoed in an error or a result.</summary>
    public string Password { get; set; } = "";

    public override string ToString() => $"{BaseUrl} (as {Username}, password hidden)";
}
