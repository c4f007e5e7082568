using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using FluentAssertions;
using Microsoft.IdentityModel.Tokens;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Service.Auth;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// Every route under <c>/api</c> against real RS256 tokens: who gets in, who gets 401 or 403, and that the
/// token, not the body, says who acted.
/// </summary>
public sealed class AuthTests : ServiceFixture
{
    private static readonly string[] MutatingRoutes = ["/api/jobs/trigger", $"/api/jobs/{Guid.Empty}/cancel", $"/api/jobs/{Guid.Empty}/retry"];
    private static readonly string[] ReadingRoutes = ["/api/jobs", $"/api/jobs/{Guid.Empty}", "/api/audit"];

    /// <summary>Tokens that must be refused, each for one reason.</summary>
    private static IEnumerable<TestCaseData> RefusedTokens()
    {
        TestCaseData Case(string name, Func<string> token) => new TestCaseData(token).SetName($"Api_Returns401_For{name}");

        yield return Case("NoToken", () => "");
        yield return Case("NotAJwt", () => "not-a-token");
        yield return Case("ExpiredToken", () => Admin(d => { d.NotBefore = DateTime.UtcNow.AddHours(-2); d.Expires = DateTime.UtcNow.AddHours(-1); }));
        yield return Case("NotYetValidToken", () => Admin(d => { d.NotBefore = DateTime.UtcNow.AddHours(1); d.Expires = DateTime.UtcNow.AddHours(2); }));
        yield return Case("WrongIssuer", () => Admin(d => d.Issuer = "https://evil.example/"));
        yield return Case("WrongAudience", () => Admin(d => d.Audience = "some-other-api"));
        yield return Case("AnotherTenant", () => Admin(d => d.Claims["tid"] = "another-tenant"));
        yield return Case("TokenWithoutExpiry", () => Admin(d => d.Expires = null));
        yield return Case("BadSignature", () => Admin(d => d.SigningCredentials = new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)) { KeyId = "local" }, SecurityAlgorithms.RsaSha256)));
        yield return Case("AlgNone", () => Unsigned(TestTokens.Admin));
        yield return Case("TamperedPayload", () => Tampered(TestTokens.Reader));
        yield return Case("HmacSignedWithThePublicKey", () => Admin(d => d.SigningCredentials = new SigningCredentials(
            new SymmetricSecurityKey(Encoding.UTF8.GetBytes(File.ReadAllText(TestTokens.KeyFile))), SecurityAlgorithms.HmacSha256)));
    }

    [TestCaseSource(nameof(RefusedTokens))]
    public async Task Api_RefusesTheToken_With401ProblemDetails_AndABearerChallenge(Func<string> token)
    {
        using var client = Service.CreateClient(null);
        var value = token();
        foreach (var route in ReadingRoutes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, route);
            if (value.Length > 0)
            {
                request.Headers.Authorization = TestTokens.Bearer(value);
            }

            using var response = await client.SendAsync(request);

            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, route);
            response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer", route);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json", route);
        }
    }

    [Test]
    public async Task Reader_CanReadEverything_ButGets403ProblemDetails_OnEveryChange()
    {
        using var reader = Service.CreateClient(TestTokens.Reader);
        var before = await CountAsync();

        foreach (var route in ReadingRoutes.Where(r => !r.Contains(Guid.Empty.ToString(), StringComparison.Ordinal)))
        {
            (await reader.GetAsync(route)).StatusCode.Should().Be(HttpStatusCode.OK, route);
        }

        foreach (var route in MutatingRoutes)
        {
            using var response = await reader.PostAsJsonAsync(route, new { jobType = JobTypes.CrawlPending });
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, route);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json", route);
        }

        (await CountAsync()).Should().Be(before, "a refused request writes nothing");
    }

    [Test]
    public async Task TokenWithoutAnyRole_Gets403_EvenForReading()
    {
        using var nobody = Service.CreateClient(TestTokens.Mint("no-roles", []));

        using var response = await nobody.GetAsync("/api/jobs");

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task Admin_CanTriggerAndRead()
    {
        StandIns.State.SeedDiscoveries(1);

        var id = await Service.TriggerAsync(JobTypes.CrawlPending);
        var done = await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);

        done.StartedBy.Should().Be(TestTokens.AdminSubject);
        (await Service.Client.GetAsync("/api/audit")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task AppOnlyToken_WithTheAdminRole_CanTrigger_AndIsRecordedByItsObjectId()
    {
        StandIns.State.SeedDiscoveries(1);
        var appToken = TestTokens.Mint("ignored", [Caller.AdminRole], d =>
        {
            // An Entra client-credentials token: the service principal's object id, the client id, no user.
            d.Claims.Remove("sub");
            d.Claims["oid"] = "4f1c2d3e-aaaa-bbbb-cccc-0123456789ab";
            d.Claims["azp"] = "dashboard-backend";
            d.Claims["idtyp"] = "app";
        });
        using var app = Service.CreateClient(appToken);

        using var response = await app.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
        var accepted = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!;
        var done = await Service.WaitForStatusAsync(accepted.Id, ExecutionStatus.Completed);

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        done.StartedBy.Should().Be("4f1c2d3e-aaaa-bbbb-cccc-0123456789ab");
    }

    [Test]
    public async Task Trigger_RecordsTheTokensSubject_AndIgnoresADifferentTriggeredBy()
    {
        StandIns.State.SeedDiscoveries(1);
        using var anna = Service.CreateClient(TestTokens.AdminAs("ops_anna"));

        using var response = await anna.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending, triggeredBy = "ops_mallory" });
        var accepted = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!;
        var done = await Service.WaitForStatusAsync(accepted.Id, ExecutionStatus.Completed);

        done.StartedBy.Should().Be("ops_anna");
        var entry = (await Service.Client.GetFromJsonAsync<AuditPage>($"/api/audit?targetId={accepted.Id}"))!.Entries.Single();
        entry.Actor.Should().Be("ops_anna");
        entry.Details!.Value.GetProperty("ignoredTriggeredBy").GetString().Should().Be("ops_mallory");
    }

    [TestCase("/health")]
    [TestCase("/readyz")]
    [TestCase("/health/ready")]
    public async Task HealthEndpoints_StayAnonymous(string path)
    {
        using var anonymous = Service.CreateClient(null);

        (await anonymous.GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private static string Admin(Action<SecurityTokenDescriptor> adjust) => TestTokens.Mint(TestTokens.AdminSubject, [Caller.AdminRole], adjust);

    /// <summary>The same claims with <c>alg: none</c> and no signature.</summary>
    private static string Unsigned(string token)
    {
        var parts = token.Split('.');
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        return $"{header}.{parts[1]}.";
    }

    /// <summary>A reader's token whose payload was edited to claim the admin role, keeping the old signature.</summary>
    private static string Tampered(string token)
    {
        var parts = token.Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace(Caller.ReaderRole, Caller.AdminRole, StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }

    private static async Task<(long Executions, long Audit)> CountAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        return (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs"),
            await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log"));
    }
}
