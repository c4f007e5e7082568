using Dapper;
using FluentAssertions;
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
    public async Task APendingRow_StrandedPastTheLimit_EndsFailed_SayingWhy()
    {
        var id = await InsertAsync("pending", createdAgo: TimeSpan.FromMinutes(5));

        var failed = await Service.WaitForStatusAsync(id, ExecutionStatus.Failed);

        failed.Error.Should().Be("not run: no node picked it up within 30s");
        ((System.Text.Json.JsonElement)failed.Result!.Details["failure"]!).GetString().Should().Be(FailureKind.NotSubmitted);
        StandIns.State.Requests.Should().BeEmpty();
    }

    [Test]
    public async Task ARunningRow_WhoseNodeStoppedHeartbeating_EndsRunnerLost()
    {
        var id = await InsertAsync("running", createdAgo: TimeSpan.FromMinutes(1), runnerId: "node-gone", heartbeatAgo: TimeSpan.FromSeconds(30));

        var lost = await Service.WaitForStatusAsync(id, ExecutionStatus.Failed);

        lost.Error.Should().Be("runner lost: node-gone stopped renewing its lease before the run finished");
        ((System.Text.Json.JsonElement)lost.Result!.Details["failure"]!).GetString().Should().Be(FailureKind.RunnerLost);
        lost.CompletedAt.Should().NotBeNull();
    }

    [Test]
    public async Task ARunningRow_OfALiveNode_KeepsAFreshHeartbeat_AndIsNotSwept()
    {
        StandIns.State.SeedDiscoveries(1);
        StandIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 30_000));
        var id = await Service.TriggerAsync(JobTypes.CrawlPending);
        var first = await Service.WaitForStatusAsync(id, ExecutionStatus.Running);

        // Three stale-after windows later it is still running, with a newer heartbeat.
        var later = await Eventually.Until(() => Service.GetExecutionAsync(id), e => e.HeartbeatAt > first.HeartbeatAt!.Value.AddSeconds(5),
            TimeSpan.FromSeconds(20), "the heartbeat to move on");

        later.Status.Should().Be(ExecutionStatus.Running);
        using var cancel = await Service.Client.PostAsync($"/api/jobs/{id}/cancel", null);
        await Service.WaitForStatusAsync(id, ExecutionStatus.Cancelled);
    }

    private static async Task<Guid> InsertAsync(string status, TimeSpan createdAgo, string? runnerId = null, TimeSpan? heartbeatAgo = null)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, runner_id, started_at, heartbeat_at, created_at, updated_at)
            VALUES ('crawl_pending', @status, 'manual', 'test', @runnerId,
                    CASE WHEN @status = 'running' THEN now() - @createdAgo END,
                    now() - CAST(@heartbeatAgo AS interval), now() - @createdAgo, now() - @createdAgo)
            RETURNING id
            """, new { status, runnerId, createdAgo, heartbeatAgo });
    }
}
