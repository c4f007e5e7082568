using System.Net;
using System.Net.Http.Json;
using Dapper;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Scheduling;

/// <summary>
/// Backfill of missed occurrences (listed exactly, run once each, one after another) and the dead-man's switch
/// (a type whose trigger disappears is flagged overdue). <c>export_dlq_replay</c> is every minute, manual only;
/// <c>outbox_dlq_replay</c> runs every two seconds.
/// </summary>
public sealed class BackfillAndMissedRunTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:export_dlq_replay:Cron"] = "0 * * * * ?",
        ["Jobs:outbox_dlq_replay:Scheduled"] = "true",
        ["Jobs:outbox_dlq_replay:Cron"] = "0/2 * * * * ?",
        ["Scheduler:MissedRunGrace"] = "00:00:02",
        ["Heartbeat:TtlSeconds"] = "4",
        ["Recovery:HeartbeatInterval"] = "00:00:00.5",
        ["Recovery:StaleAfter"] = "00:00:05",
    };

    [Test]
    public async Task Backfill_DryRunListsExactlyTheGaps_AndTheRealRunFillsEachOnce_OneAfterAnother()
    {
        var to = DateTimeOffset.UtcNow;
        var from = to.AddMinutes(-6);
        var expected = Enumerable.Range(0, 8).Select(i => new DateTimeOffset(from.Year, from.Month, from.Day, from.Hour, from.Minute, 0, TimeSpan.Zero).AddMinutes(i))
            .Where(t => t >= from && t < to).ToList();
        var alreadyRan = expected[2];
        await using (var connection = await TestDatabase.OpenAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_by, runner_id, started_at, completed_at)
                VALUES ('export_dlq_replay', 'completed', 'cron', @alreadyRan, 'scheduler', 'another-node', @alreadyRan, @alreadyRan)
                """, new { alreadyRan = alreadyRan.UtcDateTime });
        }

        using var dry = await Service.Client.PostAsJsonAsync("/api/schedules/export_dlq_replay/backfill", new { from, to, dryRun = true });
        var listed = (await dry.Content.ReadFromJsonAsync<BackfillResponse>())!;
        using var real = await Service.Client.PostAsJsonAsync("/api/schedules/export_dlq_replay/backfill", new { from, to });
        var started = (await real.Content.ReadFromJsonAsync<BackfillResponse>())!;
        var runs = await Eventually.Until(RunsAsync, rows => rows.Count == listed.Occurrences.Count && rows.All(r => r.Status == "completed"),
            TimeSpan.FromSeconds(60), "every missing occurrence to run");
        using var after = await Service.Client.PostAsJsonAsync("/api/schedules/export_dlq_replay/backfill", new { from, to, dryRun = true });

        dry.StatusCode.Should().Be(HttpStatusCode.OK);
        listed.Occurrences.Should().Equal(expected.Where(t => t != alreadyRan));
        listed.BackfillId.Should().BeNull();
        real.StatusCode.Should().Be(HttpStatusCode.Accepted);
        started.BackfillId.Should().NotBeNull();
        runs.Select(r => new DateTimeOffset(r.ScheduledFor, TimeSpan.Zero)).Should().Equal(listed.Occurrences, "each recorded with its own occurrence, once");
        runs.Zip(runs.Skip(1)).Should().OnlyContain(p => p.Second.StartedAt >= p.First.CompletedAt, "one after another, never overlapping");
        (await after.Content.ReadFromJsonAsync<BackfillResponse>())!.Occurrences.Should().BeEmpty();
        var audit = (await Service.Client.GetFromJsonAsync<AuditPage>("/api/audit?action=schedule.backfill&jobType=export_dlq_replay"))!;
        audit.Entries.Should().HaveCountGreaterThanOrEqualTo(2);
    }

    [Test]
    public async Task Backfill_CountsOnlyTheScheduleOwnRuns_NotARunForLaterOrANamedScheduleAtTheSameInstant()
    {
        var to = DateTimeOffset.UtcNow;
        var from = to.AddMinutes(-4);
        var instant = new DateTimeOffset(from.Year, from.Month, from.Day, from.Hour, from.Minute, 0, TimeSpan.Zero).AddMinutes(2);
        await using (var connection = await TestDatabase.OpenAsync())
        {
            // A run for later due exactly at a cron instant, and a named schedule's run of the same instant: neither is that occurrence.
            await connection.ExecuteAsync("""
                INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, schedule, started_by, runner_id, started_at, completed_at)
                VALUES ('export_dlq_replay', 'completed', 'manual', @instant, NULL, 'ops', 'another-node', @instant, @instant),
                       ('export_dlq_replay', 'completed', 'schedule', @instant, 'hourly', 'scheduler', 'another-node', @instant, @instant)
                """, new { instant = instant.UtcDateTime });
        }

        using var dry = await Service.Client.PostAsJsonAsync("/api/schedules/export_dlq_replay/backfill", new { from, to, dryRun = true });

        dry.StatusCode.Should().Be(HttpStatusCode.OK);
        (await dry.Content.ReadFromJsonAsync<BackfillResponse>())!.Occurrences.Should().Contain(instant);
    }

    [TestCase("""{"from":"2025-01-01T00:00:00Z","to":"2025-03-01T00:00:00Z"}""", "to", TestName = "Backfill_AWindowOverAMonth_Returns400")]
    [TestCase("""{"from":"2099-01-01T00:00:00Z","to":"2099-01-02T00:00:00Z"}""", "to", TestName = "Backfill_IntoTheFuture_Returns400")]
    [TestCase("""{"to":"2025-01-02T00:00:00Z"}""", "from", TestName = "Backfill_WithoutFrom_Returns400")]
    public async Task Backfill_BadWindow_Returns400(string body, string field)
    {
        using var response = await Service.Client.PostAsync("/api/schedules/export_dlq_replay/backfill", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain($"\"{field}\"");
    }

    [Test]
    public async Task Backfill_OfMoreThanAHundredOccurrences_Returns400()
    {
        var to = DateTimeOffset.UtcNow;

        using var response = await Service.Client.PostAsJsonAsync("/api/schedules/export_dlq_replay/backfill", new { from = to.AddHours(-3), to, dryRun = true });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("more than 100 occurrences");
    }

    [Test]
    public async Task ATypeWhoseTriggerIsRemovedBehindTheServicesBack_IsFlaggedOverdue_InStatusAndMetrics()
    {
        var healthy = await StatusOfAsync("outbox_dlq_replay");
        var scheduler = await Service.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await Eventually.Until(async () => (await StatusOfAsync("outbox_dlq_replay")).LastSuccessAt, at => at is not null,
            TimeSpan.FromSeconds(20), "a first cron run");

        await scheduler.UnscheduleJob(new TriggerKey("outbox_dlq_replay", JobCatalog.CronTriggerGroup));
        var overdue = await Eventually.Until(() => StatusOfAsync("outbox_dlq_replay"), s => s.Overdue, TimeSpan.FromSeconds(20), "the missed occurrence to be noticed");

        healthy.Overdue.Should().BeFalse();
        overdue.OverdueReason.Should().Contain("was not recorded");
        (await Service.CreateClient(null).GetStringAsync("/metrics")).Should().MatchRegex("scheduler_job_overdue\\{[^}]*job_type=\"outbox_dlq_replay\"\\} 1");
    }

    private async Task<JobTypeStatus> StatusOfAsync(string jobType) =>
        (await Service.Client.GetFromJsonAsync<JobStatusReport>("/api/jobs/status"))!.Jobs.Single(j => j.Name == jobType);

    private static async Task<List<BackfillRow>> RunsAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        return [.. await connection.QueryAsync<BackfillRow>("""
            SELECT scheduled_for AS ScheduledFor, status AS Status, started_at AS StartedAt, completed_at AS CompletedAt
              FROM scheduled_jobs WHERE job_type = 'export_dlq_replay' AND trigger = 'backfill' ORDER BY scheduled_for
            """)];
    }

    private sealed record BackfillRow(DateTime ScheduledFor, string Status, DateTime? StartedAt, DateTime? CompletedAt);
}
