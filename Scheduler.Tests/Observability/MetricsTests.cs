using System.Diagnostics;
using System.Net.Http.Json;
using FluentAssertions;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Observability;

/// <summary>A real scrape of <c>/metrics</c> after real runs: it parses, has every series the issue, the dashboard and the alerts name.</summary>
public sealed class MetricsTests : ServiceFixture
{
    /// <summary>Every metric the service promises, as Prometheus names it.</summary>
    private static readonly string[] Promised =
    [
        "scheduler_job_executions_total", "scheduler_job_failures_total", "scheduler_job_duration_seconds_bucket",
        "scheduler_job_running", "scheduler_job_last_success_timestamp_seconds", "scheduler_job_consecutive_failures",
        "scheduler_job_expected_interval_seconds", "scheduler_job_paused", "scheduler_job_items_processed_total",
        "scheduler_job_lateness_seconds_bucket", "scheduler_job_skipped_total", "job_runner_up", "job_heartbeat_age_seconds",
        "scheduler_schedule_invalid", "quartz_job_execution_duration_seconds_bucket", "http_server_request_duration_seconds_bucket",
        "http_client_request_duration_seconds_bucket", "db_client_connection_count", "dotnet_gc_collections_total",
        "scheduler_job_oldest_running_seconds", "scheduler_job_slow_after_seconds", "scheduler_job_slow_after_multiple",
        "scheduler_job_failure_rate_threshold", "scheduler_runs_overdue_seconds", "scheduler_dlq_depth", "scheduler_dlq_depth_sampled_timestamp_seconds",
        "dotnet_process_cpu_time_seconds_total", "dotnet_process_memory_working_set_bytes",
    ];

    private string _scrape = "";

