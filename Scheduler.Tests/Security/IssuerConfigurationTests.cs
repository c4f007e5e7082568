using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduler.Service;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>Which issuers may be configured where: Production needs a real one and refuses the local one.</summary>
public sealed class IssuerConfigurationTests
{
    private static readonly string[] Production = ["--environment", "Production"];

    [Test]
    public void Production_WithTheLocalIssuer_RefusesToStart()
    {
        var settings = Settings();
        settings["AzureAd:TenantId"] = "11111111-2222-3333-4444-555555555555";
        settings["AzureAd:ClientId"] = "66666666-7777-8888-9999-000000000000";

        var act = () => SchedulerApp.Create(Production, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Auth:Local").And.Contain("Production");
    }

    [Test]
    public void Production_WithNoIssuer_RefusesToStart_SayingWhatToSet()
    {
        var settings = Settings();
        settings.Remove("Auth:Local:SigningKeyFile");

        var act = () => SchedulerApp.Create(Production, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("no token issuer is configured")
            .And.Contain("AzureAd:ClientId").And.Contain("Auth:Oidc:Authority");
    }

    [Test]
    public async Task Production_WithEntraConfigured_Starts()
    {
        var settings = Settings();
        settings.Remove("Auth:Local:SigningKeyFile");
        settings["AzureAd:Instance"] = "https://login.microsoftonline.com/";
        settings["AzureAd:TenantId"] = "11111111-2222-3333-4444-555555555555";
        settings["AzureAd:ClientId"] = "66666666-7777-8888-9999-000000000000";
        settings["Urls"] = "http://127.0.0.1:0";

        await using var app = SchedulerApp.Create(Production, configuration => configuration.AddInMemoryCollection(settings));

        var schemes = app.Services.GetRequiredService<Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider>();
        (await schemes.GetSchemeAsync("Entra")).Should().NotBeNull();
        (await schemes.GetSchemeAsync("Local")).Should().BeNull();
    }

    [Test]
    public void LocalIssuer_WithAMissingKeyFile_RefusesToStart_NamingTheKey()
    {
        var settings = Settings();
        settings["Auth:Local:SigningKeyFile"] = "/nonexistent/signing-key.pem";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Auth:Local:SigningKeyFile");
    }

    [Test]
    public void OtherIssuer_WithoutAnAudience_RefusesToStart()
    {
        var settings = Settings();
        settings["Auth:Oidc:Authority"] = "https://issuer.example/";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Auth:Oidc:Audience");
    }

    [TestCase("common")]
    [TestCase("organizations")]
    [TestCase("Consumers")]
    public void Entra_WithAMultiTenantTenantId_AndNoAllowList_RefusesToStart_NamingTheKey(string tenant)
    {
        var settings = Settings();
        settings["AzureAd:Instance"] = "https://login.microsoftonline.com/";
        settings["AzureAd:TenantId"] = tenant;
        settings["AzureAd:ClientId"] = "66666666-7777-8888-9999-000000000000";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("AzureAd:TenantId").And.Contain("AzureAd:AllowedTenants");
    }

    [Test]
    public void Entra_WithAnAllowedTenantThatIsNotATenantId_RefusesToStart_NamingTheKey()
    {
        var settings = Settings();
        settings["AzureAd:Instance"] = "https://login.microsoftonline.com/";
        settings["AzureAd:TenantId"] = "organizations";
        settings["AzureAd:ClientId"] = "66666666-7777-8888-9999-000000000000";
        settings["AzureAd:AllowedTenants:0"] = "11111111-2222-3333-4444-555555555555";
        settings["AzureAd:AllowedTenants:1"] = "contoso.onmicrosoft.com";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("AzureAd:AllowedTenants:1")
            .And.NotContain("AzureAd:AllowedTenants:0").And.NotContain("AzureAd:TenantId");
    }

    [Test]
    public void Production_WithEntraMetadataOverHttp_RefusesToStart_NamingTheKey()
    {
        var settings = Settings();
        settings.Remove("Auth:Local:SigningKeyFile");
        settings["AzureAd:Instance"] = "http://127.0.0.1:9/";
        settings["AzureAd:TenantId"] = "11111111-2222-3333-4444-555555555555";
        settings["AzureAd:ClientId"] = "66666666-7777-8888-9999-000000000000";
        settings["AzureAd:RequireHttpsMetadata"] = "false";

        var act = () => SchedulerApp.Create(Production, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("AzureAd:RequireHttpsMetadata");
    }

    private static Dictionary<string, string?> Settings() =>
        ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "issuer-config-test");
}
