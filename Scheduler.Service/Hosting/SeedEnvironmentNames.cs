namespace Scheduler.Service.Hosting;

/// <summary>
/// The environment variable names the previous generation of this service used, mapped onto
/// this service's configuration keys so that existing deployments and runbooks keep working.
/// They win over appsettings files and the standard <c>Section__Key</c> variables.
/// </summary>
public static class SeedEnvironmentNames
{
    private static readonly (string Variable, string Key)[] Map =
    [
        ("CRAWLER_SERVICE_URL", "Services:Crawler:BaseUrl"),
        ("DISCOVERY_SERVICE_URL", "Services:Discovery:BaseUrl"),
        ("EMAIL_SERVICE_URL", "Services:Email:BaseUrl"),
        ("USER_SERVICE_URL", "Services:User:BaseUrl"),
        ("API_BASE", "Services:CoreApi:BaseUrl"),
        ("ADMIN_BASIC_USERNAME", "Services:CoreApi:Username"),
        ("ADMIN_BASIC_PASSWORD", "Services:CoreApi:Password"),
        ("JOBS_ENABLED", "Heartbeat:JobsEnabled"),
        ("JOB_HEARTBEAT_REQUIRED", "Heartbeat:Required"),
        ("JOB_HEARTBEAT_TTL_SECONDS", "Heartbeat:TtlSeconds"),
    ];

    public static ConfigurationManager AddSeedEnvironmentNames(this ConfigurationManager configuration)
    {
        var values = new Dictionary<string, string?>();
        foreach (var (variable, key) in Map)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                values[key] = value;
            }
        }

        // PORT and HOST: where Kestrel listens (0.0.0.0:8080 unless told otherwise).
        var port = Environment.GetEnvironmentVariable("PORT");
        var host = Environment.GetEnvironmentVariable("HOST");
        if (!string.IsNullOrWhiteSpace(port) || !string.IsNullOrWhiteSpace(host))
        {
            values["urls"] = $"http://{(string.IsNullOrWhiteSpace(host) ? "0.0.0.0" : host)}:{(string.IsNullOrWhiteSpace(port) ? "8080" : port)}";
        }

        configuration.AddInMemoryCollection(values);
        return configuration;
    }
}
