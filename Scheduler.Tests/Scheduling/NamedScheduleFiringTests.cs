using System.Net;
using System.Net.Http.Json;
using Dapper;
using FluentAssertions;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Scheduling;

/// <summary>
/// Named schedules firing on one service: each run gets its schedule's parameters and records its schedule, jitter
/// is drawn within its bound and recorded, and two schedules of one type firing together give one run and one
/// skipped row naming the other.
/// </summary>
public sealed class NamedScheduleFiringTests
{
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Schedules:MinimumInterval"] = "00:00:01",
    };

    [SetUp]
    public Task Reset() => TestDatabase.ResetAsync();

    private static async Task CreateAsync(ServiceHost service, object schedule)
    {
        using var response = await service.Client.PostAsJsonAsync("/api/schedules", schedule);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task TwoSchedulesOfOneType_WithDifferentParameters_EachRunWithTheirOwn()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var service = await ServiceHost.StartAsync(standIns.BaseUrl, Fast);
        await using var connection = await TestDatabase.OpenAsync();

        await CreateAsync(service, new { jobType = "crawl_pending", name = "small", interval = "PT2S", parameters = new { batchSize = 3 } });
        await CreateAsync(service, new { jobType = "crawl_pending", name = "large", cron = "1/3 * * * * ?", parameters = new { batchSize = 11 } });

        await Eventually.Until(
            () => connection.QueryAsync<string>("SELECT DISTINCT schedule FROM scheduled_jobs WHERE status = 'completed'"),
            s => s.Count() == 2, TimeSpan.FromSeconds(60), "a completed run of each schedule");

        var rows = (await connection.QueryAsync<(string Schedule, int BatchSize, string Trigger)>(
            "SELECT schedule, (parameters->>'batchSize')::int, trigger FROM scheduled_jobs WHERE status = 'completed'")).ToList();
        rows.Should().OnlyContain(r => r.Trigger == "schedule", "a named schedule's runs are schedule runs; cron is the configured schedule's");
        rows.Should().OnlyContain(r => (r.Schedule == "small" && r.BatchSize == 3) || (r.Schedule == "large" && r.BatchSize == 11));
        var limits = standIns.State.RequestsTo("GET", "/api/discoveries").Select(r => r.Query).ToList();
        limits.Should().Contain(q => q.Contains("limit=3", StringComparison.Ordinal)).And.Contain(q => q.Contains("limit=11", StringComparison.Ordinal),
            "the crawler's pending list was asked for with each schedule's batch size");
        using var reader = service.CreateClient(Infrastructure.TestTokens.Reader);
        var page = (await reader.GetFromJsonAsync<Contracts.Api.JobExecutionPage>("/api/jobs?type=crawl_pending&schedule=small"))!;
        page.Jobs.Should().NotBeEmpty().And.OnlyContain(j => j.Schedule == "small" && j.Trigger == Contracts.ExecutionTrigger.Schedule);
    }

    [Test]
    public async Task Jitter_DelaysEachOccurrenceWithinItsBound_AndIsRecordedOnTheRun()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var service = await ServiceHost.StartAsync(standIns.BaseUrl, Fast);
        await using var connection = await TestDatabase.OpenAsync();

        await CreateAsync(service, new { jobType = "email_scan", name = "jittery", interval = "PT2S", jitter = "PT1.5S" });

        var rows = await Eventually.Until(
            async () => (await connection.QueryAsync<(DateTime ScheduledFor, DateTime StartedAt, int? JitterMs)>(
                "SELECT scheduled_for, started_at, jitter_ms FROM scheduled_jobs WHERE schedule = 'jittery' AND status = 'completed' ORDER BY scheduled_for")).ToList(),
            r => r.Count >= 5, TimeSpan.FromSeconds(60), "five jittered runs");

        rows.Should().OnlyContain(r => r.JitterMs >= 0 && r.JitterMs <= 1500, "each delay is drawn from [0, bound]");
        rows.Should().OnlyContain(r => r.StartedAt >= r.ScheduledFor.AddMilliseconds(r.JitterMs!.Value - 50),
            "the run starts once its drawn delay has passed (50 ms for the clocks' granularity)");
        rows.Select(r => r.ScheduledFor).Should().OnlyHaveUniqueItems();
        rows.Zip(rows.Skip(1)).Should().OnlyContain(p => (p.Second.ScheduledFor - p.First.ScheduledFor).TotalMilliseconds % 2000 == 0,
            "scheduled_for is the nominal occurrence, on the 2-second grid, not the jittered time");
        rows.Select(r => r.JitterMs).Distinct().Should().HaveCountGreaterThan(1, "the delay is drawn per occurrence");
    }

    [Test]
    public async Task TwoSchedulesOfOneType_FiringTogether_GiveOneRunAndOneSkippedRowNamingTheOther()
    {
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 1500));
        await using var service = await ServiceHost.StartAsync(standIns.BaseUrl, Fast);
        await using var connection = await TestDatabase.OpenAsync();

        await CreateAsync(service, new { jobType = "crawl_pending", name = "east", cron = "0/4 * * * * ?" });
        await CreateAsync(service, new { jobType = "crawl_pending", name = "west", cron = "0/4 * * * * ?" });

        var pair = await Eventually.Until(
            async () => (await connection.QueryAsync<(DateTime ScheduledFor, string Schedule, string Status, string? Error)>("""
                SELECT scheduled_for, schedule, status, error FROM scheduled_jobs
                 WHERE scheduled_for IN (SELECT scheduled_for FROM scheduled_jobs GROUP BY scheduled_for
                                          HAVING count(*) FILTER (WHERE status = 'completed') = 1 AND count(*) FILTER (WHERE status = 'skipped') = 1)
                 ORDER BY scheduled_for LIMIT 2
                """)).ToList(),
            r => r.Count == 2, TimeSpan.FromSeconds(60), "an occurrence both schedules fired for");

        var ran = pair.Single(r => r.Status == "completed");
        var skipped = pair.Single(r => r.Status == "skipped");
        skipped.Schedule.Should().NotBe(ran.Schedule);
        skipped.Error.Should().Contain($"schedule '{ran.Schedule}'", "the skipped row names the schedule whose run held the type");
        var runId = await connection.ExecuteScalarAsync<Guid>(
            "SELECT id FROM scheduled_jobs WHERE scheduled_for = @at AND status = 'completed'", new { at = ran.ScheduledFor });
        skipped.Error.Should().Contain(runId.ToString());
    }
}
