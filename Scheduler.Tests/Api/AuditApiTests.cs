using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Audit;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Api;

public sealed class AuditApiTests : ServiceFixture
{
    private static readonly DateTimeOffset Origin = new(2025, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] DigestTags = ["digest", "email"];

    /// <summary>
    /// 12 actions one hour apart from <see cref="Origin"/>: trigger, cancel, pause in turn; alice on even
    /// hours, bob on odd; crawl_pending for the first six, weekly_digest for the rest. The newest carries
    /// every field; one scheduler action carries none of the optional ones.
    /// </summary>
    private static readonly IReadOnlyList<(DateTimeOffset At, AuditRecord Record)> Seed = [.. Enumerable.Range(0, 12).Select(SeedEntry)];

    private readonly SettableClock _clock = new();
    private NpgsqlDataSource _dataSource = null!;
    private AuditLog _audit = null!;

    protected override async Task OnStartedAsync()
    {
        await using (var connection = await TestDatabase.OpenAsync())
        {
            await connection.ExecuteAsync("TRUNCATE audit_log");
        }

        _dataSource = NpgsqlDataSource.Create(TestDatabase.ConnectionString);
        _audit = new AuditLog(_dataSource, _clock);
        foreach (var (at, record) in Seed)
        {
            _clock.Now = at;
            await _audit.RecordAsync(record, CancellationToken.None);
        }
    }

    [OneTimeTearDown]
    public async Task DisposeDataSource() => await _dataSource.DisposeAsync();

    [Test]
    public async Task ListAudit_WithoutFilters_ReturnsNewestFirst_WithTotalAndDefaultLimit()
    {
        var page = await ListAsync("/api/audit");

        page.Total.Should().Be(12);
        page.Page.Should().Be(1);
        page.Limit.Should().Be(50);
        page.Entries.Select(e => e.At).Should().Equal(Seed.Select(s => s.At).OrderDescending());
        page.Entries.Select(e => e.Id).Should().BeInDescendingOrder();
    }

    [Test]
    public async Task ListAudit_RoundTripsEveryField_IncludingDetails()
    {
        var newest = (await ListAsync("/api/audit?limit=1")).Entries.Single();

        newest.At.Should().Be(Origin.AddHours(11));
        newest.Actor.Should().Be("bob");
        newest.Action.Should().Be(AuditActions.ScheduleChange);
        newest.TargetType.Should().Be(AuditTargetTypes.Schedule);
        newest.TargetId.Should().Be(JobTypes.WeeklyDigest);
        newest.JobType.Should().Be(JobTypes.WeeklyDigest);
        newest.RemoteAddress.Should().Be("2001:db8::11");
        newest.Outcome.Should().Be(AuditOutcomes.Accepted);
        var details = newest.Details!.Value;
        details.GetProperty("reason").GetString().Should().Be("move after the email service's maintenance window");
        details.GetProperty("previous").GetProperty("cron").GetString().Should().Be("0 0 9 ? * MON");
        details.GetProperty("current").GetProperty("timeZone").GetString().Should().Be("Europe/Berlin");
        details.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Should().Equal("digest", "email");
    }

    [Test]
    public async Task ListAudit_ReturnsAbsentOptionalFieldsAsNull()
    {
        var entry = (await ListAsync("/api/audit?actor=scheduler")).Entries.Single();

        entry.TargetId.Should().BeNull();
        entry.JobType.Should().BeNull();
        entry.RemoteAddress.Should().BeNull();
        entry.Details.Should().BeNull();
    }

    [Test]
    public async Task ListAudit_AnswersInCamelCase()
    {
        using var json = JsonDocument.Parse(await Service.Client.GetStringAsync("/api/audit?limit=1"));

        json.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("entries", "total", "page", "limit", "nextCursor");
        json.RootElement.GetProperty("entries")[0].EnumerateObject().Select(p => p.Name).Should().Equal(
            "id", "at", "actor", "action", "targetType", "targetId", "jobType", "remoteAddress", "outcome", "details");
    }

    [Test]
    public async Task ListAudit_FiltersByAction()
    {
        var page = await ListAsync($"/api/audit?action={AuditActions.JobCancel}");

        page.Entries.Should().NotBeEmpty().And.OnlyContain(e => e.Action == AuditActions.JobCancel);
        page.Entries.Select(e => e.At).Should().Equal(Expected(r => r.Action == AuditActions.JobCancel));
        page.Total.Should().Be(page.Entries.Count);
    }

