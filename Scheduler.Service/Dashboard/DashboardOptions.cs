using System.ComponentModel.DataAnnotations;

namespace Scheduler.Service.Dashboard;

/// <summary>
/// How the dashboard signs operators in, from <c>Dashboard</c>: OpenID Connect authorization code with PKCE against
/// <see cref="Authority"/> as the public client <see cref="ClientId"/>. See docs/dashboard-sign-in.md.
/// </summary>
public sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>The issuer the browser signs in with; defaults to the configured Entra tenant or <c>Auth:Oidc:Authority</c>.</summary>
    [Url]
    public string? Authority { get; set; }

    /// <summary>The dashboard's client id at the issuer (a public client: no secret); unset, the page cannot sign in by redirect.</summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// Space-separated scopes to ask for; defaults to <c>openid profile offline_access</c>, plus the API's
    /// <c>…/.default</c> scope for Entra.
    /// </summary>
    public string? Scopes { get; set; }

    /// <summary>How long before the access token expires the page renews it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RenewBeforeExpiry { get; set; } = TimeSpan.FromMinutes(1);
}
