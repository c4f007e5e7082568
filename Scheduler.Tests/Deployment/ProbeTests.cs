using System.Net;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Deployment;

/// <summary>
/// The probe paths the rendered Deployment uses exist in the app and answer 200 when it is healthy, without a
/// token (the kubelet sends none): the real service in this process, on a loopback port, with its database.
/// </summary>
public sealed class ProbeTests : ServiceFixture
{
    [TestCase("startupProbe")]
    [TestCase("livenessProbe")]
    [TestCase("readinessProbe")]
    public async Task ProbePath_InTheProdDeployment_Answers200_WithoutAToken(string probe)
    {
        var rendered = await Manifests.OverlayAsync("prod");
        var path = Manifests.Text(rendered.Container[probe]?["httpGet"]?["path"]);
        path.Should().NotBeNullOrEmpty($"the Deployment has an HTTP {probe}");
        using var anonymous = Service.CreateClient(token: null);

        var status = await Eventually.Until(async () =>
        {
            using var response = await anonymous.GetAsync(path);
            return response.StatusCode;
        }, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(20), $"{path} to answer 200");

        status.Should().Be(HttpStatusCode.OK, $"{probe} GET {path}");
    }
}
