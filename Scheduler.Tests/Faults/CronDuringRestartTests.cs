using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Faults;

/// <summary>
/// PostgreSQL restarted under two nodes firing a cron every second: every occurrence is recorded once, none twice,
/// none left running; an occurrence that fired just before the restart is claimed once the database is back; each
/// recorded run called its service exactly once.
/// </summary>
public sealed class CronDuringRestartTests
{
    [Test]
    public async Task APostgresRestart_DuringEverySecondCronFirings_RecordsEachOccurrenceExactlyOnce()
    {
        await using var database = await PrivatePostgres.StartAsync();
        await using var standIns = await StandInApp.StartAsync();
        var settings = FaultCluster.Settings(TimeSpan.FromSeconds(20), new Dictionary<string, string?>
        {
            ["ConnectionStrings:Scheduler"] = database.ConnectionString,
            ["Jobs:email_scan:Scheduled"] = "true",
            ["Jobs:email_scan:Cron"] = "* * * * * ?",
        });
        var starting = new[] { ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", settings), ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", settings) };
        await using var nodeA = await starting[0];
        await using var nodeB = await starting[1];
        await Task.Delay(TimeSpan.FromSeconds(6));

        var stoppedAt = DateTime.UtcNow;
        await database.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(3 * FaultCluster.Scale));
        await database.StartAgainAsync();
        var backAt = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(10));
        var endAt = DateTime.UtcNow;
        await Task.WhenAll(nodeA.StopAsync(), nodeB.StopAsync());

        await using var connection = await database.OpenAsync();
        var rows = (await connection.QueryAsync<(DateTime ScheduledFor, string Status)>(
            "SELECT scheduled_for, status FROM scheduled_jobs WHERE job_type = 'email_scan' AND trigger = 'cron' ORDER BY scheduled_for")).ToList();
        var output = nodeA.Output + nodeB.Output;
        rows.Should().NotBeEmpty();
        rows.Should().OnlyContain(r => r.Status == ExecutionStatus.Completed.ToText() || r.Status == ExecutionStatus.Skipped.ToText(), output);
        rows.GroupBy(r => r.ScheduledFor).Should().OnlyContain(g => g.Count() == 1, "an occurrence is recorded at most once");
        standIns.State.RequestsTo("POST", "/v1/admin/email-scan").Should().HaveCount(rows.Count(r => r.Status == ExecutionStatus.Completed.ToText()),
            "every recorded run called the core API once, and nothing ran unrecorded");
        var first = rows.Min(r => r.ScheduledFor);
        var expected = Seconds(Ceiling(first), stoppedAt.AddSeconds(-1))
            .Concat(Seconds(backAt.AddSeconds(5), endAt.AddSeconds(-2)))
            .ToList();
        var recorded = rows.Select(r => r.ScheduledFor).ToHashSet();
        expected.Where(second => !recorded.Contains(second)).Should().BeEmpty("every occurrence outside the restart window is recorded");
        TestContext.Out.WriteLine($"PostgreSQL restarted (down {3 * FaultCluster.Scale} s) under 2 nodes firing every second: {rows.Count} occurrences recorded, "
            + $"{rows.Count(r => r.Status == ExecutionStatus.Completed.ToText())} run, {rows.Count(r => r.Status == ExecutionStatus.Skipped.ToText())} skipped; 0 doubled, 0 left running, "
            + $"{expected.Count(second => !recorded.Contains(second))} missing outside the restart window");
    }

    private static DateTime Ceiling(DateTime at) => new(at.Ticks + (TimeSpan.TicksPerSecond - (at.Ticks % TimeSpan.TicksPerSecond)) % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static IEnumerable<DateTime> Seconds(DateTime from, DateTime to)
    {
        for (var second = Ceiling(from); second <= to; second = second.AddSeconds(1))
        {
            yield return second;
        }
    }
}
