using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Statistics;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Api;

public sealed class JobStatsApiTests : ServiceFixture
{
    private static readonly DateTime Day = new(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);
    private const string CrawlReason = "Crawler service answered <n> ServiceUnavailable after <n> ms to POST <url>";
    private const string ScanReason = "timeout after <n> s calling job <id>";

    private Guid _lastCrawlFailure;
    private Guid _scanFailure;

    // The rollup loop checks once at start, then not again while these tests run: each test decides what is rolled up.
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Stats:RollupInterval"] = "01:00:00" };

    /// <summary>
    /// crawl_pending on <see cref="Day"/>: 10:05–10:20 four completed (100–400 ms), 10:30 failed (1 s), 11:15 failed (2 s),
    /// 11:20 cancelled before it started, 11:40 skipped, 13:30 completed (250 ms). email_scan: 10:45 completed (50 ms),
    /// 12:10 failed (3 s). Nothing is rolled up.
    /// </summary>
    protected override async Task OnStartedAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await InsertAsync(connection, "crawl_pending", "completed", 10, 5, 100);
        await InsertAsync(connection, "crawl_pending", "completed", 10, 10, 200);
        await InsertAsync(connection, "crawl_pending", "completed", 10, 15, 300);
        await InsertAsync(connection, "crawl_pending", "completed", 10, 20, 400);
        await InsertAsync(connection, "crawl_pending", "failed", 10, 30, 1000,
            "Crawler service answered 503 ServiceUnavailable after 1200 ms to POST http://127.0.0.1:7101/api/crawl/pending?batch=17");
        _lastCrawlFailure = await InsertAsync(connection, "crawl_pending", "failed", 11, 15, 2000,
            "Crawler service answered 503  ServiceUnavailable after 950 ms to POST http://127.0.0.1:7101/api/crawl/pending?batch=42");
        await InsertAsync(connection, "crawl_pending", "cancelled", 11, 20, null);
        await InsertAsync(connection, "crawl_pending", "skipped", 11, 40, null);
        await InsertAsync(connection, "crawl_pending", "completed", 13, 30, 250);
        await InsertAsync(connection, "email_scan", "completed", 10, 45, 50);
        _scanFailure = await InsertAsync(connection, "email_scan", "failed", 12, 10, 3000, "timeout after 30 s calling job 9f1c2d3e-0a1b-4c5d-8e9f-0123456789ab");
        await ForgetRollupAsync(connection);
    }

    [Test]
    public async Task Stats_CountsEachStatusPerTypeAndOverall_WithSuccessRateAndDurations()
    {
        var stats = await StatsAsync(Range(10, 14) + "&bucket=hour");

        stats.Types.Select(t => t.JobType).Should().Equal("crawl_pending", "email_scan");
        var crawl = stats.Types[0];
        crawl.Counts.Should().Be(new StatusCounts(5, 2, 1, 1));
        crawl.Total.Should().Be(9);
        crawl.SuccessRate.Should().Be(0.7143);
        // Completed and failed durations: 100, 200, 250, 300, 400, 1000, 2000 ms.
        crawl.Duration.MaxMs.Should().Be(2000);
        Approximately(crawl.Duration.P50Ms, 300);
        Approximately(crawl.Duration.P95Ms, 2000);
        stats.Overall.Counts.Should().Be(new StatusCounts(6, 3, 1, 1));
        stats.Overall.Total.Should().Be(11);
        stats.Overall.SuccessRate.Should().Be(0.6667);
        stats.Overall.Duration.MaxMs.Should().Be(3000);
        stats.Bucket.Should().Be("hour");
        stats.From.Should().Be(At(10));
        stats.To.Should().Be(At(14));
    }

    [Test]
    public async Task Stats_Series_HasEveryBucketInTheRange_EmptyOnesAsZeros_AndCutsThePartialEnds()
    {
        var stats = await StatsAsync(Range(10, 13, fromMinute: 30, toMinute: 45) + "&type=crawl_pending&bucket=hour");

        var series = stats.Types.Should().ContainSingle().Subject.Series;
        series.Select(b => b.Start).Should().Equal(At(10), At(11), At(12), At(13));
        // 10:00–10:30 is outside the range: only the failure at 10:30 counts in the first bucket.
        series[0].Counts.Should().Be(new StatusCounts(0, 1, 0, 0));
        series[0].SuccessRate.Should().Be(0);
        series[1].Counts.Should().Be(new StatusCounts(0, 1, 1, 1));
        series[2].Should().Be(new StatsBucket(At(12), new StatusCounts(0, 0, 0, 0), null, null, null));
        series[3].Counts.Should().Be(new StatusCounts(1, 0, 0, 0));
        Approximately(series[3].P50Ms, 250);
    }

    [TestCase(4, "minute", 240)]
    [TestCase(48, "hour", 48)]
    [TestCase(24 * 30, "day", 30)]
    public async Task Stats_WithoutBucket_ChoosesItByTheRangesLength(int hours, string bucket, int buckets)
    {
        var to = Day.AddDays(2);
        var stats = await StatsAsync($"from={Iso(to.AddHours(-hours))}&to={Iso(to)}");

        stats.Bucket.Should().Be(bucket);
        stats.Overall.Series.Should().HaveCount(buckets);
    }

    [Test]
    public async Task Stats_WithAType_ListsOnlyIt_EvenWithoutRuns()
    {
        var stats = await StatsAsync($"from={Iso(Day.AddDays(-3))}&to={Iso(Day.AddDays(-2))}&type=weekly_digest");

        var digest = stats.Types.Should().ContainSingle().Subject;
        digest.JobType.Should().Be("weekly_digest");
        digest.Counts.Should().Be(new StatusCounts(0, 0, 0, 0));
        digest.SuccessRate.Should().BeNull();
        digest.Duration.Should().Be(new DurationSummary(null, null, null));
        digest.Series.Should().HaveCount(24).And.OnlyContain(b => b.Counts.Equals(new StatusCounts(0, 0, 0, 0)));
        digest.FailureReasons.Should().BeEmpty();
    }

    [Test]
    public async Task Stats_WithoutARange_CoversTheLast24Hours()
    {
        var before = DateTimeOffset.UtcNow;
        var stats = await StatsAsync("");

        stats.To.Should().BeOnOrAfter(before);
        (stats.To - stats.From).Should().Be(TimeSpan.FromHours(24));
        stats.Bucket.Should().Be("hour");
    }

    [Test]
    public async Task Stats_GroupsFailuresByTheNormalisedError_WithCountFirstLastAndAnExample()
    {
        var stats = await StatsAsync(Range(0, 24));

        stats.Types[0].FailureReasons.Should().Equal(new FailureReason(CrawlReason, 2, At(10, 30), At(11, 15), _lastCrawlFailure));
        stats.Overall.FailureReasons.Should().Equal(
            new FailureReason(CrawlReason, 2, At(10, 30), At(11, 15), _lastCrawlFailure),
            new FailureReason(ScanReason, 1, At(12, 10), At(12, 10), _scanFailure));
    }

    [Test]
    public async Task List_FilteredByReason_ReturnsTheFailuresWithThatNormalisedError()
    {
        var crawl = await Service.Client.GetFromJsonAsync<JobExecutionPage>(
            $"/api/jobs?status=failed&type=crawl_pending&reason={Uri.EscapeDataString(CrawlReason)}");
        var none = await Service.Client.GetFromJsonAsync<JobExecutionPage>(
            $"/api/jobs?type=email_scan&reason={Uri.EscapeDataString(CrawlReason)}");

        crawl!.Total.Should().Be(2);
        crawl.Jobs.Should().OnlyContain(j => j.Status == ExecutionStatus.Failed && j.JobType == "crawl_pending");
        crawl.Jobs.Select(j => j.Id).Should().Contain(_lastCrawlFailure);
        none!.Total.Should().Be(0);
    }

    [Test]
    public async Task Stats_AreTheSame_LiveHalfRolledAndRolledUp_AndRollingAgainCountsNothingTwice()
    {
        string[] queries =
        [
            Range(0, 24),
            Range(10, 13, fromMinute: 30, toMinute: 45) + "&bucket=hour",
            $"from={Iso(Day.AddDays(-2))}&to={Iso(Day.AddDays(3))}&bucket=day",
            $"from={Iso(Day.AddDays(-2).AddHours(7))}&to={Iso(Day.AddDays(3))}&bucket=hour&type=crawl_pending",
        ];
        var rollup = new StatsRollup(Service.Services.GetRequiredService<NpgsqlDataSource>());
        try
        {
            var live = await AnswersAsync(queries);

            // Hours 10 and 11 rolled up, 12 and 13 live; and the day rows hold part of the day.
            await rollup.RollUpAsync(At(12), TimeSpan.FromDays(7), CancellationToken.None);
            (await RolledRunsAsync("hour")).Should().Be(9);
            var halfRolled = await AnswersAsync(queries);

            await rollup.RollUpAsync(new DateTimeOffset(Day.AddDays(2)), TimeSpan.FromHours(5), CancellationToken.None);
            (await RolledRunsAsync("hour")).Should().Be(11);
            (await RolledRunsAsync("day")).Should().Be(11);
            var rolled = await AnswersAsync(queries);
            await rollup.RollUpAsync(new DateTimeOffset(Day.AddDays(2)), TimeSpan.FromDays(7), CancellationToken.None);
            var again = await AnswersAsync(queries);

            halfRolled.Should().Equal(live);
            rolled.Should().Equal(live);
            again.Should().Equal(live);
            (await RolledRunsAsync("hour")).Should().Be(11);
        }
        finally
        {
            await using var connection = await TestDatabase.OpenAsync();
            await ForgetRollupAsync(connection);
        }
    }

    [Test]
    public async Task Rollup_WhileAnotherNodeHoldsTheWatermark_WritesNothing_AndAnInterruptedOneLeavesNoTrace()
    {
        var rollup = new StatsRollup(Service.Services.GetRequiredService<NpgsqlDataSource>());
        var until = new DateTimeOffset(Day.AddDays(1));
        try
        {
            await using (var other = await TestDatabase.OpenAsync())
            await using (var holding = await other.BeginTransactionAsync())
            {
                await other.ExecuteAsync("SELECT rolled_until FROM job_stats_rollup WHERE id = 1 FOR UPDATE", transaction: holding);

                (await rollup.RollUpAsync(until, TimeSpan.FromDays(7), CancellationToken.None)).Should().BeNull();
            }

            (await RolledRunsAsync("hour")).Should().Be(0);

            // A statement that fails (here: a lock it needs is held past its lock_timeout; a node's death or a lost
            // connection alike) commits nothing.
            await using (var other = await TestDatabase.OpenAsync())
            await using (var holding = await other.BeginTransactionAsync())
            {
                await other.ExecuteAsync("LOCK TABLE job_stats_failure_reasons IN SHARE MODE", transaction: holding);
                var builder = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString) { Options = "-c lock_timeout=500" };
                await using var impatient = NpgsqlDataSource.Create(builder.ConnectionString);

                await FluentActions.Awaiting(() => new StatsRollup(impatient).RollUpAsync(until, TimeSpan.FromDays(7), CancellationToken.None))
                    .Should().ThrowAsync<PostgresException>().Where(e => e.SqlState == PostgresErrorCodes.LockNotAvailable);
            }

            (await RolledRunsAsync("hour")).Should().Be(0);
            (await rollup.RollUpAsync(until, TimeSpan.FromDays(7), CancellationToken.None)).Should().Be(until);
            (await RolledRunsAsync("hour")).Should().Be(11);
        }
        finally
        {
            await using var connection = await TestDatabase.OpenAsync();
            await ForgetRollupAsync(connection);
        }
    }

    [Test]
    public async Task Stats_OfRunsMadeThroughTheService_CountThemAndTheirReason()
    {
        var completed = await Service.RunAsync("crawl_pending");
        completed.Status.Should().Be(ExecutionStatus.Completed);
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(Status: 500));
        var id = await Service.TriggerAsync("crawl_pending");
        var failed = await Service.WaitForStatusAsync(id, ExecutionStatus.Failed, TimeSpan.FromSeconds(60));
        StandIns.State.ClearFault("GET", "/api/discoveries");

        var stats = await StatsAsync("type=crawl_pending");

        var crawl = stats.Types.Should().ContainSingle().Subject;
        crawl.Counts.Should().Be(new StatusCounts(1, 1, 0, 0));
        crawl.SuccessRate.Should().Be(0.5);
        crawl.Duration.MaxMs.Should().Be(new[] { completed, failed }.Max(e => (long)Math.Round((e.CompletedAt!.Value - e.StartedAt!.Value).TotalMilliseconds, MidpointRounding.AwayFromZero)));
        crawl.FailureReasons.Should().Equal(new FailureReason(
            "discovery service answered <n> InternalServerError to GET /api/discoveries", 1, failed.CompletedAt!.Value, failed.CompletedAt.Value, failed.Id));
        crawl.Series.Sum(b => b.Counts.Completed + b.Counts.Failed).Should().Be(2);
    }

    [TestCase("from=2026-01-05T12:00:00Z&to=2026-01-05T12:00:00Z", "from")]
    [TestCase("from=2026-01-05T13:00:00Z&to=2026-01-05T12:00:00Z", "from")]
    [TestCase("from=2024-01-01T00:00:00Z&to=2026-01-05T00:00:00Z", "from")]
    [TestCase("from=yesterday", "from")]
    [TestCase("to=2026-13-01", "to")]
    [TestCase("bucket=week", "bucket")]
    [TestCase("from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z&bucket=minute", "bucket")]
    [TestCase("type=no_such_type", "type")]
    [TestCase("stauts=failed", "stauts")]
    [TestCase("type=crawl_pending&type=email_scan", "type")]
    public async Task Stats_WithABadQuery_Returns400NamingTheParameter(string query, string parameter)
    {
        var response = await Service.Client.GetAsync("/api/jobs/stats?" + query);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["errors"]!.AsObject().Select(e => e.Key).Should().Equal(parameter);
    }

    [Test]
    public async Task Stats_OfATypeOnlyInTheHistory_IsAnswered()
    {
        await using var connection = await TestDatabase.OpenAsync();
        var id = await InsertAsync(connection, "legacy_report", "completed", 9, 0, 10);
        try
        {
            var stats = await StatsAsync(Range(0, 24) + "&type=legacy_report");

            stats.Types.Should().ContainSingle().Which.Counts.Completed.Should().Be(1);
        }
        finally
        {
            await connection.ExecuteAsync("DELETE FROM scheduled_jobs WHERE id = @id", new { id });
        }
    }

    [Test]
    public async Task Stats_AreOpenToReaders_AndNotToAnonymousCallers()
    {
        using var reader = Service.CreateClient(TestTokens.Reader);
        using var anonymous = Service.CreateClient(null);

        (await reader.GetAsync("/api/jobs/stats")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await anonymous.GetAsync("/api/jobs/stats")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    private static void Approximately(long? estimate, long exact) =>
        estimate.Should().NotBeNull().And.BeInRange((long)Math.Floor(exact / 1.0906), (long)Math.Ceiling(exact * 1.0906));

    private async Task<JobStatsReport> StatsAsync(string query)
    {
        var response = await Service.Client.GetAsync("/api/jobs/stats?" + query);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JobStatsReport>())!;
    }

    /// <summary>Each answer's JSON without its generatedAt.</summary>
    private async Task<List<string>> AnswersAsync(string[] queries)
    {
        var answers = new List<string>();
        foreach (var query in queries)
        {
            var json = JsonNode.Parse(await Service.Client.GetStringAsync("/api/jobs/stats?" + query))!.AsObject();
            json.Remove("generatedAt");
            answers.Add(json.ToJsonString());
        }

        return answers;
    }

    private static async Task<long> RolledRunsAsync(string grain)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT coalesce(sum(runs), 0) FROM job_stats_runs WHERE grain = @grain", new { grain });
    }

    private static Task<int> ForgetRollupAsync(NpgsqlConnection connection) => connection.ExecuteAsync("""
        TRUNCATE job_stats_runs, job_stats_durations, job_stats_failure_reasons;
        UPDATE job_stats_rollup SET rolled_until = NULL;
        """);

    private static async Task<Guid> InsertAsync(NpgsqlConnection connection, string type, string status, int hour, int minute, int? durationMs, string? error = null)
    {
        var completedAt = At(hour, minute);
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, created_at, updated_at, started_at, completed_at, error)
            VALUES (@type, @status, 'manual', 'alice', @createdAt, @completedAt, @startedAt, @completedAt, @error)
            RETURNING id
            """, new
        {
            type,
            status,
            createdAt = completedAt.AddSeconds(-10),
            startedAt = durationMs is { } ms ? completedAt.AddMilliseconds(-ms) : (DateTimeOffset?)null,
            completedAt,
            error,
        });
    }

    private static DateTimeOffset At(int hour, int minute = 0) => new(Day.AddHours(hour).AddMinutes(minute));

    private static string Range(int fromHour, int toHour, int fromMinute = 0, int toMinute = 0) =>
        $"from={Iso(At(fromHour, fromMinute).UtcDateTime)}&to={Iso(At(toHour, toMinute).UtcDateTime)}";

    private static string Iso(DateTime at) => Uri.EscapeDataString(at.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
}
