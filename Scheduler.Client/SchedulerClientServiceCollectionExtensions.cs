using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Scheduler.Client;

/// <summary>Where the scheduler is and how to get a token for it.</summary>
public sealed class SchedulerClientOptions
{
    /// <summary>The service's base address, e.g. <c>https://scheduler.example.com/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// Returns an access token carrying <c>Scheduler.Reader</c> or <c>Scheduler.Admin</c>, asked for on every request
    /// (the provider caches and renews it, e.g. MSAL's token cache).
    /// </summary>
    public Func<CancellationToken, ValueTask<string>>? TokenProvider { get; set; }
}

/// <summary>Registers <see cref="SchedulerClient"/> as a typed <see cref="HttpClient"/>.</summary>
public static class SchedulerClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="SchedulerClient"/> with its base address and a handler that puts the provider's token on every
    /// request; the returned builder takes further handlers (resilience, logging).
    /// </summary>
    public static IHttpClientBuilder AddSchedulerClient(this IServiceCollection services, Action<SchedulerClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SchedulerClientOptions>()
            .Configure(configure)
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true }, "SchedulerClientOptions.BaseAddress: an absolute URI is required.")
            .Validate(o => o.TokenProvider is not null, "SchedulerClientOptions.TokenProvider: is required; every /api call needs a bearer token.");
        services.AddTransient<BearerTokenHandler>();
        return services.AddHttpClient<SchedulerClient>((provider, http) =>
            {
                var baseAddress = provider.GetRequiredService<IOptions<SchedulerClientOptions>>().Value.BaseAddress!;
                // Relative paths resolve under the base address only when it ends with a slash.
                http.BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
            })
            .AddHttpMessageHandler<BearerTokenHandler>();
    }
}

/// <summary>Adds <c>Authorization: Bearer</c> with the configured provider's token.</summary>
internal sealed class BearerTokenHandler(IOptions<SchedulerClientOptions> options) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await options.Value.TokenProvider!(cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