    /// <summary>One type fires every two seconds, so lateness and overlap have something to show.</summary>
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:export_dlq_replay:Scheduled"] = "true",
        ["Jobs:export_dlq_replay:Cron"] = "0/2 * * * * ?",
        ["Jobs:crawl_pending:SlowAfterTimeoutFraction"] = "0.5",
        ["Jobs:email_scan:FailureRateAlert"] = "0.25",
        // A heartbeat every 2 s, so the dead-letter sample reaches the gauge quickly.
        ["Heartbeat:TtlSeconds"] = "8",
    };

    protected override async Task OnStartedAsync()
    {
        StandIns.State.SeedDiscoveries(3);
        await Service.RunAsync(JobTypes.CrawlPending);
        StandIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(Status: 500));
        await Service.RunAsync(JobTypes.EmailScan);
        await Service.RunAsync(JobTypes.DlqDepth);
        using var anonymous = Service.CreateClient(null);
        _scrape = await Eventually.Until(() => anonymous.GetStringAsync("/metrics"), scrape => scrape.Contains("scheduler_job_lateness_seconds_bucket", StringComparison.Ordinal) && scrape.Contains("scheduler_dlq_depth{", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "a cron run to record its lateness");
    }

    [Test]
    public void Scrape_HasEveryPromisedSeries()
    {
        var names = SeriesNames(_scrape);

        names.Should().Contain(Promised);
        _scrape.Should().Contain("job_heartbeat_age_seconds{otel_scope_name=\"Scheduler\",job=\"jobs-runner\"}");
        _scrape.Should().MatchRegex("scheduler_job_executions_total\\{[^}]*job_type=\"crawl_pending\",status=\"completed\",trigger=\"manual\"\\} 1");
        _scrape.Should().MatchRegex("scheduler_job_failures_total\\{[^}]*job_type=\"email_scan\",reason=\"error\"\\} 1");
        _scrape.Should().MatchRegex("scheduler_job_items_processed_total\\{[^}]*job_type=\"crawl_pending\"\\} 3");
    }

    [Test]
    public void Scrape_SeedsAlertSeries_ForTypesThatNeverRan()
    {
        _scrape.Should().MatchRegex("scheduler_job_executions_total\\{[^}]*job_type=\"weekly_digest\",status=\"failed\",trigger=\"cron\"\\} 0");
        _scrape.Should().MatchRegex("scheduler_job_skipped_total\\{[^}]*job_type=\"weekly_digest\",reason=\"misfire\"\\} 0");
        _scrape.Should().MatchRegex("scheduler_job_consecutive_failures\\{[^}]*job_type=\"weekly_digest\"\\} 0");
    }

    [Test]
    public void Scrape_HasTheThresholdsAndAgesTheAlertsCompare_FromConfigurationAndTheLatestSample()
    {
        // crawl_pending's timeout is 30 minutes; half of it, as configured above.
        _scrape.Should().MatchRegex("scheduler_job_slow_after_seconds\\{[^}]*job_type=\"crawl_pending\"\\} 900\\b");
        _scrape.Should().MatchRegex("scheduler_job_slow_after_multiple\\{[^}]*job_type=\"crawl_pending\"\\} 3\\b");
        _scrape.Should().MatchRegex("scheduler_job_failure_rate_threshold\\{[^}]*job_type=\"email_scan\"\\} 0.25\\b");
        _scrape.Should().MatchRegex("scheduler_job_failure_rate_threshold\\{[^}]*job_type=\"weekly_digest\"\\} 0.1\\b");
        _scrape.Should().MatchRegex("scheduler_job_oldest_running_seconds\\{[^}]*job_type=\"weekly_digest\"\\} 0\\b");
        _scrape.Should().MatchRegex("scheduler_runs_overdue_seconds\\{[^}]*job_type=\"weekly_digest\"\\} 0\\b");
        _scrape.Should().MatchRegex("scheduler_dlq_depth\\{[^}]*kind=\"outbox\"[^}]*\\} 2\\b");
        _scrape.Should().MatchRegex("scheduler_dlq_depth\\{[^}]*kind=\"export\"[^}]*\\} 1\\b");
    }

    [Test]
    public void Scrape_CarriesNoSecrets_AndLabelsThePoolByName()
    {
        // The test process's own pools (TestDatabase) share this in-process meter and are labelled by connection
        // string, without its password; the service's pool must be labelled by name.
        _scrape.Should().Contain("db_client_connection_pool_name=\"scheduler\"");
        _scrape.Should().NotContain("Password").And.NotContain(new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString).Password!)
            .And.NotContain(StandInState.DefaultAdminPassword);
    }

    [Test]
    public async Task Scrape_PassesPromtoolCheckMetrics()
    {
        var check = await Tool.RunAsync("promtool", ["check", "metrics"], "apt-get install -y prometheus", _scrape);

        // promtool exits 3 for lint warnings (e.g. counters without _total from other libraries); 1 is a parse error.
        check.ExitCode.Should().BeOneOf([0, 3], check.Output);
        check.Output.Should().NotContain("error while linting");
    }

    [Test]
    public void DashboardAndAlerts_QueryOnlySeriesTheScrapeHas()
    {
        var names = SeriesNames(_scrape);
        var queried = ObservabilityFiles.MetricsQueried().Except(ObservabilityFiles.WrittenByPrometheus).Except(ObservabilityFiles.WrittenByKubernetes).ToList();

        queried.Should().NotBeEmpty();
        queried.Should().OnlyContain(name => names.Contains(name), $"the scrape has: {string.Join(", ", names.Where(n => n.StartsWith("sched", StringComparison.Ordinal)))}");
    }

    [Test]
    public async Task ManualTrigger_ContinuesTheCallersTrace_IntoTheJobsDownstreamCalls()
    {
        StandIns.State.SeedDiscoveries(1);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/trigger") { Content = JsonContent.Create(new { jobType = JobTypes.CrawlPending }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        // A client that sends the caller's traceparent as given (this process's own tracing would replace it).
        using var caller = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = Service.Client.BaseAddress };
        caller.DefaultRequestHeaders.Authorization = TestTokens.Bearer(TestTokens.Admin);
        using var response = await caller.SendAsync(request);
        var id = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);

        var calls = StandIns.State.RequestsTo("POST", "/api/crawl/batch").Where(r => r.At > DateTimeOffset.UtcNow.AddMinutes(-1)).ToList();
        calls.Should().NotBeEmpty();
        calls.Last().Headers.Should().ContainKey("traceparent").WhoseValue.Should().StartWith($"00-{traceId}-");
    }

    /// <summary>Metric names in Prometheus text: the name of every sample line.</summary>
    private static HashSet<string> SeriesNames(string scrape) =>
        [.. scrape.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split('{', ' ')[0])];
}
