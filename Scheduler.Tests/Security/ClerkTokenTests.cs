using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Scheduler.Contracts;
using Scheduler.Service;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// Clerk session tokens, as the admin dashboard's <c>getToken()</c> returns them: no <c>aud</c>, the page's origin in
/// <c>azp</c>, and the user's role nested in a JSON claim by the session-token template. The issuer is the loopback
/// OIDC stand-in, found through its discovery document; the role path is configured in both forms Clerk templates use.
/// </summary>
[TestFixture("metadata")]
[TestFixture("public_metadata")]
public sealed class ClerkTokenTests(string metadataClaim) : ServiceFixture
{
    private const string DashboardOrigin = "https://admin.example.com";
    private readonly RSA _key = RSA.Create(2048);

    private string IssuerUrl => $"{StandIns.BaseUrl}/oidc";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:Oidc:Authority"] = IssuerUrl,
        ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        ["Auth:Oidc:RoleClaim"] = $"{metadataClaim}.role",
        ["Auth:Oidc:AdminRoles:0"] = "admin",
        ["Auth:Oidc:ReaderRoles:0"] = "member",
        // As operators copy it from the browser's address bar, with a trailing slash; azp has none.
        ["Auth:Oidc:AuthorizedParties:0"] = DashboardOrigin + "/",
    };

    protected override Task OnStartedAsync()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.ExportParameters(false)) { KeyId = "ins_clerk" });
        StandIns.State.OidcSigningKeys = JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        return Task.CompletedTask;
    }

    [Test]
    public async Task Admin_FromTheDashboard_CanTrigger()
    {
        using var client = Service.CreateClient(Token("user_2clerkAdmin", "admin", DashboardOrigin));

        using var response = await client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });

        response.StatusCode.Should().Be(HttpStatusCode.Accepted, response.Headers.WwwAuthenticate.ToString());
    }

    [Test]
    public async Task Member_FromTheDashboard_IsForbiddenToTrigger()
    {
        using var client = Service.CreateClient(Token("user_2clerkMember", "member", DashboardOrigin));

        using var response = await client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task Member_FromTheDashboard_CanRead()
    {
        using var client = Service.CreateClient(Token("user_2clerkMember", "member", DashboardOrigin));

        (await client.GetAsync("/api/jobs")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Admin_WithTheRoleOutsideTheConfiguredPath_IsForbiddenToTrigger()
    {
        using var client = Service.CreateClient(Token("user_2clerkElsewhere", "admin", DashboardOrigin, inClaim: "unsafe_metadata"));

        using var response = await client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task Admin_FromAnUnlistedApp_IsUnauthorized()
    {
        using var client = Service.CreateClient(Token("user_2clerkAdmin", "admin", "https://other-app.example.com"));

        using var response = await client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Admin_WithNoAuthorizedParty_IsUnauthorized()
    {
        using var client = Service.CreateClient(Token("user_2clerkAdmin", "admin", authorizedParty: null));

        using var response = await client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public void Issuer_WithNeitherAudienceNorAuthorizedParties_RefusesToStart_NamingBoth()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, StandIns.BaseUrl, "clerk-config-test");
        settings["Auth:Oidc:Authority"] = IssuerUrl;
        settings["Auth:Oidc:RequireHttpsMetadata"] = "false";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Auth:Oidc:Audience").And.Contain("Auth:Oidc:AuthorizedParties");
    }

    /// <summary>A token shaped as Clerk issues it: short-lived, <c>azp</c> and <c>sid</c>, no <c>aud</c>.</summary>
    private string Token(string subject, string role, string? authorizedParty, string? inClaim = null)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["sid"] = "sess_2test",
            [inClaim ?? metadataClaim] = new Dictionary<string, object> { ["role"] = role },
        };
        if (authorizedParty is not null)
        {
            claims["azp"] = authorizedParty;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = IssuerUrl,
            NotBefore = now.AddSeconds(-10),
            IssuedAt = now.AddSeconds(-10),
            Expires = now.AddMinutes(2),
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = "ins_clerk" }, SecurityAlgorithms.RsaSha256),
        });
    }
}