    [Test]
    public async Task ListAudit_FiltersByActor()
    {
        var page = await ListAsync("/api/audit?actor=alice");

        page.Entries.Select(e => e.At).Should().NotBeEmpty().And.Equal(Expected(r => r.Actor == "alice"));
        page.Total.Should().Be(page.Entries.Count);
    }

    [Test]
    public async Task ListAudit_FiltersByJobType()
    {
        var page = await ListAsync($"/api/audit?jobType={JobTypes.CrawlPending}");

        page.Entries.Select(e => e.At).Should().NotBeEmpty().And.Equal(Expected(r => r.JobType == JobTypes.CrawlPending));
        page.Total.Should().Be(page.Entries.Count);
    }

    [Test]
    public async Task ListAudit_FiltersByTargetId()
    {
        var target = Seed[4].Record.TargetId!;

        var page = await ListAsync($"/api/audit?targetId={target}");

        // The cancel of hour 4's execution, and the trigger of hour 3 that created it.
        page.Entries.Select(e => e.At).Should().Equal(Origin.AddHours(4), Origin.AddHours(3));
        page.Entries.Should().OnlyContain(e => e.TargetId == target);
        page.Total.Should().Be(2);
    }

    [Test]
    public async Task ListAudit_FiltersByTimeWindow_FromInclusive_ToExclusive()
    {
        var from = Uri.EscapeDataString(Origin.AddHours(3).ToString("o"));
        var to = Uri.EscapeDataString(Origin.AddHours(7).ToString("o"));

        var page = await ListAsync($"/api/audit?from={from}&to={to}");

        page.Entries.Select(e => e.At).Should().Equal(Origin.AddHours(6), Origin.AddHours(5), Origin.AddHours(4), Origin.AddHours(3));
        page.Total.Should().Be(4);
    }

    [Test]
    public async Task ListAudit_Paged_ReturnsTheSecondPage_AndTheSameTotal()
    {
        var first = await ListAsync("/api/audit?limit=5&page=1");
        var second = await ListAsync("/api/audit?limit=5&page=2");

        second.Page.Should().Be(2);
        second.Limit.Should().Be(5);
        new[] { first.Total, second.Total }.Should().OnlyContain(t => t == 12);
        second.Entries.Select(e => e.At).Should().Equal(Seed.Select(s => s.At).OrderDescending().Skip(5).Take(5));
        second.Entries.Select(e => e.Id).Should().NotIntersectWith(first.Entries.Select(e => e.Id));
    }

