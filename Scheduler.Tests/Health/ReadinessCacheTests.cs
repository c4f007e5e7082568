using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Health;

/// <summary><c>/readyz</c> is anonymous: however many probes arrive, the node evaluates readiness (and asks the database) about once a second.</summary>
public sealed partial class ReadinessCacheTests : ServiceFixture
{
    [Test]
    public async Task ManyConcurrentProbes_ShareAboutOneEvaluationASecond()
    {
        using var anonymous = Service.CreateClient(null);
        // A node is probed once it is ready (its first heartbeat written); then every probe must find it so.
        await Eventually.Until(async () => (await anonymous.GetAsync("/readyz")).StatusCode, status => status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), "the node to be ready");
        var before = await EvaluationsAsync(anonymous);
        var clock = Stopwatch.StartNew();
        var answers = new List<HttpStatusCode>();
        for (var burst = 0; burst < 6; burst++)
        {
            var probes = await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
            {
                using var response = await anonymous.GetAsync("/readyz");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    await TestContext.Out.WriteLineAsync(await response.Content.ReadAsStringAsync());
                }

                return response.StatusCode;
            }));
            answers.AddRange(probes);
            await Task.Delay(300);
        }

        var elapsed = clock.Elapsed;
        var evaluations = await EvaluationsAsync(anonymous) - before;
        await TestContext.Out.WriteLineAsync($"{answers.Count} probes in {elapsed.TotalSeconds:0.0} s: {evaluations} evaluations");

        answers.Should().HaveCount(600).And.OnlyContain(a => a == HttpStatusCode.OK);
        evaluations.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo((long)Math.Ceiling(elapsed.TotalSeconds) + 1,
            "probes within a second of an evaluation share it");
    }

    private static async Task<long> EvaluationsAsync(HttpClient client)
    {
        var scrape = await client.GetStringAsync("/metrics");
        var match = EvaluationsTotal().Match(scrape);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^scheduler_readiness_evaluations_total(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex EvaluationsTotal();
}
