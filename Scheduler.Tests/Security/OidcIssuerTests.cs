using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FluentAssertions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Scheduler.Contracts;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// A generic OpenID Connect issuer (shaped like Clerk: one <c>role</c> claim, <c>admin</c> or <c>member</c>) found
/// through its discovery document, beside the local issuer: each token is checked against the issuer it names.
/// </summary>
public sealed class OidcIssuerTests : ServiceFixture
{
    private const string Audience = "scheduler-api";
    private static readonly RSA IssuerKey = RSA.Create(2048);

    private string IssuerUrl => $"{StandIns.BaseUrl}/oidc";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:Oidc:Authority"] = IssuerUrl,
        ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        ["Auth:Oidc:Audience"] = Audience,
        ["Auth:Oidc:RoleClaim"] = "role",
        ["Auth:Oidc:AdminRoles:0"] = "admin",
        ["Auth:Oidc:ReaderRoles:0"] = "member",
    };

    protected override Task OnStartedAsync()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(IssuerKey.ExportParameters(false)) { KeyId = "clerk-1" });
        jwk.Use = "sig";
        jwk.Alg = SecurityAlgorithms.RsaSha256;
        StandIns.State.OidcSigningKeys = JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = jwk.Use, alg = jwk.Alg, n = jwk.N, e = jwk.E } } });
        return Task.CompletedTask;
    }

    [Test]
    public async Task AdminOfTheOtherIssuer_CanTrigger_AndIsRecordedBySubject()
    {
        StandIns.State.SeedDiscoveries(1);
        using var client = Service.CreateClient(Token("user_2clerkAdmin", "admin"));

        using var response = await client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });

        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<Contracts.Api.TriggerJobResponse>())!.Id;
        (await Service.WaitForStatusAsync(id, ExecutionStatus.Completed)).StartedBy.Should().Be("user_2clerkAdmin");
    }

    [Test]
    public async Task MemberOfTheOtherIssuer_CanRead_ButNotTrigger()
    {
        using var client = Service.CreateClient(Token("user_2clerkMember", "member"));

        (await client.GetAsync("/api/jobs")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task TokenNamingTheOtherIssuer_ButSignedWithTheLocalKey_IsRefused()
    {
        var forged = TestTokens.Mint("user_2forged", ["admin"], d =>
        {
            d.Issuer = IssuerUrl;
            d.Audience = Audience;
            d.Claims["role"] = "admin";
        });
        using var client = Service.CreateClient(forged);

        (await client.GetAsync("/api/jobs")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task LocalTokens_StillWork_BesideTheOtherIssuer()
    {
        (await Service.Client.GetAsync("/api/jobs")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private string Token(string subject, string role)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = IssuerUrl,
            Audience = Audience,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddMinutes(30),
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["role"] = role },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(IssuerKey) { KeyId = "clerk-1" }, SecurityAlgorithms.RsaSha256),
        });
    }
}
