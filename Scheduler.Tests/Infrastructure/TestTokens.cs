using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Scheduler.Service.Auth;

namespace Scheduler.Tests.Infrastructure;

/// <summary>
/// Real RS256 tokens from the local development issuer, signed with a key made for this test run. The service
/// trusts the key's public half (<see cref="KeyFile"/>) exactly as <c>./run.sh</c> configures it.
/// </summary>
public static class TestTokens
{
    public const string Issuer = "scheduler-local";
    public const string Audience = "scheduler-service";
    public const string Tenant = "local";
    public const string AdminSubject = "test-admin";
    public const string ReaderSubject = "test-reader";

    private static readonly RSA Key = RSA.Create(2048);
    private static readonly Lazy<string> KeyFilePath = new(WritePublicKey);

    /// <summary>The PEM file with the public key, for <c>Auth:Local:SigningKeyFile</c>.</summary>
    public static string KeyFile => KeyFilePath.Value;

    public static SigningCredentials Signing { get; } = new(new RsaSecurityKey(Key) { KeyId = "local" }, SecurityAlgorithms.RsaSha256);

    public static string Admin { get; } = Mint(AdminSubject, [Caller.AdminRole]);

    public static string Reader { get; } = Mint(ReaderSubject, [Caller.ReaderRole]);

    /// <summary>A token for <paramref name="subject"/> with <paramref name="roles"/>; <paramref name="adjust"/> changes anything else.</summary>
    public static string Mint(string subject, IReadOnlyCollection<string> roles, Action<SecurityTokenDescriptor>? adjust = null)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(1),
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

    /// <summary>An admin token whose subject is <paramref name="subject"/>.</summary>
    public static string AdminAs(string subject) => Mint(subject, [Caller.AdminRole]);

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public static void DeleteKeyFile()
    {
        if (KeyFilePath.IsValueCreated)
        {
            File.Delete(KeyFilePath.Value);
        }
    }

    private static string WritePublicKey()
    {
        var path = Path.Combine(Path.GetTempPath(), $"scheduler-test-signing-{Environment.ProcessId}.pem");
        File.WriteAllText(path, Key.ExportSubjectPublicKeyInfoPem());
        return path;
    }
}
