using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Scheduler.Jobs.Clients;

/// <summary>Registers one HttpClient per service, each behind the standard resilience pipeline tuned from its <see cref="ServiceEndpoint"/>.</summary>
public static class DownstreamClients
{
    /// <summary>The header every mutating call carries, derived from the execution, so a repeated call does nothing twice.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    internal static void AddDownstreamClients(this IServiceCollection services, IReadOnlyDictionary<string, ServiceEndpoint> endpoints)
    {
        Add<CrawlerClient>(services, ServiceNames.Crawler, endpoints[ServiceNames.Crawler]);
        Add<DiscoveryClient>(services, ServiceNames.Discovery, endpoints[ServiceNames.Discovery]);
        Add<EmailClient>(services, ServiceNames.Email, endpoints[ServiceNames.Email]);
        Add<UserClient>(services, ServiceNames.User, endpoints[ServiceNames.User]);
        Add<CoreApiClient>(services, ServiceNames.CoreApi, endpoints[ServiceNames.CoreApi])
            .AddHttpMessageHandler(() => new BasicAuthHandler((CoreApiEndpoint)endpoints[ServiceNames.CoreApi]));
        services.AddSingleton<HttpCallClient>();
    }

    private static IHttpClientBuilder Add<TClient>(IServiceCollection services, string service, ServiceEndpoint endpoint)
        where TClient : class
    {
        var builder = services.AddHttpClient<TClient>(service, http =>
        {
            if (endpoint.BaseAddress is { } address)
            {
                http.BaseAddress = address;
            }

            http.DefaultRequestHeaders.UserAgent.ParseAdd("scheduler-service/1.0");
            // The resilience pipeline owns every timeout.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });

        builder.AddHttpMessageHandler(() => new RunLeaseHandler());
        builder.AddHttpMessageHandler(() => new DownstreamErrorHandler(service));
        builder.AddStandardResilienceHandler(options => Tune(options, endpoint));
        builder.RedactLoggedHeaders(["Authorization"]);
        return builder;
    }

    private static void Tune(HttpStandardResilienceOptions options, ServiceEndpoint endpoint)
    {
        options.AttemptTimeout.Timeout = endpoint.AttemptTimeout;
        options.TotalRequestTimeout.Timeout = endpoint.TotalTimeout;

        var transient = options.Retry.ShouldHandle;
        var retries = endpoint.MaxRetries;
        options.Retry.MaxRetryAttempts = Math.Max(1, retries);
        options.Retry.Delay = endpoint.RetryDelay;
        options.Retry.MaxDelay = TimeSpan.FromSeconds(30);
        options.Retry.BackoffType = DelayBackoffType.Exponential;
        options.Retry.UseJitter = true;
        options.Retry.ShouldHandle = args =>
            retries > 0 && args.Context.GetRequestMessage() is { } request && IsSafeToRepeat(request)
                ? transient(args)
                : ValueTask.FromResult(false);

        options.CircuitBreaker.FailureRatio = endpoint.BreakFailureRatio;
        options.CircuitBreaker.MinimumThroughput = endpoint.BreakMinimumThroughput;
        options.CircuitBreaker.SamplingDuration = endpoint.BreakSamplingDuration;
        options.CircuitBreaker.BreakDuration = endpoint.BreakDuration;
    }

    /// <summary>Idempotent by method (RFC 9110), or made so by an idempotency key.</summary>
    private static bool IsSafeToRepeat(HttpRequestMessage request) =>
        request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Options
        || request.Method == HttpMethod.Put || request.Method == HttpMethod.Delete
        || request.Headers.Contains(IdempotencyKeyHeader);

    /// <summary>Checks a service's settings beyond its annotations: the base URL is required when an enabled job type calls it.</summary>
    internal static IEnumerable<string> Requirements(string service, ServiceEndpoint endpoint, IEnumerable<string> callers)
    {
        var path = $"Services:{service}";
        var users = callers.ToList();
        if (users.Count == 0)
        {
            yield break;
        }

        if (endpoint.BaseUrl.Length == 0)
        {
            yield return $"{path}:BaseUrl: is required ({ServiceNames.UrlVariable(service)}), because {string.Join(", ", users)} call{(users.Count == 1 ? "s" : "")} it.";
        }

        if (endpoint is CoreApiEndpoint core)
        {
            if (core.Username.Length == 0)
            {
                yield return $"{path}:Username: is required (ADMIN_BASIC_USERNAME), because {string.Join(", ", users)} call the core API's admin endpoints.";
            }

            if (core.Password.Length == 0)
            {
                yield return $"{path}:Password: is required (ADMIN_BASIC_PASSWORD), because {string.Join(", ", users)} call the core API's admin endpoints.";
            }
        }
    }
}
