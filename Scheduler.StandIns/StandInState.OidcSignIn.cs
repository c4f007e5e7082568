using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Scheduler.StandIns;

/// <summary>The person the stand-in OIDC issuer signs in without asking, and the claims its tokens carry.</summary>
/// <param name="Subject">The <c>sub</c> of both tokens.</param>
/// <param name="Name">The <c>name</c> of both tokens.</param>
/// <param name="Roles">Values of <paramref name="RoleClaim"/> in the access token.</param>
/// <param name="Audience">The access token's <c>aud</c> (the service's <c>Auth:Oidc:Audience</c>).</param>
/// <param name="RoleClaim">The claim that carries <paramref name="Roles"/>.</param>
public sealed record OidcSignInUser(string Subject, string Name, IReadOnlyList<string> Roles, string Audience, string RoleClaim = "roles");

/// <summary>
/// The stand-in OIDC issuer's sign-in: authorization codes waiting to be redeemed, refresh tokens, and the RSA key
/// it signs with (published by <see cref="OidcSignInKeySet"/> for a test to put in <see cref="OidcSigningKeys"/>).
/// </summary>
public sealed partial class StandInState
{
    private readonly RSA _oidcSignInKey = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, OidcPendingCode> _oidcCodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OidcPendingCode> _oidcRefreshTokens = new(StringComparer.Ordinal);

    internal const string OidcSignInKeyId = "stand-in-sign-in";

    /// <summary>Who <c>/oidc/authorize</c> signs in; null answers every authorization request with <c>login_required</c>.</summary>
    public OidcSignInUser? OidcSignInUser { get; set; }

    /// <summary>How long the tokens from <c>/oidc/token</c> live (<c>expires_in</c> and <c>exp</c>).</summary>
    public TimeSpan OidcTokenLifetime { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Whether <c>/oidc/token</c> gives a refresh token when the scope has <c>offline_access</c>; off, a client renews with <c>prompt=none</c>.</summary>
    public bool OidcIssuesRefreshTokens { get; set; } = true;

    /// <summary>The public half of the sign-in key as a JSON Web Key Set.</summary>
    public string OidcSignInKeySet()
    {
        var key = _oidcSignInKey.ExportParameters(includePrivateParameters: false);
        return JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "RSA", kid = OidcSignInKeyId, use = "sig", alg = "RS256", n = Base64Url(key.Modulus!), e = Base64Url(key.Exponent!) } },
        });
    }

    /// <summary>An approved authorization request (or, without its PKCE challenge and nonce, a refresh token's grant).</summary>
    /// <param name="ClientId">The client it was approved for.</param>
    /// <param name="RedirectUri">Where the code went; the token request must name the same.</param>
    /// <param name="CodeChallenge">The PKCE S256 challenge the code verifier must hash to.</param>
    /// <param name="Nonce">Echoed in the id token.</param>
    /// <param name="Scope">The scopes asked for.</param>
    /// <param name="User">Who was signed in.</param>
    /// <param name="AuthTime">When the user was signed in: a refreshed id token keeps it, as clients check.</param>
    internal sealed record OidcPendingCode(string ClientId, string RedirectUri, string? CodeChallenge, string? Nonce, string Scope, OidcSignInUser User, DateTimeOffset AuthTime);

    internal string IssueOidcCode(OidcPendingCode pending)
    {
        var code = Base64Url(RandomNumberGenerator.GetBytes(32));
        _oidcCodes[code] = pending;
        return code;
    }

    internal OidcPendingCode? RedeemOidcCode(string code) => _oidcCodes.TryRemove(code, out var pending) ? pending : null;

    internal string IssueOidcRefreshToken(OidcPendingCode pending)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        _oidcRefreshTokens[token] = pending with { CodeChallenge = null, Nonce = null };
        return token;
    }

    /// <summary>Each refresh token is used once (rotated), as Entra and most issuers do for browser clients.</summary>
    internal OidcPendingCode? RedeemOidcRefreshToken(string token) => _oidcRefreshTokens.TryRemove(token, out var pending) ? pending : null;

    /// <summary>An RS256 JSON Web Token signed with the sign-in key.</summary>
    internal string SignOidcToken(IReadOnlyDictionary<string, object> claims)
    {
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT", kid = OidcSignInKeyId }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = _oidcSignInKey.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
