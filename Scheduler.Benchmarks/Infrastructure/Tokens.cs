using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>
/// RS256 tokens of the service's local development issuer (as ./run.sh and the tests make them): a key made for
/// this run, its public half in a PEM file for <c>Auth:Local:SigningKeyFile</c>, and admin tokens.
/// </summary>
internal sealed class Tokens : IDisposable
{
    private const string Issuer = "scheduler-local";
    private const string Audience = "scheduler-service";
    private const string Tenant = "local";
    private const string AdminRole = "Scheduler.Admin";

    private readonly RSA _key = RSA.Create(2048);

    public Tokens(string directory)
    {
        KeyFile = Path.Combine(directory, "signing-key.pub.pem");
        File.WriteAllText(KeyFile, _key.ExportSubjectPublicKeyInfoPem());
        Admin = Mint("bench-admin");
    }

    public string KeyFile { get; }

    public string Admin { get; }

    public string Mint(string subject)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(6),
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["tid"] = Tenant, ["roles"] = new[] { AdminRole } },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = "local" }, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public void Dispose() => _key.Dispose();
}
