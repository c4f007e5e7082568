using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Scheduler.Tests.Infrastructure;

/// <summary>
/// Entra ID v2.0 access tokens as Entra issues them for an API (<c>ver</c> 2.0, <c>aud</c> the API's client id,
/// <c>tid</c>, a user's <c>oid</c> and pairwise <c>sub</c>, the calling app in <c>azp</c>, <c>roles</c> and <c>scp</c>),
/// signed with a key made for the fixture and published by the stand-in under <c>/entra</c>.
/// </summary>
public sealed class EntraTokens(string standInUrl, string audience)
{
    private const string KeyId = "entra-test-1";
    private readonly RSA _key = RSA.Create(2048);

    /// <summary>The <c>AzureAd:Instance</c> that points Microsoft.Identity.Web at the stand-in.</summary>
    public string Instance => $"{standInUrl}/entra/";

    public string IssuerFor(string tenant) => $"{standInUrl}/entra/{tenant}/v2.0";

    /// <summary>The key set for <c>StandInState.EntraSigningKeys</c>, each key naming its issuer as Entra's do.</summary>
    public string KeySet()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.ExportParameters(false)) { KeyId = KeyId });
        return JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = jwk.Kty, use = "sig", kid = jwk.Kid, n = jwk.N, e = jwk.E, issuer = IssuerFor("{tenantid}") } },
        });
    }

    /// <summary>A user's token from <paramref name="tenant"/>, obtained through the client app <paramref name="clientApp"/>.</summary>
    public string UserToken(string tenant, string objectId, string clientApp, params string[] roles) =>
        Mint(tenant, new Dictionary<string, object>
        {
            ["oid"] = objectId,
            // Pairwise: the same user has another sub in every app, so it is not the user's id.
            ["sub"] = $"pairwise-{objectId}-{clientApp}"[..40],
            ["azp"] = clientApp,
            ["azpacr"] = "1",
            ["name"] = "Test User",
            ["preferred_username"] = $"{objectId[..8]}@contoso.example",
            ["roles"] = roles,
            ["scp"] = "access_as_user",
        });

    private string Mint(string tenant, Dictionary<string, object> claims)
    {
        var now = DateTime.UtcNow;
        claims["tid"] = tenant;
        claims["ver"] = "2.0";
        claims["uti"] = Guid.NewGuid().ToString("N");
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = IssuerFor(tenant),
            Audience = audience,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(1),
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }
}
