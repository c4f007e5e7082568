using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using FluentAssertions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// An OIDC issuer beside Entra ID, its authority configured with or without a trailing slash and its <c>iss</c>
/// published either way: its tokens reach its own scheme, not Entra's (where they would fail).
/// </summary>
[TestFixture("", true)]
[TestFixture("/", true)]
[TestFixture("/", false)]
public sealed class OidcIssuerFormsTests(string authoritySuffix, bool issuerEndsWithSlash) : ServiceFixture
{
    private const string Audience = "scheduler-api";
    private readonly RSA _key = RSA.Create(2048);

    private string Issuer => $"{StandIns.BaseUrl}/oidc{(issuerEndsWithSlash ? "/" : "")}";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:Oidc:Authority"] = $"{StandIns.BaseUrl}/oidc{authoritySuffix}",
        ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        ["Auth:Oidc:Audience"] = Audience,
        ["AzureAd:Instance"] = $"{StandIns.BaseUrl}/entra/",
        ["AzureAd:TenantId"] = "2b0c9d8e-7f6a-4b5c-9d3e-1f2a3b4c5d6e",
        ["AzureAd:ClientId"] = "3c1d0e9f-8a7b-4c6d-8e4f-2a3b4c5d6e7f",
        ["AzureAd:RequireHttpsMetadata"] = "false",
    };

    protected override Task OnStartedAsync()
    {
        StandIns.State.OidcIssuerEndsWithSlash = issuerEndsWithSlash;
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.ExportParameters(false)) { KeyId = "oidc-1" });
        StandIns.State.OidcSigningKeys = JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", n = jwk.N, e = jwk.E } } });
        return Task.CompletedTask;
    }

    [Test]
    public async Task TokenNamingThePublishedIssuer_IsAccepted()
    {
        using var client = Service.CreateClient(Token(Issuer));

        using var response = await client.GetAsync("/api/jobs");

        response.StatusCode.Should().Be(HttpStatusCode.OK, response.Headers.WwwAuthenticate.ToString());
    }

    [Test]
    public async Task TokenNamingTheOtherForm_IsRefused_ByTheIssuersOwnCheck()
    {
        var otherForm = issuerEndsWithSlash ? Issuer[..^1] : Issuer + "/";
        using var client = Service.CreateClient(Token(otherForm));

        (await client.GetAsync("/api/jobs")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    private string Token(string issuer)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = Audience,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddMinutes(30),
            Claims = new Dictionary<string, object> { ["sub"] = "user_2forms", ["roles"] = "Scheduler.Reader" },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = "oidc-1" }, SecurityAlgorithms.RsaSha256),
        });
    }
}
