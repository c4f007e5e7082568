using System.Net.Http.Headers;
using Microsoft.IdentityModel.Tokens;
using Scheduler.Service.Auth;

namespace Scheduler.Tests.Infrastructure;

/// <summary>
/// The run's <see cref="LocalTokens"/>: real RS256 tokens from the local development issuer, signed with a key made
/// for this test run, whose public half (<see cref="KeyFile"/>) the service trusts exactly as <c>./run.sh</c> configures it.
/// </summary>
public static class TestTokens
{
    public const string Issuer = LocalTokens.Issuer;
    public const string Audience = LocalTokens.Audience;
    public const string Tenant = LocalTokens.Tenant;
    public const string AdminSubject = "test-admin";
    public const string ReaderSubject = "test-reader";

    private static readonly Lazy<LocalTokens> Tokens = new(() =>
        new LocalTokens(Path.Combine(Path.GetTempPath(), $"scheduler-test-signing-{Environment.ProcessId}.pem")));

    /// <summary>The PEM file with the public key, for <c>Auth:Local:SigningKeyFile</c>.</summary>
    public static string KeyFile => Tokens.Value.KeyFile;

    public static SigningCredentials Signing => Tokens.Value.Signing;

    public static string Admin { get; } = Mint(AdminSubject, [Caller.AdminRole]);

    public static string Reader { get; } = Mint(ReaderSubject, [Caller.ReaderRole]);

    /// <summary>A token for <paramref name="subject"/> with <paramref name="roles"/>; <paramref name="adjust"/> changes anything else.</summary>
    public static string Mint(string subject, IReadOnlyCollection<string> roles, Action<SecurityTokenDescriptor>? adjust = null) =>
        Tokens.Value.Mint(subject, roles, adjust: adjust);

    /// <summary>An admin token whose subject is <paramref name="subject"/>.</summary>
    public static string AdminAs(string subject) => Mint(subject, [Caller.AdminRole]);

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public static void DeleteKeyFile()
    {
        if (Tokens.IsValueCreated)
        {
            File.Delete(Tokens.Value.KeyFile);
            Tokens.Value.Dispose();
        }
    }
}
