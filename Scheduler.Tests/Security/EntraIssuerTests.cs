using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// The real Microsoft.Identity.Web scheme against a loopback Entra ID (discovery and keys from the stand-in), with
/// Entra-shaped v2.0 user tokens: many users of one client app (the dashboard) are each their own caller.
/// </summary>
public sealed class EntraIssuerTests : ServiceFixture
{
    private const string Tenant = "4f0c6a1e-2b7d-4c39-9e55-1d2a3b4c5d6e";
    private const string OtherTenant = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    private const string SchedulerApp = "0b7e2c4a-91d3-4f6e-8a5b-2c3d4e5f6a7b";
    private const string Dashboard = "d45b0e1f-3a2c-4b6d-9e8f-7a6b5c4d3e2f";
    private const string OpsPortal = "e56c1f2a-4b3d-4c7e-8f9a-8b7c6d5e4f3a";
    private const int Limit = 3;

    private EntraTokens? _entra;

    private EntraTokens Entra => _entra ??= new EntraTokens(StandIns.BaseUrl, SchedulerApp);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["AzureAd:Instance"] = Entra.Instance,
        ["AzureAd:TenantId"] = Tenant,
        ["AzureAd:ClientId"] = SchedulerApp,
        ["AzureAd:RequireHttpsMetadata"] = "false",
        ["RateLimiting:MutationsPerWindow"] = Limit.ToString(CultureInfo.InvariantCulture),
        ["RateLimiting:Window"] = "00:01:00",
        [$"Jobs:{JobTypes.CrawlPending}:Enabled"] = "false",
    };

    protected override Task OnStartedAsync()
    {
        StandIns.State.EntraSigningKeys = Entra.KeySet();
        return Task.CompletedTask;
    }

    [Test]
    public async Task UserToken_IsRecordedByTheUsersObjectId_NotByTheClientApp()
    {
        var user = "1c9d8e7f-6a5b-4c3d-8e2f-0a1b2c3d4e5f";
        using var client = Service.CreateClient(Entra.UserToken(Tenant, user, OpsPortal, "Scheduler.Admin"));

        using var response = await client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.EmailScan });

        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        (await Service.GetExecutionAsync(id)).StartedBy.Should().Be(user, "the user's oid, not the client app's azp");
        await using var connection = await TestDatabase.OpenAsync();
        var actors = await connection.QueryAsync<string>("SELECT actor FROM audit_log WHERE target_id = @target", new { target = id.ToString() });
        actors.Should().ContainSingle().Which.Should().Be(user);
    }

    [Test]
    public async Task UsersOfOneClientApp_EachHaveTheirOwnRateLimit()
    {
        using var first = Service.CreateClient(Entra.UserToken(Tenant, "2d0e9f8a-7b6c-4d5e-9f3a-1b2c3d4e5f6a", Dashboard, "Scheduler.Admin"));
        for (var i = 0; i < Limit; i++)
        {
            using var spent = await first.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
            spent.StatusCode.Should().Be(HttpStatusCode.Conflict, "within the budget; the type is disabled");
        }

        using var over = await first.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
        over.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);

        using var second = Service.CreateClient(Entra.UserToken(Tenant, "3e1f0a9b-8c7d-4e6f-8a4b-2c3d4e5f6a7b", Dashboard, "Scheduler.Admin"));
        using var allowed = await second.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });

        allowed.StatusCode.Should().Be(HttpStatusCode.Conflict, "another user of the same client app has a budget of their own");
    }

    [Test]
    public async Task ReaderToken_CanRead_ButNotTrigger()
    {
        using var client = Service.CreateClient(Entra.UserToken(Tenant, "4f2a1b0c-9d8e-4f7a-9b5c-3d4e5f6a7b8c", Dashboard, "Scheduler.Reader"));

        (await client.GetAsync("/api/jobs")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.EmailScan })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task TokenFromAnotherTenant_Answers401()
    {
        using var client = Service.CreateClient(Entra.UserToken(OtherTenant, "5a3b2c1d-0e9f-4a8b-8c6d-4e5f6a7b8c9d", Dashboard, "Scheduler.Admin"));

        (await client.GetAsync("/api/jobs")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
