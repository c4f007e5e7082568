using System.Net;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// A multi-tenant Entra registration (<c>AzureAd:TenantId</c> = <c>organizations</c>) with an allow-list: Entra's own
/// checks accept a token from any tenant, so the service admits only the listed tenants' tokens.
/// </summary>
public sealed class EntraAllowedTenantsTests : ServiceFixture
{
    private const string Allowed = "6b4c3d2e-1f0a-4b9c-9d7e-5f6a7b8c9d0e";
    private const string NotListed = "7c5d4e3f-2a1b-4c0d-8e8f-6a7b8c9d0e1f";
    private const string SchedulerApp = "8d6e5f4a-3b2c-4d1e-9f9a-7b8c9d0e1f2a";
    private const string Dashboard = "9e7f6a5b-4c3d-4e2f-8a0b-8c9d0e1f2a3b";

    private EntraTokens? _entra;

    private EntraTokens Entra => _entra ??= new EntraTokens(StandIns.BaseUrl, SchedulerApp);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["AzureAd:Instance"] = Entra.Instance,
        ["AzureAd:TenantId"] = "organizations",
        ["AzureAd:AllowedTenants:0"] = Allowed,
        ["AzureAd:ClientId"] = SchedulerApp,
        ["AzureAd:RequireHttpsMetadata"] = "false",
    };

    protected override Task OnStartedAsync()
    {
        StandIns.State.EntraSigningKeys = Entra.KeySet();
        return Task.CompletedTask;
    }

    [Test]
    public async Task TokenFromAnAllowedTenant_IsAccepted()
    {
        using var client = Service.CreateClient(Entra.UserToken(Allowed, "0f8a7b6c-5d4e-4f3a-9b1c-9d0e1f2a3b4c", Dashboard, "Scheduler.Reader"));

        (await client.GetAsync("/api/jobs")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task TokenFromATenantNotListed_Answers401_ThoughEntraIssuedIt()
    {
        using var client = Service.CreateClient(Entra.UserToken(NotListed, "1a9b8c7d-6e5f-4a4b-8c2d-0e1f2a3b4c5d", Dashboard, "Scheduler.Admin"));

        using var response = await client.GetAsync("/api/jobs");

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
