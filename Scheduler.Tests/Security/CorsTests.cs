using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Scheduler.Contracts;
using Scheduler.Service;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// Browser calls from the origins in <c>Cors:AllowedOrigins</c>: preflights are answered before authentication, and
/// answers (errors too) carry the headers a page needs to read them; any other origin gets no CORS headers.
/// </summary>
public sealed class CorsTests : ServiceFixture
{
    private const string DashboardOrigin = "https://admin.example.com";
    private const string OtherOrigin = "https://evil.example.net";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Cors:AllowedOrigins:0"] = DashboardOrigin,
        ["Cors:AllowedOrigins:1"] = "http://localhost:3000",
    };

    [Test]
    public async Task Preflight_FromAnAllowedOrigin_Returns204_AllowingTheOriginAndCachingTheAnswer()
    {
        using var response = await SendAsync(Preflight(DashboardOrigin));

        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        response.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal(DashboardOrigin);
        response.Headers.GetValues("Access-Control-Max-Age").Should().Equal("600");
        string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant()
            .Should().Contain("authorization").And.Contain("content-type");
        response.Headers.Contains("Access-Control-Allow-Credentials").Should().BeFalse();
    }

    [Test]
    public async Task Preflight_FromAnotherOrigin_AllowsNothing()
    {
        using var response = await SendAsync(Preflight(OtherOrigin));

        response.Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse();
    }

    [Test]
    public async Task Preflight_ForAHeaderNotListed_DoesNotAllowIt()
    {
        using var request = Preflight(DashboardOrigin);
        request.Headers.Remove("Access-Control-Request-Headers");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,x-debug");

        using var response = await SendAsync(request);

        // The browser refuses the actual request when a header it asked for is missing from the answer.
        var allowed = response.Headers.TryGetValues("Access-Control-Allow-Headers", out var values) ? string.Join(",", values) : "";
        allowed.Should().NotContainEquivalentOf("x-debug");
    }

    [Test]
    public async Task Get_FromAnAllowedOrigin_CarriesAllowOrigin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Headers.Add("Origin", DashboardOrigin);

        using var response = await Service.Client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal(DashboardOrigin);
    }

    [Test]
    public async Task Trigger_FromAnAllowedOrigin_ExposesLocation()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/trigger") { Content = JsonContent.Create(new { jobType = JobTypes.CrawlPending }) };
        request.Headers.Add("Origin", DashboardOrigin);

        using var response = await Service.Client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        string.Join(",", response.Headers.GetValues("Access-Control-Expose-Headers")).Should().Contain("Location").And.Contain("Retry-After");
    }

    [Test]
    public async Task Unauthorized_FromAnAllowedOrigin_CarriesAllowOrigin_SoThePageCanReadIt()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Headers.Add("Origin", DashboardOrigin);

        using var response = await SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal(DashboardOrigin);
    }

    [Test]
    public async Task Get_FromAnotherOrigin_CarriesNoAllowOrigin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Headers.Add("Origin", OtherOrigin);

        using var response = await Service.Client.SendAsync(request);

        response.Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse();
    }

    [TestCase("*")]
    [TestCase("https://*.example.com")]
    public void Production_WithAWildcardOrigin_RefusesToStart_NamingTheKey(string origin)
    {
        var settings = ProductionSettings();
        settings["Cors:AllowedOrigins:0"] = DashboardOrigin;
        settings["Cors:AllowedOrigins:1"] = origin;

        var act = () => SchedulerApp.Create(["--environment", "Production"], configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Cors:AllowedOrigins:1").And.NotContain("Cors:AllowedOrigins:0");
    }

    [Test]
    public async Task Production_WithListedOrigins_Starts_AllowingExactlyThem()
    {
        var settings = ProductionSettings();
        settings["Cors:AllowedOrigins:0"] = DashboardOrigin;

        await using var app = SchedulerApp.Create(["--environment", "Production"], configuration => configuration.AddInMemoryCollection(settings));

        var cors = app.Services.GetRequiredService<IOptions<CorsOptions>>().Value;
        cors.GetPolicy(cors.DefaultPolicyName)!.Origins.Should().Equal(DashboardOrigin);
    }

    [TestCase("https://admin.example.com/")]
    [TestCase("https://admin.example.com/dashboard")]
    [TestCase("admin.example.com")]
    public void AnEntryThatIsNotAnOrigin_RefusesToStart_NamingTheKey(string origin)
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, StandIns.BaseUrl, "cors-config-test");
        settings["Cors:AllowedOrigins:0"] = origin;

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Cors:AllowedOrigins:0");
    }

    [Test]
    public void OriginsAsOneCommaSeparatedValue_RefusesToStart_SayingHowToListThem()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, StandIns.BaseUrl, "cors-config-test");
        settings["Cors:AllowedOrigins"] = $"{DashboardOrigin},http://localhost:3000";

        var act = () => SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Cors__AllowedOrigins__0");
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/jobs/trigger");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return request;
    }

    /// <summary>Sends without a token, as a browser sends a preflight.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using var client = Service.CreateClient(token: null);
        return await client.SendAsync(request);
    }

    private Dictionary<string, string?> ProductionSettings()
    {
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, StandIns.BaseUrl, "cors-production-test");
        settings.Remove("Auth:Local:SigningKeyFile");
        settings["AzureAd:Instance"] = "https://login.microsoftonline.com/";
        settings["AzureAd:TenantId"] = "11111111-2222-3333-4444-555555555555";
        settings["AzureAd:ClientId"] = "66666666-7777-8888-9999-000000000000";
        settings["Urls"] = "http://127.0.0.1:0";
        return settings;
    }
}
