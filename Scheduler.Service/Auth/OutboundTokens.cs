using Microsoft.Identity.Web;
using Scheduler.Jobs.Clients;

namespace Scheduler.Service.Auth;

/// <summary>
/// App-only Entra tokens on the calls to the crawler, email, user and discovery services, where
/// <c>Services:&lt;service&gt;:AppIdUri</c> is set: Microsoft.Identity.Web acquires them with the service's own
/// credentials (<c>AzureAd:ClientCredentials</c>) for <c>{AppIdUri}/.default</c>, caches and refreshes them. Jobs
/// run in the background, so no HTTP request is needed. The core API keeps its Basic credentials.
/// </summary>
public static class OutboundTokens
{
    private static readonly string[] TokenServices = [ServiceNames.Crawler, ServiceNames.Email, ServiceNames.User, ServiceNames.Discovery];

    public static bool AnyConfigured(IConfiguration configuration) =>
        TokenServices.Any(service => !string.IsNullOrWhiteSpace(configuration[$"Services:{service}:AppIdUri"]));

    public static WebApplicationBuilder AddOutboundTokens(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (!AnyConfigured(configuration))
        {
            return builder;
        }

        if (string.IsNullOrWhiteSpace(configuration["AzureAd:ClientId"]))
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException("Services", typeof(OutboundTokens),
                ["Services:<service>:AppIdUri: outbound tokens are acquired with the AzureAd application's credentials; set AzureAd:TenantId, AzureAd:ClientId and AzureAd:ClientCredentials."]);
        }

        foreach (var service in TokenServices)
        {
            if (configuration[$"Services:{service}:AppIdUri"] is { Length: > 0 } appIdUri)
            {
                // Same name as the typed client's, so the handler joins that client's pipeline, inside its retries.
                builder.Services.AddHttpClient(service).AddMicrosoftIdentityAppAuthenticationHandler(service, handler =>
                {
                    handler.Scopes = $"{appIdUri.TrimEnd('/')}/.default";
                    handler.AuthenticationScheme = ApiAuth.EntraScheme;
                });
            }
        }

        return builder;
    }
}
