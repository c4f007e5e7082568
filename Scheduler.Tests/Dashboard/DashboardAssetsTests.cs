using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using Scheduler.Service.Dashboard;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Dashboard;

/// <summary>The dashboard's files as the service serves them: anonymously, cacheable, under a strict Content-Security-Policy, with the vendored libraries' licences.</summary>
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

    [Test]
    public async Task VendoredLibraries_AreServedWithTheirLicences_AtThePinnedVersions()
    {
        using var anonymous = Service.CreateClient(null);
        var vendor = Path.Combine(ServiceProcess.RepositoryRoot, "Scheduler.Service", "Dashboard", "vendor");
        var pinned = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(vendor, "package.json")))!["dependencies"]!.AsObject()
            .ToDictionary(p => p.Key, p => (string)p.Value!);
        var locked = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(vendor, "package-lock.json")))!["packages"]!;
        var index = await anonymous.GetStringAsync("/dashboard");

        pinned.Should().ContainKeys("oidc-client-ts", "uplot");
        foreach (var (name, version) in pinned)
        {
            version.Should().MatchRegex(@"^\d+\.\d+\.\d+$", $"{name} is pinned to one exact version");
            ((string)locked[$"node_modules/{name}"]!["version"]!).Should().Be(version, $"the lock file holds {name} at its pinned version");
        }

        string[] files = ["oidc-client-ts.min.js", "uPlot.iife.min.js", "uPlot.min.css"];
        foreach (var file in files)
        {
            index.Should().Contain($"/dashboard/vendor/{file}", "the page loads it from this origin");
            using var served = await anonymous.GetAsync($"/dashboard/vendor/{file}");
            served.StatusCode.Should().Be(HttpStatusCode.OK);
            served.Content.Headers.ContentType!.MediaType.Should().Be(file.EndsWith(".css", StringComparison.Ordinal) ? "text/css" : "text/javascript");
        }

        // The dist file is the pinned release: its banner names the version.
        (await anonymous.GetStringAsync("/dashboard/vendor/uPlot.iife.min.js")).Should().StartWith($"/*! https://github.com/leeoniya/uPlot (v{pinned["uplot"]}) */");
        foreach (var licence in new[] { "oidc-client-ts.LICENSE", "jwt-decode.LICENSE", "uPlot.LICENSE" })
        {
            using var served = await anonymous.GetAsync($"/dashboard/vendor/{licence}");
            served.StatusCode.Should().Be(HttpStatusCode.OK, $"{licence} is served beside the code it covers");
            (await served.Content.ReadAsStringAsync()).Should().ContainAny("Permission is hereby granted", "Apache License");
        }
    }
}
