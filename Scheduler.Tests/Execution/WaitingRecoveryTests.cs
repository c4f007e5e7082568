using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

/// <summary>A lost run waiting for its re-run goes before new manual triggers of its type.</summary>
public sealed class WaitingRecoveryTests : ServiceFixture
{
    [Test]
    public async Task Trigger_WhileALostRunOfTheTypeWaitsForItsReRun_Answers409NamingIt_AndIsAcceptedOnceItHasRun()
    {
        StandIns.State.SeedDiscoveries(1);
        await using var connection = await TestDatabase.OpenAsync();
        var lost = await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, runner_id, started_at, completed_at, error, result)
            VALUES ('crawl_pending', 'failed', 'manual', 'ops', 'a-dead-node', now() - interval '20 seconds', now(),
                    'runner lost', '{"success":false,"itemsProcessed":0,"errors":["runner lost"],"details":{"failure":"runner_lost"}}')
            RETURNING id
            """);

        using var refused = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
        await connection.ExecuteAsync("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, runner_id, started_at, completed_at, retry_of, root_id, attempt, result)
            VALUES ('crawl_pending', 'completed', 'recovery', 'ops', 'a-live-node', now(), now(), @lost, @lost, 2, '{"success":true,"itemsProcessed":0,"errors":[]}')
            """, new { lost });
        var accepted = await Service.TriggerAsync(JobTypes.CrawlPending);

        refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("executionId").GetGuid().Should().Be(lost);
        problem.RootElement.GetProperty("detail").GetString().Should().Contain("re-run");
        (await Service.WaitForStatusAsync(accepted, ExecutionStatus.Completed)).Id.Should().Be(accepted);
    }
}
