using System.Diagnostics;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Faults;

/// <summary>
/// A node frozen with <c>SIGSTOP</c> for longer than its run's lease, in a two-node cluster, then continued (as after a
/// long GC pause, CPU throttling or a partition from the database): the other node takes the run over once the lease
/// has expired, and the continued node, finding its lease replaced, stops its job at once, makes no further call for
/// it and has every write for it refused. The run never has two live runners.
/// </summary>
public sealed class StalledNodeTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(5 * FaultCluster.Scale);

    [SetUp]
    public Task EmptyDatabase() => TestDatabase.ResetAsync();

    [Test]
    public async Task ANodeFrozenPastItsLease_LosesTheRun_AndOnceContinued_IsStopped_AndItsWritesAreRefused()
    {
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SeedDiscoveries(500);
        // The first batch (100 discoveries) is held at the crawler while its node freezes.
        standIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 25_000 * FaultCluster.Scale, Times: 1));
        var settings = FaultCluster.Settings(Lease);
        var starting = new[] { ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", settings), ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", settings) };
        await using var nodeA = await starting[0];
        await using var nodeB = await starting[1];

        var id = await FaultCluster.TriggerAsync(nodeA, JobTypes.CrawlPending);
        var running = await FaultCluster.WaitForAsync(nodeA, id, e => e.Status == ExecutionStatus.Running);
        var (owner, other) = running.RunnerId == nodeA.RunnerId ? (nodeA, nodeB) : (nodeB, nodeA);
        await Eventually.Until(() => Task.FromResult(standIns.State.RequestsTo("POST", "/api/crawl/batch").Count), n => n == 1,
            TimeSpan.FromSeconds(20), "the first batch to be in flight");

        await owner.FreezeAsync();
        var frozen = Stopwatch.StartNew();
        var recovery = await Eventually.Until(() => RecoveryOfAsync(id), r => r?.Status == ExecutionStatus.Completed.ToText(),
            TimeSpan.FromSeconds(40 * FaultCluster.Scale), "the other node to take the run over and finish it");
        var takenOverAfter = frozen.Elapsed;
        var lost = await RowAsync(id);
        var logLinesBefore = await LogLinesAsync(id);
        var requestsBeforeThaw = standIns.State.Requests.Count;
        await owner.ThawAsync();
        var thawed = Stopwatch.StartNew();

        // The continued node learns at its first renewal that the lease is gone, and stops the job.
        await Eventually.Until(() => Task.FromResult(owner.Output), output => output.Contains($"Lost the lease on execution {id}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "the continued node to find its lease taken over");
        var stoppedAfterThaw = thawed.Elapsed;
        // Time for anything the continued node would still do: its held call to return, another batch, an outcome, a log flush.
        await Task.Delay(TimeSpan.FromSeconds(4));

        recovery!.RunnerId.Should().Be(other.RunnerId);
        recovery.ItemsProcessed.Should().Be(500, "the recovery crawled every discovery still pending");
        lost.Status.Should().Be(ExecutionStatus.Failed.ToText());
        lost.Error.Should().StartWith($"runner lost: {owner.RunnerId}");
        (await RowAsync(id)).Should().BeEquivalentTo(lost, "the continued node's outcome write was refused");
        (await LogLinesAsync(id)).Should().Be(logLinesBefore, "the continued node added nothing to the run's log");
        var batches = standIns.State.RequestsTo("POST", "/api/crawl/batch");
        batches.Should().HaveCount(6, "one batch in flight when the node froze, then the five the recovery sent; none after the thaw");
        standIns.State.Requests.Skip(requestsBeforeThaw).Should().BeEmpty("the continued node made no call for a run it no longer held");
        batches[0].Aborted.Should().BeTrue("the continued node's job was interrupted, cancelling its call in flight");
        owner.Output.Should().NotContain($"Execution {id} ended completed");
        await using (var connection = await TestDatabase.OpenAsync())
        {
            (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE status IN ('pending', 'running')")).Should().Be(0);
        }

        TestContext.Out.WriteLine($"SIGSTOP {owner.RunnerId} (lease {Lease.TotalSeconds:0} s): taken over and finished by {other.RunnerId} {takenOverAfter.TotalMilliseconds:0} ms "
            + $"after the freeze; after SIGCONT the job was interrupted within {stoppedAfterThaw.TotalMilliseconds:0} ms, with 0 calls and 0 writes; "
            + $"{batches.Count} batches for 5 batches of work plus the 1 in flight");
    }

    private sealed record Row(string Status, string? Error, DateTime UpdatedAt, string? Result);

    private static async Task<Row> RowAsync(Guid id)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.QuerySingleAsync<Row>(
            "SELECT status AS Status, error AS Error, updated_at AS UpdatedAt, result::text AS Result FROM scheduled_jobs WHERE id = @id", new { id });
    }

    private sealed record RecoveryRow(string Status, string RunnerId, int ItemsProcessed);

    private static async Task<RecoveryRow?> RecoveryOfAsync(Guid id)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<RecoveryRow>("""
            SELECT status AS Status, runner_id AS RunnerId, coalesce((result->>'itemsProcessed')::int, 0) AS ItemsProcessed
              FROM scheduled_jobs WHERE retry_of = @id AND trigger = 'recovery'
            """, new { id });
    }

    private static async Task<int> LogLinesAsync(Guid id)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM execution_logs WHERE execution_id = @id", new { id });
    }
}
