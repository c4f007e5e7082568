using System.Net;
using System.Text.Json;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Api;

/// <summary>The API's own description: anonymous, generated from the endpoints, and switched off by configuration.</summary>
public sealed class ApiReferenceTests : ServiceFixture
{
    [Test]
    public async Task OpenApiDocument_IsAnonymous_Version31_AndDescribesTheJobsApi()
    {
        using var anonymous = Service.CreateClient(null);

        using var response = await anonymous.GetAsync("/openapi/v1.json");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        document.RootElement.GetProperty("openapi").GetString().Should().StartWith("3.1");
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.Should().Contain(["/api/jobs/trigger", "/api/jobs/{id}", "/api/schedules/{jobType}"]);
    }

    [Test]
    public async Task ScalarReference_IsAnonymous()
    {
        using var anonymous = Service.CreateClient(null);

        using var response = await anonymous.GetAsync("/scalar");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.Should().Be("text/html");
    }

    [Test]
    public async Task SwitchedOff_NeitherAnswers()
    {
        await using var host = await ServiceHost.StartAsync(StandIns.BaseUrl, new Dictionary<string, string?> { ["ApiReference:Enabled"] = "false" });
        using var anonymous = host.CreateClient(null);

        (await anonymous.GetAsync("/openapi/v1.json")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await anonymous.GetAsync("/scalar")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
