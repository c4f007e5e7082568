using System.Text.Json.Nodes;
using FluentAssertions;
using Scheduler.Tests.Deployment;

namespace Scheduler.Tests.Observability;

/// <summary>
/// The PrometheusRule in k8s/base/observability: promtool accepts it as prod renders it, its promtool unit tests pass,
/// and every alert carries what the person paged needs (severity, summary, description, a runbook link that lands on a
/// heading of the runbook the prod overlay configures).
/// </summary>
public sealed class AlertRulesTests
{
    private const string RulesFileName = "scheduler-alerts.rules.yaml";
    private const string TestsFileName = "scheduler-alerts.test.yaml";

    /// <summary>What the test file writes where the rendered rules carry the overlay's runbook base URL.</summary>
    private const string RunbookBaseUrlToken = "RUNBOOK_BASE_URL";

    private static readonly string[] RequiredAlerts =
    [
        "SchedulerHeartbeatStale", "SchedulerRunnerDown", "SchedulerJobFailureRateHigh", "SchedulerJobConsecutiveFailures",
        "SchedulerJobOverdue", "SchedulerMisfires", "SchedulerDlqReplayFailing", "SchedulerNotReady", "SchedulerScheduleInvalid", "SchedulerRunsTakenOver", "SchedulerOutcomesWaiting",
        "SchedulerJobSlow", "SchedulerRunsOverdue", "SchedulerDlqBacklog", "SchedulerDlqSpike", "SchedulerDlqDepthStale",
    ];

    private DirectoryInfo _workDirectory = null!;

    /// <summary>
    /// The spec of the PrometheusRule that k8s/overlays/prod renders (JSON, which promtool reads as YAML) and a copy of the
    /// unit tests with the prod overlay's runbook base URL in place of <see cref="RunbookBaseUrlToken"/>, side by side as
    /// the test file's rule_files expects.
    /// </summary>
    [SetUp]
    public async Task WriteRulesBesideTheirTests()
    {
        _workDirectory = Directory.CreateTempSubdirectory("scheduler-alerts-");
        var spec = (await ProdRuleAsync())["spec"]!;
        await File.WriteAllTextAsync(Path.Combine(_workDirectory.FullName, RulesFileName), spec.ToJsonString());
        var tests = await File.ReadAllTextAsync(ObservabilityFiles.AlertTestsPath);
        tests.Should().Contain(RunbookBaseUrlToken + "#", "the expected annotations take the runbook base URL from the prod overlay");
        await File.WriteAllTextAsync(Path.Combine(_workDirectory.FullName, TestsFileName),
            tests.Replace(RunbookBaseUrlToken, Manifests.RunbookBaseUrl("prod"), StringComparison.Ordinal));
    }

    [TearDown]
    public void DeleteWorkDirectory() => _workDirectory.Delete(recursive: true);

    [Test]
    public async Task PromtoolCheckRules_AcceptsThePrometheusRuleSpec()
    {
        var result = await Promtool.RunAsync(_workDirectory.FullName, "check", "rules", RulesFileName);

        result.ExitCode.Should().Be(0, result.Output);
    }

    [Test]
    public async Task PromtoolTestRules_EveryScenarioPasses()
    {
        var result = await Promtool.RunAsync(_workDirectory.FullName, "test", "rules", TestsFileName);

        result.ExitCode.Should().Be(0, result.Output);
    }

    [Test]
    public void Rules_HaveEveryAlertTheRunbookCovers()
    {
        ObservabilityFiles.Alerts().Select(a => a.Name).Should().BeEquivalentTo(RequiredAlerts);
    }

    [Test]
    public async Task EveryAlert_HasSeveritySummaryDescriptionAndARunbookUrlToAHeading()
    {
        var anchors = ObservabilityFiles.RunbookAnchors();
        var alerts = ObservabilityFiles.Alerts();
        var runbookUrlPrefix = Manifests.RunbookBaseUrl("prod") + "#";
        var renderedUrls = Manifests.Items((await ProdRuleAsync())["spec"]!["groups"])
            .SelectMany(g => Manifests.Items(g["rules"]))
            .Where(r => r["alert"] is not null)
            .ToDictionary(r => Manifests.Text(r["alert"])!, r => Manifests.Text(r["annotations"]?["runbook_url"]), StringComparer.Ordinal);

        alerts.Should().NotBeEmpty();
        foreach (var alert in alerts)
        {
            alert.Expr.Should().NotBeNullOrWhiteSpace($"{alert.Name} has an expr");
            alert.Labels.GetValueOrDefault("severity").Should().BeOneOf(["critical", "warning"], $"{alert.Name} has a severity label");
            alert.Annotations.GetValueOrDefault("summary").Should().NotBeNullOrWhiteSpace($"{alert.Name} has a summary");
            alert.Annotations.GetValueOrDefault("description").Should().NotBeNullOrWhiteSpace($"{alert.Name} has a description");
            alert.Annotations.GetValueOrDefault("runbook_url").Should().StartWith(RunbookBaseUrlToken + "#",
                $"{alert.Name}'s runbook_url in the base is the token the overlays replace with their runbook base URL");
            var runbookUrl = renderedUrls.GetValueOrDefault(alert.Name);
            runbookUrl.Should().StartWith(runbookUrlPrefix, $"{alert.Name} links to docs/runbook.md as the prod overlay configures it")
                .And.NotContain("example");
            var anchor = runbookUrl![runbookUrlPrefix.Length..];
            anchors.Should().Contain(anchor, $"{alert.Name}'s runbook_url must land on a heading of docs/runbook.md");
        }
    }

    [Test]
    public void Runbook_EveryLinkWithinItLandsOnAHeading()
    {
        var anchors = ObservabilityFiles.RunbookAnchors();
        var links = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(ObservabilityFiles.RunbookPath), @"\]\(#(?<anchor>[^)\s]+)\)")
            .Select(m => m.Groups["anchor"].Value)
            .ToList();

        links.Should().NotBeEmpty();
        links.Should().OnlyContain(anchor => anchors.Contains(anchor), "every [text](#anchor) in docs/runbook.md names a heading");
    }

    [Test]
    public void Rules_QueryOnlyMetricsTheServiceOrPrometheusProvides()
    {
        var unknown = ObservabilityFiles.Alerts()
            .SelectMany(a => ObservabilityFiles.MetricNames(a.Expr).Select(metric => (a.Name, Metric: metric)))
            .Where(x => !ObservabilityFiles.KnownMetrics.Contains(x.Metric))
            .Select(x => $"{x.Name}: {x.Metric}")
            .ToList();

        unknown.Should().BeEmpty("the rules may only use metrics the service exports (or Prometheus's up)");
    }

    private static async Task<JsonObject> ProdRuleAsync() =>
        (await Manifests.OverlayAsync("prod")).Get("PrometheusRule", Manifests.AppName);
}
