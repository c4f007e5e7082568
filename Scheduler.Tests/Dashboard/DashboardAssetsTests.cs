using System.Net;
using FluentAssertions;
using Scheduler.Service.Dashboard;

namespace Scheduler.Tests.Dashboard;

/// <summary>The dashboard's files as the service serves them: anonymously, cacheable, under a strict Content-Security-Policy.</summary>
public sealed class DashboardAssetsTests : DashboardBrowserFixture
{
    [Test]
    public async Task Dashboard_IsServedAnonymously_FromTheService_WithAStrictContentSecurityPolicy()
    {
        using var anonymous = Service.CreateClient(null);

        using var page = await anonymous.GetAsync("/dashboard");
        using var script = await anonymous.GetAsync("/dashboard/js/main.js");
        using var missing = await anonymous.GetAsync("/dashboard/js/no-such-file.js");
        using var head = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/dashboard/dashboard.css"));
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/dashboard/js/main.js");
        revalidate.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        using var unchanged = await anonymous.SendAsync(revalidate);

        page.StatusCode.Should().Be(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        page.Headers.GetValues("Content-Security-Policy").Single().Should().Be(DashboardEndpoints.ContentSecurityPolicy);
        (await page.Content.ReadAsStringAsync()).Should().Contain("/dashboard/js/main.js").And.NotContain("http");
        script.StatusCode.Should().Be(HttpStatusCode.OK);
        script.Content.Headers.ContentType!.MediaType.Should().Be("text/javascript");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        head.StatusCode.Should().Be(HttpStatusCode.OK);
        unchanged.StatusCode.Should().Be(HttpStatusCode.NotModified, "a browser revalidates by ETag and keeps its copy");
    }
}
