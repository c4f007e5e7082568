namespace Scheduler.Jobs.Clients;

/// <summary>
/// The services the jobs call. Each name is a configuration section under <c>Services</c> and the
/// name of the HttpClient that calls it.
/// </summary>
public static class ServiceNames
{
    public const string Crawler = "Crawler";
    public const string Discovery = "Discovery";
    public const string Email = "Email";
    public const string User = "User";
    public const string CoreApi = "CoreApi";

    public static IReadOnlyList<string> All { get; } = [Crawler, Discovery, Email, User, CoreApi];

    /// <summary>The environment variable the previous generation used for each service's base URL.</summary>
    public static string UrlVariable(string service) => service switch
    {
        Crawler => "CRAWLER_SERVICE_URL",
        Discovery => "DISCOVERY_SERVICE_URL",
        Email => "EMAIL_SERVICE_URL",
        User => "USER_SERVICE_URL",
        CoreApi => "API_BASE",
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, "not a known service"),
    };

    /// <summary>How the service is named in errors and results: <c>crawler</c>, <c>core API</c>.</summary>
    public static string Display(string service) => service == CoreApi ? "core API" : service.ToLowerInvariant();
}
