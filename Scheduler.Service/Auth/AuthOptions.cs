using System.ComponentModel.DataAnnotations;

namespace Scheduler.Service.Auth;

/// <summary>
/// Token issuers the API trusts besides Entra ID (which Microsoft.Identity.Web reads from <c>AzureAd</c>), from <c>Auth</c>.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Any other OpenID Connect issuer (Clerk, Auth0, Keycloak): standard JWT bearer settings.</summary>
    public OidcIssuerOptions Oidc { get; set; } = new();

    /// <summary>The development issuer <c>./run.sh</c> and the tests sign tokens with. Refused in Production.</summary>
    public LocalIssuerOptions Local { get; set; } = new();
}

/// <summary>
/// A generic OpenID Connect issuer. Its keys come from <see cref="Authority"/> (or <see cref="MetadataAddress"/>)
/// discovery, or from a JWKS file when the issuer publishes none.
/// </summary>
public sealed class OidcIssuerOptions
{
    /// <summary>The issuer's base URL; its <c>/.well-known/openid-configuration</c> names the signing keys.</summary>
    [Url]
    public string? Authority { get; set; }

    /// <summary>The discovery document's URL, when it is not under <see cref="Authority"/>.</summary>
    [Url]
    public string? MetadataAddress { get; set; }

    /// <summary>A JSON Web Key Set file with the issuer's public keys, instead of discovery.</summary>
    public string? SigningKeysFile { get; set; }

    /// <summary>The <c>iss</c> tokens must carry; required with <see cref="SigningKeysFile"/>, else taken from discovery.</summary>
    public string? Issuer { get; set; }

    /// <summary>The <c>aud</c> tokens must carry. Issuers whose tokens carry none (Clerk's session tokens) use <see cref="AuthorizedParties"/>.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// When set, a token's <c>azp</c> (the app it was issued to; for Clerk, the origin of the page that asked for it)
    /// must be one of these. Required when there is no <see cref="Audience"/>.
    /// </summary>
    public List<string> AuthorizedParties { get; set; } = [];

    /// <summary>When set, a token's <c>tid</c> must equal it.</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// The claim that carries the caller's roles: a name (<c>roles</c>, <c>org_role</c>), or a dotted path into a JSON
    /// object claim (<c>metadata.role</c> for a Clerk template's <c>{"metadata": {"role": …}}</c>). A claim whose whole
    /// name matches is used first, so names with dots in them (<c>https://example.com/roles</c>) keep working.
    /// </summary>
    [Required]
    public string RoleClaim { get; set; } = "roles";

    /// <summary>Role values that grant <c>Scheduler.Admin</c> (default: <c>Scheduler.Admin</c>).</summary>
    public List<string>? AdminRoles { get; set; }

    /// <summary>Role values that grant <c>Scheduler.Reader</c> (default: <c>Scheduler.Reader</c>).</summary>
    public List<string>? ReaderRoles { get; set; }

    /// <summary>Whether discovery must be fetched over HTTPS (on except for a loopback issuer in tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled =>
        !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(MetadataAddress) || !string.IsNullOrWhiteSpace(SigningKeysFile);
}

/// <summary>
/// The local development issuer: an RSA key pair kept beside the checkout (<c>.local/</c>), whose public half the
/// service trusts. Tokens signed with it are real RS256 tokens, validated like any other.
/// </summary>
public sealed class LocalIssuerOptions
{
    /// <summary>PEM file with the RSA public key (or the key pair); set to enable the local issuer.</summary>
    public string? SigningKeyFile { get; set; }

    [Required]
    public string Issuer { get; set; } = "scheduler-local";

    [Required]
    public string Audience { get; set; } = "scheduler-service";

    /// <summary>The tenant (<c>tid</c>) tokens must be for, as Entra ID would check.</summary>
    [Required]
    public string TenantId { get; set; } = "local";

    public bool Enabled => !string.IsNullOrWhiteSpace(SigningKeyFile);
}

/// <summary>
/// The keys of Microsoft.Identity.Web's <c>AzureAd</c> section that the service checks itself: which tenants' tokens are
/// accepted, and whether discovery may be fetched over plain HTTP (a loopback stand-in in tests; refused in Production).
/// </summary>
public sealed class EntraOptions
{
    public const string Section = "AzureAd";

    /// <summary>Tenant values that accept tokens from any tenant, which Entra itself then does not restrict.</summary>
    public static readonly IReadOnlySet<string> MultiTenantValues = new HashSet<string>(["common", "organizations", "consumers"], StringComparer.OrdinalIgnoreCase);

    public string? Instance { get; set; }

    public string? ClientId { get; set; }

    public string? TenantId { get; set; }

    /// <summary>Tenant ids (<c>tid</c>) whose tokens are accepted; required when <see cref="TenantId"/> is multi-tenant.</summary>
    public List<string> AllowedTenants { get; set; } = [];

    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(ClientId);

    public bool MultiTenant => TenantId is { } tenant && MultiTenantValues.Contains(tenant.Trim());

    /// <summary>The v2.0 issuer Entra publishes for <see cref="TenantId"/> (with the <c>{tenantid}</c> template when multi-tenant).</summary>
    public string V2Issuer => $"{(Instance ?? "https://login.microsoftonline.com/").TrimEnd('/')}/{(MultiTenant ? "{tenantid}" : TenantId?.Trim())}/v2.0";

    /// <summary>
    /// The tenants a token's <c>tid</c> must be one of: the allow-list when given, else the configured tenant when it is
    /// a tenant id (a domain name is left to Entra's issuer check, since <c>tid</c> is always the id).
    /// </summary>
    public IReadOnlySet<string> AcceptedTenants =>
        AllowedTenants.Count > 0 ? AllowedTenants.Select(t => t.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase)
        : Guid.TryParse(TenantId, out _) ? new HashSet<string>([TenantId!.Trim()], StringComparer.OrdinalIgnoreCase)
        : new HashSet<string>();
}
