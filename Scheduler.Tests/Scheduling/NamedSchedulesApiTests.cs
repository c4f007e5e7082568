using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Scheduling;

/// <summary>
/// Named schedules through <c>/api/schedules</c> against one service: create, read, replace, pause, resume, delete,
/// preview, refusals by field, readers refused, and each change audited and raised as an event with the change.
/// </summary>
public sealed class NamedSchedulesApiTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Schedules:MinimumInterval"] = "00:00:30",
        ["Schedules:MaxJitter"] = "00:10:00",
    };

    [SetUp]
    public async Task NoSchedules()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("DELETE FROM job_schedules; DELETE FROM audit_log; DELETE FROM scheduler_events; DELETE FROM qrtz_simple_triggers WHERE trigger_group = 'schedules'; DELETE FROM qrtz_cron_triggers WHERE trigger_group = 'schedules'; DELETE FROM qrtz_triggers WHERE trigger_group = 'schedules'");
    }

    private static object Hourly(string name = "hourly") => new
    {
        jobType = "crawl_pending",
        name,
        interval = "PT1H",
        timeZone = "Europe/Berlin",
        parameters = new { batchSize = 7 },
        jitter = "PT30S",
        misfirePolicy = "catch_up",
        catchUpLimit = 3,
        description = "crawl hourly in small batches",
    };

    [Test]
    public async Task Create_AnIntervalSchedule_Returns201_WithItsNextFireTimes_AndStoresTriggerAuditAndEventTogether()
    {
        var before = DateTimeOffset.UtcNow;

        using var response = await Service.Client.PostAsJsonAsync("/api/schedules", Hourly());

        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        response.Headers.Location!.ToString().Should().Be("/api/schedules/crawl_pending/hourly");
        var view = (await response.Content.ReadFromJsonAsync<ScheduleView>())!;
        view.Name.Should().Be("hourly");
        view.Kind.Should().Be("interval");
        view.Interval.Should().Be("PT1H");
        view.Cron.Should().BeNull();
        view.Owner.Should().Be("api");
        view.Jitter.Should().Be("PT30S");
        view.MisfirePolicy.Should().Be("catch_up");
        view.CatchUpLimit.Should().Be(3);
        view.Parameters!.Value.GetProperty("batchSize").GetInt32().Should().Be(7);
        view.Runs.Should().BeTrue();
        view.NextFireTimes.Should().HaveCount(5);
        view.NextFireTimes[0].Utc.Should().BeCloseTo(before.AddHours(1), TimeSpan.FromMinutes(1));
        view.NextFireTimes.Zip(view.NextFireTimes.Skip(1)).Should().OnlyContain(p => p.Second.Utc - p.First.Utc == TimeSpan.FromHours(1));
        view.NextFireTimes.Should().OnlyContain(f => f.Local.Offset == TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin").GetUtcOffset(f.Utc));

        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>(
            "SELECT repeat_interval FROM qrtz_simple_triggers WHERE trigger_group = 'schedules' AND trigger_name = 'crawl_pending/hourly'"))
            .Should().Be((long)TimeSpan.FromHours(1).TotalMilliseconds);
        (await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'schedule.create' AND target_id = 'crawl_pending/hourly' AND actor = @actor", new { actor = TestTokens.AdminSubject }))
            .Should().Be(1);
        (await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM scheduler_events WHERE topic = 'schedule' AND kind = 'created' AND job_type = 'crawl_pending' AND schedule = 'hourly'"))
            .Should().Be(1);
        var listed = (await Service.CreateClient(TestTokens.Reader).GetFromJsonAsync<List<ScheduleView>>("/api/schedules"))!;
        listed.Where(s => s.JobType == "crawl_pending").Select(s => s.Name).Should().BeEquivalentTo(["default", "hourly"]);
        listed.Single(s => s.Name == "default" && s.JobType == "crawl_pending").Owner.Should().Be("configuration");
    }

    [Test]
    public async Task Create_WithANameTheTypeAlreadyHas_Returns409_AndKeepsTheFirst()
    {
        (await Service.Client.PostAsJsonAsync("/api/schedules", Hourly())).StatusCode.Should().Be(HttpStatusCode.Created);

        using var again = await Service.Client.PostAsJsonAsync("/api/schedules", new { jobType = "crawl_pending", name = "hourly", cron = "0 0 3 * * ?" });

        again.StatusCode.Should().Be(HttpStatusCode.Conflict, await again.Content.ReadAsStringAsync());
        var view = (await Service.Client.GetFromJsonAsync<ScheduleView>("/api/schedules/crawl_pending/hourly"))!;
        view.Interval.Should().Be("PT1H");
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'schedule.create'")).Should().Be(1);
    }

    [TestCase("""{"jobType":"crawl_pending","name":"Not A Slug","interval":"PT1H"}""", "name", TestName = "Create_WithABadName_Returns400NamingName")]
    [TestCase("""{"jobType":"crawl_pending","name":"override","interval":"PT1H"}""", "name", TestName = "Create_WithARouteWordAsName_Returns400NamingName")]
    [TestCase("""{"jobType":"crawl_pending","name":"default","interval":"PT1H"}""", "name", TestName = "Create_NamedDefault_Returns400NamingName")]
    [TestCase("""{"jobType":"no_such_type","name":"x","interval":"PT1H"}""", "jobType", TestName = "Create_ForAnUnknownType_Returns400NamingJobType")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","cron":"every monday"}""", "cron", TestName = "Create_WithABadCron_Returns400NamingCron")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","interval":"PT10S"}""", "interval", TestName = "Create_WithAnIntervalBelowTheMinimum_Returns400NamingInterval")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","interval":"P1M"}""", "interval", TestName = "Create_WithAMonthInterval_Returns400NamingInterval")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","interval":"PT1H","cron":"0 0 * * * ?"}""", "cron", TestName = "Create_WithBothCronAndInterval_Returns400")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","interval":"PT1H","parameters":{"speed":3}}""", "parameters.speed", TestName = "Create_WithAnUnknownParameter_Returns400NamingIt")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","interval":"PT1H","parameters":{"batchSize":-1}}""", "parameters.batchSize", TestName = "Create_WithAParameterOutOfRange_Returns400NamingIt")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","cron":"0 0 * * * ?","timeZone":"Mars/Olympus_Mons"}""", "timeZone", TestName = "Create_WithAnUnknownZone_Returns400NamingTimeZone")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","interval":"PT1H","jitter":"PT1H"}""", "jitter", TestName = "Create_WithJitterAboveTheCap_Returns400NamingJitter")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","interval":"PT1H","misfirePolicy":"sometimes"}""", "misfirePolicy", TestName = "Create_WithAnUnknownMisfirePolicy_Returns400")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","interval":"PT1H","catchUpLimit":5}""", "catchUpLimit", TestName = "Create_WithACatchUpLimitButNoCatchUp_Returns400")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","interval":"PT1H","endAt":"2020-01-01T00:00:00Z"}""", "endAt", TestName = "Create_EndingInThePast_Returns400NamingEndAt")]
    [TestCase("""{"jobType":"crawl_pending","name":"x","cron":"0 0 9 1 1 ? 2020"}""", "cron", TestName = "Create_WithACronThatNeverFiresAgain_Returns400NamingCron")]
    public async Task Create_BadInput_Returns400NamingTheField_AndWritesNothing(string body, string field)
    {
        using var response = await Service.Client.PostAsync("/api/schedules", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("errors").GetProperty(field)[0].GetString().Should().NotBeNullOrWhiteSpace();
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM job_schedules")).Should().Be(0);
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM qrtz_triggers WHERE trigger_group = 'schedules'")).Should().Be(0);
    }

    [Test]
    public async Task Replace_ChangesTheTrigger_KeepsAPause_AndAuditsBeforeAndAfter()
    {
        (await Service.Client.PostAsJsonAsync("/api/schedules", Hourly())).EnsureSuccessStatusCode();
        (await Service.Client.PostAsJsonAsync("/api/schedules/crawl_pending/hourly/pause", new { reason = "crawler maintenance" })).EnsureSuccessStatusCode();

        using var response = await Service.Client.PutAsJsonAsync("/api/schedules/crawl_pending/hourly",
            new { cron = "0 30 6 * * ?", timeZone = "America/New_York", misfirePolicy = "skip" });

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var view = (await response.Content.ReadFromJsonAsync<ScheduleView>())!;
        view.Kind.Should().Be("cron");
        view.Cron.Should().Be("0 30 6 * * ?");
        view.Interval.Should().BeNull();
        view.Parameters.Should().BeNull("a replacement is the whole schedule");
        view.Paused.Should().BeTrue();
        view.Pause!.Reason.Should().Be("crawler maintenance");
        view.NextFireTimes.Should().OnlyContain(f => f.Local.Hour == 6 && f.Local.Minute == 30);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<string>("SELECT cron_expression FROM qrtz_cron_triggers WHERE trigger_name = 'crawl_pending/hourly'"))
            .Should().Be("0 30 6 * * ?");
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM qrtz_simple_triggers WHERE trigger_name = 'crawl_pending/hourly'")).Should().Be(0);
        var audit = (await Service.Client.GetFromJsonAsync<AuditPage>("/api/audit?action=schedule.change&jobType=crawl_pending"))!;
        audit.Entries.Should().ContainSingle();
        audit.Entries[0].Details!.Value.GetProperty("before").GetProperty("interval").GetString().Should().Be("PT1H");
        audit.Entries[0].Details!.Value.GetProperty("after").GetProperty("cron").GetString().Should().Be("0 30 6 * * ?");
    }

    [Test]
    public async Task PauseResumeAndDelete_AreEachAuditedAndRaised_AndTheDeletedScheduleIs404()
    {
        (await Service.Client.PostAsJsonAsync("/api/schedules", Hourly())).EnsureSuccessStatusCode();

        using var paused = await Service.Client.PostAsJsonAsync("/api/schedules/crawl_pending/hourly/pause", new { reason = "quiet week" });
        using var pausedAgain = await Service.Client.PostAsync("/api/schedules/crawl_pending/hourly/resume", null);
        using var resumedTwice = await Service.Client.PostAsync("/api/schedules/crawl_pending/hourly/resume", null);
        using var deleted = await Service.Client.DeleteAsync("/api/schedules/crawl_pending/hourly");
        using var gone = await Service.Client.GetAsync("/api/schedules/crawl_pending/hourly");
        using var deletedTwice = await Service.Client.DeleteAsync("/api/schedules/crawl_pending/hourly");

        paused.StatusCode.Should().Be(HttpStatusCode.OK, await paused.Content.ReadAsStringAsync());
        (await paused.Content.ReadFromJsonAsync<ScheduleView>())!.Paused.Should().BeTrue();
        pausedAgain.StatusCode.Should().Be(HttpStatusCode.OK);
        resumedTwice.StatusCode.Should().Be(HttpStatusCode.Conflict);
        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        deletedTwice.StatusCode.Should().Be(HttpStatusCode.NotFound);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.QueryAsync<string>("SELECT action FROM audit_log WHERE target_id = 'crawl_pending/hourly' ORDER BY id"))
            .Should().Equal("schedule.create", "schedule.pause", "schedule.resume", "schedule.delete");
        (await connection.QueryAsync<string>("SELECT kind FROM scheduler_events WHERE topic = 'schedule' AND schedule = 'hourly' ORDER BY id"))
            .Should().Equal("created", "paused", "resumed", "deleted");
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM qrtz_triggers WHERE trigger_group = 'schedules'")).Should().Be(0);
    }

    [Test]
    public async Task TheDefaultSchedule_IsReadByName_AndCannotBeReplacedOrDeletedHere()
    {
        using var get = await Service.Client.GetAsync("/api/schedules/weekly_digest/default");
        using var put = await Service.Client.PutAsJsonAsync("/api/schedules/weekly_digest/default", new { interval = "PT1H" });
        using var delete = await Service.Client.DeleteAsync("/api/schedules/weekly_digest/default");

        get.StatusCode.Should().Be(HttpStatusCode.OK);
        (await get.Content.ReadFromJsonAsync<ScheduleView>())!.Owner.Should().Be("configuration");
        put.StatusCode.Should().Be(HttpStatusCode.Conflict);
        delete.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await delete.Content.ReadAsStringAsync()).Should().Contain("Jobs:weekly_digest:Cron");
    }

    [Test]
    public async Task Changes_ByAReader_Return403_AndWriteNothing()
    {
        (await Service.Client.PostAsJsonAsync("/api/schedules", Hourly())).EnsureSuccessStatusCode();
        using var reader = Service.CreateClient(TestTokens.Reader);

        using var create = await reader.PostAsJsonAsync("/api/schedules", Hourly("other"));
        using var replace = await reader.PutAsJsonAsync("/api/schedules/crawl_pending/hourly", new { interval = "PT2H" });
        using var pause = await reader.PostAsJsonAsync("/api/schedules/crawl_pending/hourly/pause", new { reason = "no" });
        using var resume = await reader.PostAsync("/api/schedules/crawl_pending/hourly/resume", null);
        using var delete = await reader.DeleteAsync("/api/schedules/crawl_pending/hourly");
        using var preview = await reader.PostAsJsonAsync("/api/schedules/preview", new { interval = "PT2H" });

        new[] { create, replace, pause, resume, delete }.Select(r => r.StatusCode).Should().OnlyContain(s => s == HttpStatusCode.Forbidden);
        preview.StatusCode.Should().Be(HttpStatusCode.OK, "a preview changes nothing and readers may ask for one");
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.QueryAsync<string>("SELECT name FROM job_schedules")).Should().Equal("hourly");
        (await connection.QueryAsync<string>("SELECT action FROM audit_log")).Should().Equal("schedule.create");
    }

    [Test]
    public async Task Preview_OfAnIntervalFromAStart_AndOfACronInAZone_GivesTheirNextFireTimes()
    {
        var start = DateTimeOffset.UtcNow.AddDays(1).Date;

        using var interval = await Service.Client.PostAsJsonAsync("/api/schedules/preview", new { interval = "PT90M", startAt = start, count = 3 });
        using var cron = await Service.Client.PostAsJsonAsync("/api/schedules/preview", new { cron = "30 6 * * 1-5", timeZone = "Europe/Berlin" });
        using var bad = await Service.Client.PostAsJsonAsync("/api/schedules/preview", new { interval = "soon" });

        var intervalPreview = (await interval.Content.ReadFromJsonAsync<SchedulePreview>())!;
        intervalPreview.NextFireTimes.Select(f => f.Utc).Should().Equal(new DateTimeOffset(start), new DateTimeOffset(start).AddMinutes(90), new DateTimeOffset(start).AddMinutes(180));
        var cronPreview = (await cron.Content.ReadFromJsonAsync<SchedulePreview>())!;
        cronPreview.Cron.Should().Be("0 30 6 ? * MON-FRI");
        cronPreview.NextFireTimes.Should().HaveCount(5).And.OnlyContain(f => f.Local.Hour == 6 && f.Local.Minute == 30 && f.Local.DayOfWeek != DayOfWeek.Saturday && f.Local.DayOfWeek != DayOfWeek.Sunday);
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using var problem = JsonDocument.Parse(await bad.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("errors").GetProperty("interval")[0].GetString().Should().NotBeNullOrWhiteSpace();
    }
}
