using Dapper;
using FluentAssertions;
using Npgsql;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Events;

/// <summary>
/// Event ids come from a sequence, so an event can take a smaller id than another and commit after it. Here a real
/// second connection holds such an event uncommitted while others commit around it, against a real service process.
/// </summary>
public sealed class LateCommitTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [SetUp]
    public Task EmptyDatabase() => TestDatabase.ResetAsync();

    [Test]
    public async Task AnEventThatCommitsLate_IsDeliveredLiveAndOnReplay_InOneOrder_NoneLostNoneDoubled()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-late", new Dictionary<string, string?>());
        var before = await InsertAsync(null, "before");
        await using var live = SseClient.Open(node.CreateClient(TestTokens.Reader), lastEventId: 0);
        (await live.NextAsync(Ours, Wait, "the stream is open")).Data.GetProperty("jobType").GetString().Should().Be("before");

        // 'early' belongs to a transaction that began writing first but takes its event id last; 'late' takes the
        // smaller id and stays uncommitted while 'early' and 'after' commit.
        await using var earlyTx = await TestDatabase.OpenAsync();
        await using var early = await earlyTx.BeginTransactionAsync();
        await earlyTx.ExecuteScalarAsync<string>("SELECT pg_current_xact_id()::text", transaction: early);
        await using var lateTx = await TestDatabase.OpenAsync();
        await using var late = await lateTx.BeginTransactionAsync();
        var lateId = await InsertAsync(lateTx, "late", late);
        var earlyId = await InsertAsync(earlyTx, "early", early);
        await early.CommitAsync();
        var afterId = await InsertAsync(null, "after");
        lateId.Should().BeLessThan(earlyId).And.BeLessThan(afterId);

        // 'early' is deliverable: nothing still open can come before it. A client that saw it and reconnects resumes
        // after it, and must still get 'late'.
        (await live.NextAsync(Ours, Wait, "early")).Id.Should().Be(earlyId);
        await using var resumed = SseClient.Open(node.CreateClient(TestTokens.Reader), lastEventId: earlyId);
        await Task.Delay(500);

        await late.CommitAsync();
        await InsertAsync(null, "end");

        var liveRest = await CollectUntilEndAsync(live);
        var resumedRest = await CollectUntilEndAsync(resumed);
        await using var replay = SseClient.Open(node.CreateClient(TestTokens.Reader), lastEventId: before);
        var replayed = await CollectUntilEndAsync(replay);

        liveRest.Should().Equal(["late", "after", "end"], "the late event is delivered once it commits, and 'after' waited for it");
        resumedRest.Should().Equal(["late", "after", "end"], "resuming after 'early' still brings the late event");
        replayed.Should().Equal(["early", "late", "after", "end"], "a replay has the order live delivery had");
    }

    private static bool Ours(SseEvent e) => e.Type == "schedule" && e.Data.GetProperty("kind").GetString() == "late-commit-test";

    private static async Task<List<string>> CollectUntilEndAsync(SseClient client)
    {
        var seen = new List<string>();
        while (seen.LastOrDefault() != "end")
        {
            seen.Add((await client.NextAsync(Ours, Wait, $"more events after {string.Join(", ", seen)}")).Data.GetProperty("jobType").GetString()!);
        }

        return seen;
    }

    private static async Task<long> InsertAsync(NpgsqlConnection? connection, string name, NpgsqlTransaction? transaction = null)
    {
        const string sql = "INSERT INTO scheduler_events (topic, kind, job_type) VALUES ('schedule', 'late-commit-test', @name) RETURNING id";
        if (connection is not null)
        {
            return await connection.ExecuteScalarAsync<long>(sql, new { name }, transaction);
        }

        await using var own = await TestDatabase.OpenAsync();
        return await own.ExecuteScalarAsync<long>(sql, new { name });
    }
}
