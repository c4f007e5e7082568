using Dapper;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

/// <summary>Rows whose node is gone, and pending rows whose hand-over never landed, do not stay that way.</summary>
public sealed class SupervisionTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Recovery:HeartbeatInterval"] = "00:00:00.5",
        ["Recovery:StaleAfter"] = "00:00:02",
        ["Recovery:ResubmitPendingAfter"] = "00:00:01",
        ["Recovery:FailPendingAfter"] = "00:00:30",
        ["Recovery:StuckPendingAfter"] = "00:00:05",
        ["Recovery:RecoveryWaitLimit"] = "00:00:10",
    };

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task APendingRow_WhoseTriggerNeverLanded_IsSubmittedAgain_AndRuns()
    {
        var id = await InsertAsync("pending", createdAgo: TimeSpan.FromSeconds(5));

        var done = await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);

        done.RunnerId.Should().Be(Service.RunnerId);
    }

    [Test]
    public async Task AScheduledRowPastDue_WhoseTriggerIsMissing_IsSubmittedAgain_CountingItsAgeFromWhenItWasDue()
    {
        await using var connection = await TestDatabase.OpenAsync();
        // Recorded five minutes ago (past FailPendingAfter) for a time five seconds ago: it is handed over, not failed.
        var id = await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, scheduled_for, created_at, updated_at)
            VALUES ('crawl_pending', 'scheduled', 'manual', 'test', now() - interval '5 seconds', now() - interval '5 minutes', now() - interval '5 minutes')
            RETURNING id
            """);

        var done = await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);

        done.RunnerId.Should().Be(Service.RunnerId);
        done.StartedAt.Should().BeAfter(done.ScheduledFor!.Value);
    }

    [Test]
    public async Task APendingRow_StrandedPastTheLimit_EndsFailed_SayingWhy()
    {
        var id = await InsertAsync("pending", createdAgo: TimeSpan.FromMinutes(5));

        var failed = await Service.WaitForStatusAsync(id, ExecutionStatus.Failed);

        failed.Error.Should().Be("not run: no node picked it up within 30s");
        ((System.Text.Json.JsonElement)failed.Result!.Details["failure"]!).GetString().Should().Be(FailureKind.NotSubmitted.ToText());
        StandIns.State.Requests.Should().BeEmpty();
    }

    [Test]
    public async Task ARunningRow_WhoseNodeStoppedRenewingItsLease_EndsRunnerLost()
    {
        var id = await InsertAsync("running", createdAgo: TimeSpan.FromMinutes(1), runnerId: "node-gone", renewedAgo: TimeSpan.FromSeconds(30));

        var lost = await Service.WaitForStatusAsync(id, ExecutionStatus.Failed);

        lost.Error.Should().Be("runner lost: node-gone stopped renewing its lease before the run finished");
        ((System.Text.Json.JsonElement)lost.Result!.Details["failure"]!).GetString().Should().Be(FailureKind.RunnerLost.ToText());
        lost.CompletedAt.Should().NotBeNull();
    }

    [Test]
    public async Task ARunningRow_WithNoLeaseRenewalAtAll_EndsRunnerLost_AndNoLongerBlocksItsType()
    {
        var id = await InsertAsync("running", createdAgo: TimeSpan.FromMinutes(1), runnerId: "node-gone", renewedAgo: null);

        var lost = await Service.WaitForStatusAsync(id, ExecutionStatus.Failed);

        lost.Error.Should().Be("runner lost: node-gone stopped renewing its lease before the run finished");
        using var cancel = await Service.Client.PostAsync($"/api/jobs/{id}/cancel", null);
        cancel.StatusCode.Should().Be(System.Net.HttpStatusCode.Conflict, "the run has ended");
    }

    [TestCase("PAUSED", "paused")]
    [TestCase("ERROR", "error")]
    [TestCase("BLOCKED", "blocked")]
    public async Task APendingRow_WhoseTriggerStaysPausedInErrorOrBlocked_EndsFailedStuck_SayingWhy_AndFreesItsType(string quartzState, string said)
    {
        var id = await InsertAsync("pending", createdAgo: TimeSpan.FromMinutes(1));
        var scheduler = await Service.Services.GetRequiredService<Quartz.ISchedulerFactory>().GetScheduler();
        Service.Services.GetRequiredService<Scheduler.Jobs.Catalog.JobCatalog>().TryGet(JobTypes.CrawlPending, out var definition).Should().BeTrue();
        // The run's hand-over landed, but its trigger sits where nothing fires it: held in the store's state column.
        await scheduler.ScheduleJob(Quartz.TriggerBuilder.Create()
            .WithIdentity(Scheduler.Jobs.Execution.ExecutionSubmitter.TriggerKeyOf(id))
            .ForJob(definition.JobKey)
            .StartAt(DateTimeOffset.UtcNow.AddHours(1))
            .Build());
        await using (var connection = await TestDatabase.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE qrtz_triggers SET trigger_state = @quartzState WHERE trigger_name = @name",
                new { quartzState, name = $"run-{id}" });
        }

        var failed = await Service.WaitForStatusAsync(id, ExecutionStatus.Failed);

        failed.Error.Should().Be($"not run: its trigger stayed {said} for over 5s");
        ((System.Text.Json.JsonElement)failed.Result!.Details["failure"]!).GetString().Should().Be(FailureKind.Stuck.ToText());
        (await scheduler.Exists(Scheduler.Jobs.Execution.ExecutionSubmitter.TriggerKeyOf(id))).Should().BeFalse("its trigger is removed with it");
        (await Service.RunAsync(JobTypes.CrawlPending)).Status.Should().Be(ExecutionStatus.Completed, "the type is free again");
    }

    [Test]
    public async Task ALostRun_WhoseReRunWaitsPastTheLimit_IsGivenUp_WithTheReasonOnARecoveryRow_AndFreesItsType()
    {
        Guid lost;
        await using (var connection = await TestDatabase.OpenAsync())
        {
            lost = await connection.ExecuteScalarAsync<Guid>("""
                INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, runner_id, started_at, completed_at, error, result, created_at, updated_at)
                VALUES ('crawl_pending', 'failed', 'manual', 'test', 'node-gone', now() - interval '1 minute', now() - interval '30 seconds',
                        'runner lost', '{"success":false,"itemsProcessed":0,"errors":["runner lost"],"details":{"failure":"runner_lost"}}',
                        now() - interval '1 minute', now() - interval '30 seconds')
                RETURNING id
                """);
        }

        var recovery = await Eventually.Until(async () =>
        {
            await using var connection = await TestDatabase.OpenAsync();
            return await connection.QuerySingleOrDefaultAsync<(string Status, string Error)?>(
                "SELECT status, error FROM scheduled_jobs WHERE retry_of = @lost AND trigger = 'recovery'", new { lost });
        }, r => r is not null, TimeSpan.FromSeconds(20), "the waiting re-run to be given up");

        recovery!.Value.Status.Should().Be(ExecutionStatus.Failed.ToText());
        recovery.Value.Error.Should().Be("not re-run: its type stayed busy for 10s after its node was lost; retry it if it is still needed");
        (await Service.RunAsync(JobTypes.CrawlPending)).Status.Should().Be(ExecutionStatus.Completed, "a trigger no longer waits behind it");
    }

    [Test]
    public async Task StuckExecutions_AreAGaugeOnMetrics()
    {
        using var anonymous = new HttpClient { BaseAddress = Service.Client.BaseAddress };

        var scrape = await Eventually.Until(() => anonymous.GetStringAsync("/metrics"), text => text.Contains("scheduler_stuck_executions", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the stuck-executions gauge");

        scrape.Should().Contain("scheduler_outcomes_waiting");
    }

    [Test]
    public async Task ARunningRow_OfALiveNode_KeepsRenewingItsLease_AndIsNotSwept()
    {
        StandIns.State.SeedDiscoveries(1);
        StandIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 30_000));
        var id = await Service.TriggerAsync(JobTypes.CrawlPending);
        var first = await Service.WaitForStatusAsync(id, ExecutionStatus.Running);

        // Three stale-after windows later it is still running, its lease renewed since.
        var later = await Eventually.Until(() => Service.GetExecutionAsync(id), e => e.LeaseRenewedAt > first.LeaseRenewedAt!.Value.AddSeconds(5),
            TimeSpan.FromSeconds(20), "the lease renewal to move on");

        later.Status.Should().Be(ExecutionStatus.Running);
        using var cancel = await Service.Client.PostAsync($"/api/jobs/{id}/cancel", null);
        await Service.WaitForStatusAsync(id, ExecutionStatus.Cancelled);
    }

    private static async Task<Guid> InsertAsync(string status, TimeSpan createdAgo, string? runnerId = null, TimeSpan? renewedAgo = null)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, runner_id, started_at, heartbeat_at, created_at, updated_at)
            VALUES ('crawl_pending', @status, 'manual', 'test', @runnerId,
                    CASE WHEN @status = 'running' THEN now() - @createdAgo END,
                    now() - CAST(@renewedAgo AS interval), now() - @createdAgo, now() - @createdAgo)
            RETURNING id
            """, new { status, runnerId, createdAgo, renewedAgo });
    }
}
