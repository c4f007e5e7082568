using Dapper;
using FluentAssertions;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Scheduling;

public sealed class CronRecordingTests
{
    private static readonly Dictionary<string, string?> EverySecond = new()
    {
        ["Jobs:crawl_pending:Scheduled"] = "true",
        ["Jobs:crawl_pending:Cron"] = "* * * * * ?",
    };

    [SetUp]
    public Task Reset() => TestDatabase.ResetAsync();

    [Test]
    public async Task CronFirings_AreRecordedAsCronRows_WithTheirScheduledFireTime()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var service = await ServiceHost.StartAsync(standIns.BaseUrl, EverySecond);
        await using var connection = await TestDatabase.OpenAsync();

        await Eventually.Until(
            () => connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE status = 'completed'"),
            n => n >= 3, TimeSpan.FromSeconds(30), "three completed cron runs");

        var rows = (await connection.QueryAsync<(string Trigger, DateTime? ScheduledFor, string StartedBy, string RunnerId, DateTime StartedAt)>(
            "SELECT trigger, scheduled_for, started_by, runner_id, started_at FROM scheduled_jobs WHERE status = 'completed'")).ToList();
        rows.Should().OnlyContain(r => r.Trigger == "cron" && r.StartedBy == "scheduler" && r.RunnerId == service.RunnerId);
        rows.Should().OnlyContain(r => r.ScheduledFor.HasValue && r.ScheduledFor.Value.Millisecond == 0, "an every-second cron fires on whole seconds");
        rows.Should().OnlyContain(r => r.StartedAt >= r.ScheduledFor);
        rows.Select(r => r.ScheduledFor).Should().OnlyHaveUniqueItems();
    }

    [Test]
    public async Task CronFiring_ForAnOccurrenceAlreadyRecorded_DoesNotRunAgain()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var connection = await TestDatabase.OpenAsync();
        DateTime[] taken;

        await using (var service = await ServiceHost.StartAsync(standIns.BaseUrl, EverySecond))
        {
            await Eventually.Until(
                () => connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE runner_id = @id", new { id = service.RunnerId }),
                n => n >= 1, TimeSpan.FromSeconds(30), "the node's first cron run");

            // Record the next occurrences as another node would have, a little ahead of the firing.
            var now = DateTime.UtcNow;
            var first = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc).AddSeconds(3);
            taken = [.. Enumerable.Range(0, 5).Select(i => first.AddSeconds(i))];
            foreach (var occurrence in taken)
            {
                await connection.ExecuteAsync("""
                    INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_by, runner_id, started_at, completed_at)
                    VALUES ('crawl_pending', 'completed', 'cron', @occurrence, 'scheduler', 'other-node', @occurrence, @occurrence)
                    """, new { occurrence });
            }

            await Eventually.Until(
                () => connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE scheduled_for > @last AND status = 'completed'", new { last = taken[^1] }),
                n => n >= 2, TimeSpan.FromSeconds(30), "runs after the pre-recorded occurrences");
        }

        var window = (await connection.QueryAsync<string>(
            "SELECT runner_id FROM scheduled_jobs WHERE scheduled_for BETWEEN @first AND @last", new { first = taken[0], last = taken[^1] })).ToList();
        window.Should().HaveCount(taken.Length).And.OnlyContain(r => r == "other-node", "a taken occurrence is neither re-recorded nor re-run");
        var ownRuns = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE runner_id <> 'other-node'");
        standIns.State.RequestsTo("GET", "/api/discoveries").Should().HaveCount((int)ownRuns,
            "only the occurrences this node claimed called the discovery service");
    }
}