    [TestCase("action=job.explode", "action", TestName = "ListAudit_UnknownAction_Returns400NamingAction")]
    [TestCase("action=job.trigger&action=job.cancel", "action", TestName = "ListAudit_RepeatedParameter_Returns400NamingIt")]
    [TestCase("from=yesterday", "from", TestName = "ListAudit_FromNotADate_Returns400NamingFrom")]
    [TestCase("to=10/09/2025", "to", TestName = "ListAudit_ToNotIso8601_Returns400NamingTo")]
    [TestCase("from=2025-10-09&to=2025-10-01", "to", TestName = "ListAudit_FromAfterTo_Returns400NamingTo")]
    [TestCase("limit=0", "limit", TestName = "ListAudit_LimitZero_Returns400NamingLimit")]
    [TestCase("limit=201", "limit", TestName = "ListAudit_LimitOver200_Returns400NamingLimit")]
    [TestCase("page=0", "page", TestName = "ListAudit_PageZero_Returns400NamingPage")]
    [TestCase("actorr=alice", "actorr", TestName = "ListAudit_UnknownParameter_Returns400NamingIt")]
    public async Task ListAudit_BadQuery_Returns400NamingTheParameter(string query, string field)
    {
        var response = await Service.Client.GetAsync($"/api/audit?{query}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).Should().Equal([field], problem.RootElement.ToString());
    }

    [TestCase("@@@@", TestName = "ListAudit_CursorNotBase64_Returns400NamingCursor")]
    [TestCase("NjM4MDAwMDAwMDAwMDAwMDAwfDAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMQ", TestName = "ListAudit_CursorFromTheJobsList_Returns400NamingCursor")]
    [TestCase("NjM4MDAwMDAwMDAwMDAwMDAwfDk5OTk5OTk5OTk5OTk5OTk5OTk5", TestName = "ListAudit_CursorWithAnIdBeyondBigint_Returns400NamingCursor")]
    [TestCase("NjM4MDAwMDAwMDAwMDAwMDAwfC0x", TestName = "ListAudit_CursorWithANegativeId_Returns400NamingCursor")]
    [TestCase("MXwwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDE", TestName = "ListAudit_CursorWithATimeNoRowHas_Returns400NamingCursor")]
    public async Task ListAudit_ForgedCursor_Returns400NamingCursor(string cursor)
    {
        var response = await Service.Client.GetAsync($"/api/audit?cursor={cursor}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).Should().Equal(["cursor"]);
    }

    [Test]
    public async Task ListAudit_UnknownAction_ListsTheValidActions()
    {
        var response = await Service.Client.GetAsync("/api/audit?action=job.explode");

        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = problem.RootElement.GetProperty("errors").GetProperty("action")[0].GetString();
        message.Should().ContainAll(AuditActions.All);
    }

    [Test]
    public async Task Record_InATransactionRolledBack_LeavesNoRow()
    {
        var target = Guid.NewGuid().ToString();
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        _clock.Now = Origin.AddDays(1);

        await _audit.RecordAsync(connection, transaction,
            new AuditRecord(AuditActions.JobTrigger, "carol", AuditTargetTypes.Execution, target, JobTypes.EmailScan, "10.0.0.99", AuditOutcomes.Accepted),
            CancellationToken.None);
        var seenInside = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log WHERE target_id = @target", new { target }, transaction);
        await transaction.RollbackAsync();

        seenInside.Should().Be(1, "the row was written on the caller's transaction");
        var page = await ListAsync($"/api/audit?targetId={target}");
        page.Total.Should().Be(0);
        page.Entries.Should().BeEmpty();
    }

    [Test]
    public async Task Record_WithAnActionNotShapedAreaDotVerb_IsRefusedByTheDatabase()
    {
        var act = () => _audit.RecordAsync(
            new AuditRecord("Job Trigger", "carol", AuditTargetTypes.Execution, null, null, null, AuditOutcomes.Accepted),
            CancellationToken.None);

        (await act.Should().ThrowAsync<PostgresException>()).Which.ConstraintName.Should().Be("audit_log_action_check");
    }

    private static IEnumerable<DateTimeOffset> Expected(Func<AuditRecord, bool> match) =>
        Seed.Where(s => match(s.Record)).Select(s => s.At).OrderDescending();

    private static (DateTimeOffset, AuditRecord) SeedEntry(int hour)
    {
        var at = Origin.AddHours(hour);
        var actor = hour % 2 == 0 ? "alice" : "bob";
        var jobType = hour < 6 ? JobTypes.CrawlPending : JobTypes.WeeklyDigest;
        if (hour == 11)
        {
            return (at, new AuditRecord(AuditActions.ScheduleChange, actor, AuditTargetTypes.Schedule, jobType, jobType, "2001:db8::11", AuditOutcomes.Accepted, new
            {
                Reason = "move after the email service's maintenance window",
                Previous = new { Cron = "0 0 9 ? * MON", TimeZone = "UTC" },
                Current = new { Cron = "0 0 11 ? * MON", TimeZone = "Europe/Berlin" },
                Tags = DigestTags,
            }));
        }

        if (hour == 10)
        {
            // The service acting by itself: no caller, no target, nothing more to say.
            return (at, new AuditRecord(AuditActions.SchedulePause, "scheduler", AuditTargetTypes.Schedule, null, null, null, AuditOutcomes.Accepted));
        }

        var remote = $"10.0.0.{hour}";
        return (hour % 3) switch
        {
            // A trigger creates execution N; the next hour's cancel targets that same execution.
            0 => (at, new AuditRecord(AuditActions.JobTrigger, actor, AuditTargetTypes.Execution, ExecutionId(hour), jobType, remote, AuditOutcomes.Accepted,
                new { Parameters = new { BatchSize = hour } })),
            1 => (at, new AuditRecord(AuditActions.JobCancel, actor, AuditTargetTypes.Execution, ExecutionId(hour - 1), jobType, remote, AuditOutcomes.Accepted)),
            _ => (at, new AuditRecord(AuditActions.SchedulePause, actor, AuditTargetTypes.Schedule, jobType, jobType, remote, AuditOutcomes.Accepted,
                new { Reason = "maintenance" })),
        };
    }

    private static string ExecutionId(int hour) => new Guid($"00000000-0000-4000-8000-{hour:D12}").ToString();

    private async Task<AuditPage> ListAsync(string path)
    {
        var response = await Service.Client.GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<AuditPage>())!;
    }

    /// <summary>A clock the test sets, so each seeded action has the time the test expects.</summary>
    private sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
