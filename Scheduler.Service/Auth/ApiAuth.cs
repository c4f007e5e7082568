using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Scheduler.Jobs.Configuration;

namespace Scheduler.Service.Auth;

/// <summary>
/// Bearer tokens for everything under <c>/api</c>: Entra ID through Microsoft.Identity.Web (<c>AzureAd</c>), any other
/// OpenID Connect issuer (<c>Auth:Oidc</c>), and, outside Production, the local development issuer (<c>Auth:Local</c>).
/// A token is routed to the issuer it names; each issuer's roles are mapped onto <c>Scheduler.Admin</c> and
/// <c>Scheduler.Reader</c>. There is no setting that turns authentication off.
/// </summary>
public static class ApiAuth
{
    public const string BearerScheme = "Bearer";
    public const string EntraScheme = "Entra";
    public const string OidcScheme = "Oidc";
    public const string LocalScheme = "Local";

    /// <summary>Where a token goes when no issuer is configured (only outside Production): every token fails.</summary>
    private const string NoIssuerScheme = "NoIssuer";

    private static readonly string[] EntraRoleClaims = ["roles", System.Security.Claims.ClaimTypes.Role];

    public static WebApplicationBuilder AddApiAuth(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var options = builder.Services.AddValidatedOptions<AuthOptions>(configuration, AuthOptions.Section);
        var entra = configuration.GetSection(EntraOptions.Section);
        var entraOptions = ValidatedOptions.Bind<EntraOptions>(entra, EntraOptions.Section);
        CheckIssuers(builder.Environment, options, entraOptions);

        var routes = new IssuerRoutes(NoIssuerScheme);
        var auth = builder.Services.AddAuthentication(BearerScheme);

        if (entraOptions.Enabled)
        {
            var entraAuth = auth.AddMicrosoftIdentityWebApi(entra, EntraScheme);
            if (OutboundTokens.AnyConfigured(configuration))
            {
                entraAuth.EnableTokenAcquisitionToCallDownstreamApi().AddInMemoryTokenCaches();
            }

            builder.Services.Configure<JwtBearerOptions>(EntraScheme, jwt =>
            {
                // Claims keep their token names: with the default mapping oid and sub are renamed, and the caller
                // would be read from azp, the client app, making every user of the dashboard the same caller.
                jwt.MapInboundClaims = false;
                jwt.RequireHttpsMetadata = entraOptions.RequireHttpsMetadata;
                if (!entraOptions.RequireHttpsMetadata)
                {
                    // Microsoft.Identity.Web's issuer validator reads its own copy of the metadata, over HTTPS only; with
                    // a plain-HTTP instance (a loopback Entra outside Production) it checks against the issuer Entra publishes.
                    jwt.TokenValidationParameters.ValidIssuers = [entraOptions.V2Issuer];
                }
            });
            var acceptedTenants = entraOptions.AcceptedTenants;
            builder.Services.PostConfigure<JwtBearerOptions>(EntraScheme, jwt =>
            {
                jwt.Events ??= new JwtBearerEvents();
                var validated = jwt.Events.OnTokenValidated;
                jwt.Events.OnTokenValidated = async context =>
                {
                    await validated(context);
                    if (context.Result is null && context.Principal is { } principal)
                    {
                        if (acceptedTenants.Count > 0 && !acceptedTenants.Contains(principal.FindFirst("tid")?.Value ?? ""))
                        {
                            context.Fail("The token was issued by a tenant that is not accepted.");
                            return;
                        }

                        foreach (var claim in EntraRoleClaims)
                        {
                            Caller.MapRoles(principal, claim, [Caller.AdminRole], [Caller.ReaderRole]);
                        }
                    }
                };
            });
            routes.Fallback = EntraScheme;
        }

        if (options.Oidc.Enabled)
        {
            var oidc = options.Oidc;
            auth.AddJwtBearer(OidcScheme, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.Authority = oidc.Authority;
                jwt.MetadataAddress = oidc.MetadataAddress ?? "";
                jwt.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                jwt.Audience = oidc.Audience;
                jwt.TokenValidationParameters = Strict(oidc.Issuer, oidc.Audience, oidc.SigningKeysFile is { Length: > 0 } file ? LoadKeySet(file) : null);
                // Without an audience the token is bound to its authorized party instead (checked on validation).
                jwt.TokenValidationParameters.ValidateAudience = !string.IsNullOrWhiteSpace(oidc.Audience);
                jwt.Events = MapRolesOnValidation(oidc.TenantId, oidc.RoleClaim,
                    oidc.AdminRoles is { Count: > 0 } admin ? admin : [Caller.AdminRole],
                    oidc.ReaderRoles is { Count: > 0 } reader ? reader : [Caller.ReaderRole],
                    AuthorizedParties(oidc.AuthorizedParties));
            });
            if ((oidc.Issuer ?? oidc.Authority) is { Length: > 0 } issuer)
            {
                routes.Add(issuer, OidcScheme);
            }

            routes.Fallback = routes.Fallback == NoIssuerScheme ? OidcScheme : routes.Fallback;
        }

