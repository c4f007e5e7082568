using Microsoft.Extensions.Options;
using Scheduler.Jobs.Configuration;
using Scheduler.Service.Auth;

namespace Scheduler.Service.Dashboard;

/// <summary>
/// What the dashboard page does to sign an operator in, settled once at start-up from <c>Dashboard</c>, <c>AzureAd</c>
/// and <c>Auth</c> and served anonymously as <c>/dashboard/config.json</c>: redirect to the issuer (OpenID Connect
/// code flow with PKCE), or, when the local development issuer is the only one configured, paste a token.
/// </summary>
public sealed record DashboardSignIn(string? Authority, string? ClientId, string? Scopes, bool TokenPasteAllowed, TimeSpan RenewBeforeExpiry)
{
    private const string BaseScopes = "openid profile offline_access";

    /// <summary>Whether the page can send the operator to the issuer.</summary>
    public bool RedirectEnabled => Authority is not null && ClientId is not null;

    /// <summary>The page's Content-Security-Policy: the issuer's origin is allowed for discovery, the token endpoint and the silent-renew frame.</summary>
    public string ContentSecurityPolicy(bool framedBySelf)
    {
        if (!RedirectEnabled)
        {
            return DashboardEndpoints.ContentSecurityPolicy;
        }

        var issuer = new Uri(Authority!).GetLeftPart(UriPartial.Authority);
        return $"default-src 'self'; connect-src 'self' {issuer}; frame-src 'self' {issuer}; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
            $"frame-ancestors {(framedBySelf ? "'self'" : "'none'")}";
    }

    public static DashboardSignIn Resolve(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var dashboard = builder.Services.AddValidatedOptions<DashboardOptions>(configuration, DashboardOptions.Section);
        var auth = ValidatedOptions.Bind<AuthOptions>(configuration.GetSection(AuthOptions.Section), AuthOptions.Section);
        var entra = ValidatedOptions.Bind<EntraOptions>(configuration.GetSection(EntraOptions.Section), EntraOptions.Section);

        string? issuer = null;
        var scopes = BaseScopes;
        if (entra.Enabled)
        {
            issuer = $"{(entra.Instance ?? "https://login.microsoftonline.com/").TrimEnd('/')}/{entra.TenantId?.Trim()}/v2.0";
            var api = configuration[$"{EntraOptions.Section}:Audience"] is { Length: > 0 } audience ? audience : $"api://{entra.ClientId}";
            scopes = $"{BaseScopes} {api.TrimEnd('/')}/.default";
        }
        else if (auth.Oidc.Enabled)
        {
            issuer = auth.Oidc.Authority ?? auth.Oidc.Issuer;
        }

        var clientId = string.IsNullOrWhiteSpace(dashboard.ClientId) ? null : dashboard.ClientId.Trim();
        var authority = string.IsNullOrWhiteSpace(dashboard.Authority) ? issuer : dashboard.Authority.Trim();
        var failures = new List<string>();
        if (clientId is not null && authority is null)
        {
            failures.Add("Dashboard:Authority: is required with Dashboard:ClientId when neither AzureAd nor Auth:Oidc names an issuer.");
        }

        if (clientId is not null && authority is not null && builder.Environment.IsProduction()
            && !authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("Dashboard:Authority: must be an https URL in Production.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(DashboardOptions.Section, typeof(DashboardOptions), failures);
        }

        var pasteAllowed = auth.Local.Enabled && !entra.Enabled && !auth.Oidc.Enabled;
        return new DashboardSignIn(
            clientId is null ? null : authority,
            clientId,
            string.IsNullOrWhiteSpace(dashboard.Scopes) ? scopes : dashboard.Scopes.Trim(),
            pasteAllowed,
            dashboard.RenewBeforeExpiry);
    }
}
