using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Scheduler.Testing;

/// <summary>
/// Real RS256 tokens from the service's local development issuer, signed with a key made for this run. The service
/// trusts the key's public half (<see cref="KeyFile"/>, for <c>Auth:Local:SigningKeyFile</c>) exactly as
/// <c>./run.sh</c> configures it.
/// </summary>
public sealed class LocalTokens : IDisposable
{
    public const string Issuer = "scheduler-local";
    public const string Audience = "scheduler-service";
    public const string Tenant = "local";
    public const string AdminRole = "Scheduler.Admin";

    private readonly RSA _key = RSA.Create(2048);

    /// <summary>Makes a key and writes its public half to <paramref name="keyFile"/>.</summary>
    public LocalTokens(string keyFile)
    {
        KeyFile = keyFile;
        File.WriteAllText(keyFile, _key.ExportSubjectPublicKeyInfoPem());
        Signing = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = "local" }, SecurityAlgorithms.RsaSha256);
    }

    /// <summary>The PEM file with the public key, for <c>Auth:Local:SigningKeyFile</c>.</summary>
    public string KeyFile { get; }

    public SigningCredentials Signing { get; }

    /// <summary>
    /// A token for <paramref name="subject"/> with <paramref name="roles"/>, valid for <paramref name="lifetime"/>
    /// (an hour unless given); <paramref name="adjust"/> changes anything else.
    /// </summary>
    public string Mint(string subject, IReadOnlyCollection<string> roles, TimeSpan? lifetime = null, Action<SecurityTokenDescriptor>? adjust = null)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now + (lifetime ?? TimeSpan.FromHours(1)),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["tid"] = Tenant,
                ["roles"] = roles.ToArray(),
            },
            SigningCredentials = Signing,
        };
        adjust?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public void Dispose() => _key.Dispose();
}
