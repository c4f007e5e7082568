using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Clients;

/// <summary>
/// Where the services the jobs call live, from <c>Services:&lt;name&gt;</c>. The previous service's
/// environment names (<c>CRAWLER_SERVICE_URL</c>, <c>DISCOVERY_SERVICE_URL</c>, …) map onto these keys.
/// </summary>
public sealed class ServiceEndpointsOptions
{
    public const string Section = "Services";

    [Required]
    public ServiceEndpoint Crawler { get; set; } = new();

    [Required]
    public ServiceEndpoint Discovery { get; set; } = new();
}

/// <summary>One downstream service.</summary>
public sealed class ServiceEndpoint : IValidatableObject
{
    /// <summary>Absolute http(s) base URL, for example <c>http://crawler-service:7004</c>.</summary>
    [Required]
    public string BaseUrl { get; set; } = "";

    /// <summary>How long one request may take before it is abandoned.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return new ValidationResult("must be an absolute http or https URL.", [nameof(BaseUrl)]);
        }
    }

    /// <summary>The base address with a trailing slash, so relative paths append to it.</summary>
    public Uri BaseAddress => new(BaseUrl.EndsWith('/') ? BaseUrl : BaseUrl + "/");
}
