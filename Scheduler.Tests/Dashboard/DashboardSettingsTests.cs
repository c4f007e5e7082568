using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduler.Service;
using Scheduler.Service.Dashboard;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Dashboard;

/// <summary>The <c>Dashboard</c> settings: what the page is told to do, and the values that stop start-up.</summary>
public sealed class DashboardSettingsTests
{
    private const string TenantId = "11111111-2222-3333-4444-555555555555";
    private const string ServiceClientId = "66666666-7777-8888-9999-000000000000";

    [Test]
    public async Task WithEntra_TheDashboardSignsInAtTheTenant_ForTheApisScope_AndOffersNoTokenPaste()
    {
        var settings = Settings();
        settings["AzureAd:TenantId"] = TenantId;
        settings["AzureAd:ClientId"] = ServiceClientId;
        settings["Dashboard:ClientId"] = "dashboard-spa";

        await using var app = SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        app.Services.GetRequiredService<DashboardSignIn>().Should().Be(new DashboardSignIn(
            $"https://login.microsoftonline.com/{TenantId}/v2.0", "dashboard-spa",
            $"openid profile offline_access api://{ServiceClientId}/.default", TokenPasteAllowed: false, TimeSpan.FromMinutes(1)));
    }

    [Test]
    public async Task WithOnlyTheLocalIssuer_TheDashboardOffersTokenPaste_AndNoRedirect()
    {
        await using var app = SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(Settings()));

        var signIn = app.Services.GetRequiredService<DashboardSignIn>();

        signIn.TokenPasteAllowed.Should().BeTrue();
        signIn.RedirectEnabled.Should().BeFalse();
        signIn.ContentSecurityPolicy(framedBySelf: false).Should().Be(DashboardEndpoints.ContentSecurityPolicy);
    }

    [Test]
    public void AClientId_WithNoIssuerToSignInAt_RefusesToStart_NamingDashboardAuthority()
    {
        var settings = Settings();
        settings["Dashboard:ClientId"] = "dashboard-spa";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Dashboard:Authority");
    }

    [Test]
    public void ARenewalLeadOutOfRange_RefusesToStart_NamingTheKey()
    {
        var settings = Settings();
        settings["Dashboard:RenewBeforeExpiry"] = "02:00:00";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Dashboard:RenewBeforeExpiry");
    }

    [Test]
    public void Production_WithAPlainHttpAuthority_RefusesToStart()
    {
        var settings = Settings();
        settings.Remove("Auth:Local:SigningKeyFile");
        settings["AzureAd:TenantId"] = TenantId;
        settings["AzureAd:ClientId"] = ServiceClientId;
        settings["Dashboard:ClientId"] = "dashboard-spa";
        settings["Dashboard:Authority"] = "http://issuer.example.com/";

        var act = () => SchedulerApp.Create(["--environment", "Production"], configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Dashboard:Authority").And.Contain("https");
    }

    private static Dictionary<string, string?> Settings() =>
        ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "dashboard-settings-test");
}