        if (options.Local.Enabled)
        {
            var local = options.Local;
            var key = LoadPublicKey(local.SigningKeyFile!);
            auth.AddJwtBearer(LocalScheme, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = Strict(local.Issuer, local.Audience, [key]);
                jwt.Events = MapRolesOnValidation(local.TenantId, "roles", [Caller.AdminRole], [Caller.ReaderRole]);
            });
            routes.Add(local.Issuer, LocalScheme);
            routes.Fallback = routes.Fallback == NoIssuerScheme ? LocalScheme : routes.Fallback;
        }

        if (routes.Fallback == NoIssuerScheme)
        {
            auth.AddJwtBearer(NoIssuerScheme, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = Strict("no issuer is configured", "no audience is configured", []);
            });
        }

        auth.AddPolicyScheme(BearerScheme, "Bearer token, routed to the issuer it names", policy =>
            policy.ForwardDefaultSelector = http => routes.SchemeFor(IssuerOf(http)));

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Caller.ReaderPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(Caller.RoleClaim, Caller.ReaderRole))
            .AddPolicy(Caller.AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(Caller.RoleClaim, Caller.AdminRole));
        builder.AddMutationRateLimit();
        return builder;
    }

    /// <summary>Authentication, authorization and the mutation rate limit, after the error pages so that 401, 403 and 429 are problem details.</summary>
    public static WebApplication UseApiAuth(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    private static void CheckIssuers(IHostEnvironment environment, AuthOptions options, EntraOptions entra)
    {
        var failures = new List<string>();
        if (environment.IsProduction() && options.Local.Enabled)
        {
            failures.Add("Auth:Local: the local development issuer cannot be enabled in Production; configure AzureAd or Auth:Oidc.");
        }

        if (environment.IsProduction() && !entra.Enabled && !options.Oidc.Enabled)
        {
            failures.Add("Auth: no token issuer is configured. Set AzureAd:TenantId and AzureAd:ClientId (Entra ID), or Auth:Oidc:Authority (another OpenID Connect issuer).");
        }

        if (entra.Enabled && string.IsNullOrWhiteSpace(entra.TenantId))
        {
            failures.Add("AzureAd:TenantId: is required with AzureAd:ClientId.");
        }

        if (entra.Enabled && entra.MultiTenant && entra.AllowedTenants.Count == 0)
        {
            failures.Add("AzureAd:TenantId: common, organizations and consumers accept tokens from any Entra tenant. Set the tenant id, or list the tenant ids to accept in AzureAd:AllowedTenants.");
        }

        for (var i = 0; i < entra.AllowedTenants.Count; i++)
        {
            if (!Guid.TryParse(entra.AllowedTenants[i], out _))
            {
                failures.Add($"AzureAd:AllowedTenants:{i}: must be a tenant id (a GUID, as in the tokens' tid claim).");
            }
        }

        if (environment.IsProduction() && !entra.RequireHttpsMetadata)
        {
            failures.Add("AzureAd:RequireHttpsMetadata: cannot be false in Production; the signing keys must come over HTTPS.");
        }

        if (options.Oidc.Enabled && string.IsNullOrWhiteSpace(options.Oidc.Audience) && AuthorizedParties(options.Oidc.AuthorizedParties).Count == 0)
        {
            failures.Add("Auth:Oidc:Audience: is required unless Auth:Oidc:AuthorizedParties lists the apps (azp) whose tokens are accepted; tokens meant for another app must be refused.");
        }

        if (!string.IsNullOrWhiteSpace(options.Oidc.SigningKeysFile) && string.IsNullOrWhiteSpace(options.Oidc.Issuer))
        {
            failures.Add("Auth:Oidc:Issuer: is required with Auth:Oidc:SigningKeysFile.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), failures);
        }
    }

    /// <summary>Issuer, audience, lifetime and signature all checked; RS256/ES256 only, so <c>alg: none</c> and HMAC tricks fail.</summary>
    private static TokenValidationParameters Strict(string? issuer, string? audience, IEnumerable<SecurityKey>? keys) => new()
    {
        ValidateIssuer = true,
        ValidIssuer = issuer,
        ValidateAudience = true,
        ValidAudience = audience,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidateIssuerSigningKey = true,
        IssuerSigningKeys = keys,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512, SecurityAlgorithms.EcdsaSha256],
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = "sub",
        RoleClaimType = Caller.RoleClaim,
    };

    private static JwtBearerEvents MapRolesOnValidation(string? tenantId, string roleClaim, IReadOnlyCollection<string> admin, IReadOnlyCollection<string> reader,
        HashSet<string>? authorizedParties = null) => new()
    {
        OnTokenValidated = context =>
        {
            var principal = context.Principal!;
            if (!string.IsNullOrWhiteSpace(tenantId) && principal.FindFirst("tid")?.Value != tenantId)
            {
                context.Fail("The token was issued for another tenant.");
                return Task.CompletedTask;
            }

            if (authorizedParties is { Count: > 0 } && !authorizedParties.Contains(TrimSlash(principal.FindFirst("azp")?.Value ?? "")))
            {
                context.Fail("The token was issued to an app (azp) that is not authorized.");
                return Task.CompletedTask;
            }

            Caller.MapRoles(principal, roleClaim, admin, reader);
            return Task.CompletedTask;
        },
    };

    /// <summary>The configured <c>azp</c> values; origins compare without case and without a trailing slash.</summary>
    private static HashSet<string> AuthorizedParties(IEnumerable<string> configured) =>
        configured.Select(p => TrimSlash(p.Trim())).Where(p => p.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static string TrimSlash(string value) => value.EndsWith('/') ? value[..^1] : value;

    /// <summary>The <c>iss</c> of the bearer token, read without validating it, only to pick the scheme that will.</summary>
    private static string? IssuerOf(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            return new JsonWebToken(header["Bearer ".Length..].Trim()).Issuer;
        }
        catch (ArgumentException)
        {
            // SecurityTokenMalformedException is one: not a JWT, so no issuer to route by.
            return null;
        }
    }

    private static RsaSecurityKey LoadPublicKey(string path)
    {
        if (!File.Exists(path))
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), ["Auth:Local:SigningKeyFile: the file does not exist."]);
        }

        using var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        catch (ArgumentException)
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), ["Auth:Local:SigningKeyFile: not a PEM RSA key."]);
        }

        return new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false)) { KeyId = "local" };
    }

    private static IList<SecurityKey> LoadKeySet(string path)
    {
        try
        {
            return new JsonWebKeySet(File.ReadAllText(path)).GetSigningKeys();
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or System.Text.Json.JsonException)
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), ["Auth:Oidc:SigningKeysFile: not a readable JSON Web Key Set."]);
        }
    }
}
