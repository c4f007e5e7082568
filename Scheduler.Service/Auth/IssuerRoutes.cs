namespace Scheduler.Service.Auth;

/// <summary>
/// Which scheme validates a bearer token, by the <c>iss</c> it names. Matching is exact (ordinal), except that one
/// trailing slash is not significant: issuers publish both forms (<c>https://tenant.auth0.com/</c>), and operators
/// copy either. Anything else goes to the fallback scheme, which validates it like any other token.
/// </summary>
internal sealed class IssuerRoutes
{
    private readonly Dictionary<string, string> _schemes = new(StringComparer.Ordinal);

    public IssuerRoutes(string fallback) => Fallback = fallback;

    public string Fallback { get; set; }

    public void Add(string issuer, string scheme) => _schemes[Key(issuer)] = scheme;

    public string SchemeFor(string? issuer) =>
        issuer is { Length: > 0 } && _schemes.TryGetValue(Key(issuer), out var scheme) ? scheme : Fallback;

    private static string Key(string issuer) => issuer.EndsWith('/') ? issuer[..^1] : issuer;
}
