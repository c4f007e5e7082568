using FluentAssertions;

namespace Scheduler.Tests.Observability;

/// <summary>
/// The PrometheusRule in k8s/base/observability: promtool accepts it, its promtool unit tests pass, and every alert
/// carries what the person paged needs (severity, summary, description, a runbook link that lands on a heading).
/// </summary>
public sealed class AlertRulesTests
{
    private const string RulesFileName = "scheduler-alerts.rules.yaml";
    private const string TestsFileName = "scheduler-alerts.test.yaml";
    private const string RunbookUrlPrefix = "https://github.com/example/scheduler-service/blob/main/docs/runbook.md#";

    private static readonly string[] RequiredAlerts =
    [
        "SchedulerHeartbeatStale", "SchedulerRunnerDown", "SchedulerJobFailureRateHigh", "SchedulerJobConsecutiveFailures",
        "SchedulerJobOverdue", "SchedulerMisfires", "SchedulerDlqReplayFailing", "SchedulerNotReady", "SchedulerScheduleInvalid", "SchedulerRunsTakenOver", "SchedulerOutcomesWaiting",
    ];

    private DirectoryInfo _workDirectory = null!;

    /// <summary>The de-indented spec and a copy of the unit tests side by side, as the test file's rule_files expects.</summary>
    [SetUp]
    public void WriteRulesBesideTheirTests()
    {
        _workDirectory = Directory.CreateTempSubdirectory("scheduler-alerts-");
        File.WriteAllText(Path.Combine(_workDirectory.FullName, RulesFileName), ObservabilityFiles.PrometheusRulesText());
        File.Copy(ObservabilityFiles.AlertTestsPath, Path.Combine(_workDirectory.FullName, TestsFileName));
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
    public void EveryAlert_HasSeveritySummaryDescriptionAndARunbookUrlToAHeading()
    {
        var anchors = ObservabilityFiles.RunbookAnchors();
        var alerts = ObservabilityFiles.Alerts();

        alerts.Should().NotBeEmpty();
        foreach (var alert in alerts)
        {
            alert.Expr.Should().NotBeNullOrWhiteSpace($"{alert.Name} has an expr");
            alert.Labels.GetValueOrDefault("severity").Should().BeOneOf(["critical", "warning"], $"{alert.Name} has a severity label");
            alert.Annotations.GetValueOrDefault("summary").Should().NotBeNullOrWhiteSpace($"{alert.Name} has a summary");
            alert.Annotations.GetValueOrDefault("description").Should().NotBeNullOrWhiteSpace($"{alert.Name} has a description");
            var runbookUrl = alert.Annotations.GetValueOrDefault("runbook_url");
            runbookUrl.Should().StartWith(RunbookUrlPrefix, $"{alert.Name} links to docs/runbook.md");
            var anchor = runbookUrl![RunbookUrlPrefix.Length..];
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
}
