using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Scheduling;

/// <summary>
/// <c>/api/schedules</c> against one service: read, change (Quartz and 5-field cron), return to configuration,
/// pause with an end, resume, and refusals. <c>weekly_digest</c> runs on its configured schedule in Berlin time.
/// </summary>
public sealed class SchedulesApiTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:weekly_digest:Scheduled"] = "true",
        ["Jobs:weekly_digest:TimeZone"] = "Europe/Berlin",
        ["Recovery:HeartbeatInterval"] = "00:00:00.5",
        ["Recovery:StaleAfter"] = "00:00:05",
    };

    [TearDown]
    public async Task BackToConfiguration()
    {
        using var reset = await Service.Client.DeleteAsync("/api/schedules/weekly_digest/override");
        reset.StatusCode.Should().BeOneOf([HttpStatusCode.OK, HttpStatusCode.NotFound], await reset.Content.ReadAsStringAsync());
        using var resume = await Service.Client.PostAsync("/api/schedules/weekly_digest/resume", null);
        resume.StatusCode.Should().BeOneOf([HttpStatusCode.OK, HttpStatusCode.Conflict], await resume.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task List_ShowsEveryType_WithItsNextFiveFireTimesInUtcAndInItsZone()
    {
        using var reader = Service.CreateClient(TestTokens.Reader);

        var schedules = (await reader.GetFromJsonAsync<List<ScheduleView>>("/api/schedules"))!;

        schedules.Select(s => s.JobType).Should().BeEquivalentTo(Scheduler.Jobs.Catalog.JobCatalog.Defaults.Names);
        var digest = schedules.Single(s => s.JobType == JobTypes.WeeklyDigest);
        digest.Cron.Should().Be("0 0 9 ? * MON");
        digest.TimeZone.Should().Be("Europe/Berlin");
        digest.Source.Should().Be("configuration");
        digest.Drift.Should().BeFalse();
        digest.Runs.Should().BeTrue();
        digest.NextFireTimes.Should().HaveCount(5);
        digest.NextFireTimes.Should().OnlyContain(f => f.Local.DayOfWeek == DayOfWeek.Monday && f.Local.Hour == 9 && f.Local.Minute == 0 && f.Utc == f.Local);
        schedules.Single(s => s.JobType == JobTypes.CrawlPending).NextFireTimes.Should().BeEmpty("the tests run crawl_pending by hand only");
    }

    [Test]
    public async Task Change_WithAUnixCron_TakesEffect_IsReportedAsDrift_AndIsAudited()
    {
        using var response = await Service.Client.PutAsJsonAsync("/api/schedules/weekly_digest", new { cron = "*/15 * * * *", timeZone = "America/New_York" });

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var view = (await response.Content.ReadFromJsonAsync<ScheduleView>())!;
        view.Source.Should().Be("override");
        view.Drift.Should().BeTrue();
        view.Override!.ChangedBy.Should().Be(TestTokens.AdminSubject);
        view.TimeZone.Should().Be("America/New_York");
        view.NextFireTimes.Zip(view.NextFireTimes.Skip(1)).Should().OnlyContain(p => p.Second.Utc - p.First.Utc == TimeSpan.FromMinutes(15));
        await using var connection = await TestDatabase.OpenAsync();
        var stored = await connection.QuerySingleAsync<(string Cron, string Zone)>(
            "SELECT cron_expression, time_zone_id FROM qrtz_cron_triggers WHERE trigger_name = 'weekly_digest'");
        stored.Zone.Should().Be("America/New_York");
        stored.Cron.Should().Be(view.Cron);
        var audit = (await Service.Client.GetFromJsonAsync<AuditPage>("/api/audit?action=schedule.change&jobType=weekly_digest"))!;
        audit.Entries.Should().NotBeEmpty();
        audit.Entries[0].Details!.Value.GetProperty("after").GetProperty("timeZone").GetString().Should().Be("America/New_York");
    }

    [Test]
    public async Task ResetOverride_ReturnsToConfiguration_AndASecondResetIs404()
    {
        (await Service.Client.PutAsJsonAsync("/api/schedules/weekly_digest", new { cron = "0 30 7 ? * TUE" })).EnsureSuccessStatusCode();

        using var reset = await Service.Client.DeleteAsync("/api/schedules/weekly_digest/override");
        using var again = await Service.Client.DeleteAsync("/api/schedules/weekly_digest/override");

        reset.StatusCode.Should().Be(HttpStatusCode.OK);
        var view = (await reset.Content.ReadFromJsonAsync<ScheduleView>())!;
        view.Source.Should().Be("configuration");
        view.Cron.Should().Be("0 0 9 ? * MON");
        again.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [TestCase("""{"cron":"every monday"}""", "cron", TestName = "Change_WithAnInvalidCron_Returns400ExplainingWhy")]
    [TestCase("""{"cron":"0 9 */2 * 1"}""", "cron", TestName = "Change_WithAUnixCronQuartzCannotExpress_Returns400")]
    [TestCase("""{"timeZone":"Mars/Olympus_Mons"}""", "timeZone", TestName = "Change_WithAnUnknownZone_Returns400")]
    [TestCase("""{}""", "body", TestName = "Change_WithNothingToChange_Returns400")]
    public async Task Change_BadInput_Returns400NamingTheField_AndChangesNothing(string body, string field)
    {
        using var response = await Service.Client.PutAsync("/api/schedules/weekly_digest", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("errors").GetProperty(field)[0].GetString().Should().NotBeNullOrWhiteSpace();
        (await Service.Client.GetFromJsonAsync<ScheduleView>("/api/schedules/weekly_digest"))!.Source.Should().Be("configuration");
    }

    [TestCase("""{"cron":"0 0 9 1 1 ? 2020"}""", TestName = "Change_ToACronWhoseYearsHavePassed_Returns400NamingCron_AndLeavesNothingBehind")]
    [TestCase("""{"cron":"0 0 9 1 1 ? 2020","enabled":false}""", TestName = "Change_ToACronThatNeverFires_IsRefusedEvenSwitchedOff")]
    [TestCase("""{"cron":"0 0 9 1 1 ? 2019-2021","timeZone":"Europe/Berlin"}""", TestName = "Change_ToAYearRangeInThePast_Returns400NamingCron")]
    public async Task Change_ToACronThatNeverFiresAgain_Returns400NamingCron_AndStoresNothing(string body)
    {
        await using var connection = await TestDatabase.OpenAsync();
        const string TriggerSql = "SELECT cron_expression || ' ' || time_zone_id FROM qrtz_cron_triggers WHERE trigger_name = 'weekly_digest'";
        const string AcceptedChangesSql = "SELECT count(*) FROM audit_log WHERE action = 'schedule.change' AND outcome = 'accepted'";
        const string ScheduleEventsSql = "SELECT count(*) FROM scheduler_events WHERE topic = 'schedule'";
        var triggerBefore = await connection.QuerySingleAsync<string>(TriggerSql);
        var nextFireBefore = await connection.QuerySingleAsync<long>("SELECT next_fire_time FROM qrtz_triggers WHERE trigger_name = 'weekly_digest'");
        var acceptedBefore = await connection.ExecuteScalarAsync<long>(AcceptedChangesSql);
        var eventsBefore = await connection.ExecuteScalarAsync<long>(ScheduleEventsSql);

        using var response = await Service.Client.PutAsync("/api/schedules/weekly_digest", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        errors.EnumerateObject().Select(p => p.Name).Should().Equal(["cron"]);
        errors.GetProperty("cron")[0].GetString().Should().Contain("never fires again");
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM schedule_overrides")).Should().Be(0);
        (await connection.ExecuteScalarAsync<long>(AcceptedChangesSql)).Should().Be(acceptedBefore);
        (await connection.ExecuteScalarAsync<long>(ScheduleEventsSql)).Should().Be(eventsBefore);
        (await connection.QuerySingleAsync<string>(TriggerSql)).Should().Be(triggerBefore);
        (await connection.QuerySingleAsync<long>("SELECT next_fire_time FROM qrtz_triggers WHERE trigger_name = 'weekly_digest'")).Should().Be(nextFireBefore);
        var view = (await Service.Client.GetFromJsonAsync<ScheduleView>("/api/schedules/weekly_digest"))!;
        view.Source.Should().Be("configuration");
        view.Invalid.Should().BeFalse();
    }

    [Test]
    public async Task Change_WhenQuartzsStoreFailsAfterTheOverrideIsWritten_LeavesNoOverrideBehind()
    {
        await using var connection = await TestDatabase.OpenAsync();
        const string TriggerSql = "SELECT cron_expression || ' ' || time_zone_id FROM qrtz_cron_triggers WHERE trigger_name = 'weekly_digest'";
        var triggerBefore = await connection.QuerySingleAsync<string>(TriggerSql);
        var acceptedBefore = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'schedule.change' AND outcome = 'accepted'");
        var eventsBefore = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduler_events WHERE topic = 'schedule'");
        // The fault: Quartz's store refuses to write weekly_digest's cron trigger, after the override row is written.
        await connection.ExecuteAsync("""
            CREATE FUNCTION test_refuse_weekly_digest() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF (CASE WHEN TG_OP = 'DELETE' THEN OLD.trigger_name ELSE NEW.trigger_name END) = 'weekly_digest' THEN
                RAISE EXCEPTION 'injected: writes of weekly_digest are refused';
              END IF;
              RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END $$;
            CREATE TRIGGER test_refuse_weekly_digest BEFORE INSERT OR UPDATE OR DELETE ON qrtz_cron_triggers
              FOR EACH ROW EXECUTE FUNCTION test_refuse_weekly_digest();
            """);
        HttpResponseMessage response;
        try
        {
            response = await Service.Client.PutAsJsonAsync("/api/schedules/weekly_digest", new { cron = "0 0 7 ? * TUE" });
        }
        finally
        {
            await connection.ExecuteAsync("DROP TRIGGER test_refuse_weekly_digest ON qrtz_cron_triggers; DROP FUNCTION test_refuse_weekly_digest();");
        }

        using (response)
        {
            response.StatusCode.Should().Be(HttpStatusCode.InternalServerError, await response.Content.ReadAsStringAsync());
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }

        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM schedule_overrides")).Should().Be(0);
        (await connection.QuerySingleAsync<string>(TriggerSql)).Should().Be(triggerBefore);
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'schedule.change' AND outcome = 'accepted'")).Should().Be(acceptedBefore);
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'schedule.change' AND outcome = 'failed'")).Should().Be(1);
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduler_events WHERE topic = 'schedule'")).Should().Be(eventsBefore);
        (await Service.Client.GetFromJsonAsync<ScheduleView>("/api/schedules/weekly_digest"))!.Source.Should().Be("configuration");
    }

    [Test]
    public async Task Change_OnlyTheZone_OfAnOverrideThatNoLongerFires_Returns400NamingCron()
    {
        // An override stored by an older version: the change keeps its cron, so the whole is checked, not only the field given.
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO schedule_overrides (job_type, cron, time_zone, enabled, changed_by, changed_at)
            VALUES ('weekly_digest', '0 0 9 1 1 ? 2020', 'UTC', true, 'psql', now())
            """);

        using var response = await Service.Client.PutAsJsonAsync("/api/schedules/weekly_digest", new { timeZone = "Europe/Paris" });
        var view = (await Service.Client.GetFromJsonAsync<ScheduleView>("/api/schedules/weekly_digest"))!;

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        (await response.Content.ReadAsStringAsync()).Should().Contain("\"cron\"");
        (await connection.QuerySingleAsync<string>("SELECT time_zone FROM schedule_overrides WHERE job_type = 'weekly_digest'")).Should().Be("UTC");
        view.Invalid.Should().BeTrue();
        view.InvalidReason.Should().Contain("never fires again");
        view.NextFireTimes.Should().BeEmpty();
    }

    [Test]
    public async Task Backfill_OfAnInvalidSchedule_Returns409SayingWhy()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO schedule_overrides (job_type, cron, time_zone, enabled, changed_by, changed_at)
            VALUES ('weekly_digest', '0 0 9 ? * MON', 'Mars/Olympus_Mons', true, 'psql', now())
            """);

        using var response = await Service.Client.PostAsJsonAsync("/api/schedules/weekly_digest/backfill",
            new { from = DateTimeOffset.UtcNow.AddDays(-14), to = DateTimeOffset.UtcNow.AddMinutes(-1), dryRun = true });

        response.StatusCode.Should().Be(HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
        (await response.Content.ReadAsStringAsync()).Should().Contain("Mars/Olympus_Mons");
    }

    [Test]
    public async Task UnknownType_Is404_AndReadersCannotChange()
    {
        using var reader = Service.CreateClient(TestTokens.Reader);

        (await Service.Client.GetAsync("/api/schedules/no_such_job")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await reader.PutAsJsonAsync("/api/schedules/weekly_digest", new { cron = "0 0 9 ? * MON" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await reader.PostAsJsonAsync("/api/schedules/weekly_digest/pause", new { reason = "x" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task Pause_WithUntil_ShowsReasonOwnerAndEnd_ThenResumesByItself()
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(3);
        using var anna = Service.CreateClient(TestTokens.AdminAs("ops_anna"));

        using var response = await anna.PostAsJsonAsync("/api/schedules/weekly_digest/pause", new { reason = "email provider migration", until });
        var paused = (await response.Content.ReadFromJsonAsync<ScheduleView>())!;
        var resumed = await Eventually.Until(async () => (await Service.Client.GetFromJsonAsync<ScheduleView>("/api/schedules/weekly_digest"))!,
            s => !s.Paused, TimeSpan.FromSeconds(20), "the pause to end by itself");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        paused.Paused.Should().BeTrue();
        paused.Pause!.Reason.Should().Be("email provider migration");
        paused.Pause.PausedBy.Should().Be("ops_anna");
        paused.Pause.Since.Should().NotBeNull();
        paused.Pause.Until.Should().BeCloseTo(until, TimeSpan.FromMilliseconds(1));
        resumed.Pause.Should().BeNull();
        var trail = (await Service.Client.GetFromJsonAsync<AuditPage>("/api/audit?jobType=weekly_digest&action=schedule.resume"))!;
        trail.Entries.Should().Contain(e => e.Actor == "scheduler");
    }

    [Test]
    public async Task Pause_WithoutAReason_Is400_AndResumeWhenNotPausedIs409()
    {
        (await Service.Client.PostAsJsonAsync("/api/schedules/weekly_digest/pause", new { until = DateTimeOffset.UtcNow.AddHours(1) }))
            .StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Service.Client.PostAsJsonAsync("/api/schedules/weekly_digest/pause", new { reason = "x", until = DateTimeOffset.UtcNow.AddHours(-1) }))
            .StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Service.Client.PostAsync("/api/schedules/weekly_digest/resume", null)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await Service.Client.PostAsJsonAsync("/api/schedules/crawl_pending/pause", new { reason = "x" }))
            .StatusCode.Should().Be(HttpStatusCode.Conflict, "crawl_pending has no schedule in these tests");
    }

    [Test]
    public async Task Pause_AndResumeByHand_AreAudited_AndAPausedChangedScheduleStaysPaused()
    {
        (await Service.Client.PostAsJsonAsync("/api/schedules/weekly_digest/pause", new { reason = "holiday freeze" })).EnsureSuccessStatusCode();
        using var changed = await Service.Client.PutAsJsonAsync("/api/schedules/weekly_digest", new { cron = "0 0 10 ? * MON" });
        var view = (await changed.Content.ReadFromJsonAsync<ScheduleView>())!;
        using var resume = await Service.Client.PostAsync("/api/schedules/weekly_digest/resume", null);

        view.Paused.Should().BeTrue("replacing the trigger keeps its pause");
        view.Pause!.Reason.Should().Be("holiday freeze");
        resume.StatusCode.Should().Be(HttpStatusCode.OK);
        var actions = (await Service.Client.GetFromJsonAsync<AuditPage>("/api/audit?jobType=weekly_digest"))!.Entries.Select(e => e.Action).ToList();
        actions.Should().Contain([AuditActions.SchedulePause, AuditActions.ScheduleChange, AuditActions.ScheduleResume]);
    }

    [Test]
    public async Task Types_DescribeTheCatalog_WithTheTriggerParameters()
    {
        using var reader = Service.CreateClient(TestTokens.Reader);

        var types = (await reader.GetFromJsonAsync<List<JobTypeInfo>>("/api/jobs/types"))!;

        types.Select(t => t.Name).Should().BeEquivalentTo(Scheduler.Jobs.Catalog.JobCatalog.Defaults.Names);
        var crawl = types.Single(t => t.Name == JobTypes.CrawlPending);
        crawl.Kind.Should().Be("Workflow");
        crawl.TimeoutSeconds.Should().Be(1800);
        crawl.DefaultSchedule.Cron.Should().Be("0 0/15 * * * ?");
        crawl.Parameters.Select(p => (p.Name, p.Type, p.Default)).Should().BeEquivalentTo([("batchSize", "integer", 100), ("maxBatches", "integer", 50)]);
        types.Single(t => t.Name == JobTypes.EmailScan).Parameters.Should().BeEmpty();
        types.Single(t => t.Name == JobTypes.UpdateMetrics).Enabled.Should().BeFalse();
    }

    [TestCase("""{"jobType":"crawl_pending","parameters":{"batchSiz":5}}""", "parameters.batchSiz", "accepts: batchSize, maxBatches", TestName = "Trigger_WithAnUnknownParameter_Returns400NamingIt")]
    [TestCase("""{"jobType":"crawl_pending","parameters":{"batchSize":"5"}}""", "parameters.batchSize", "whole number", TestName = "Trigger_WithAParameterOfTheWrongType_Returns400NamingIt")]
    [TestCase("""{"jobType":"crawl_pending","parameters":{"batchSize":5000}}""", "parameters.batchSize", "from 1 to 1000", TestName = "Trigger_WithAParameterOutOfRange_Returns400NamingIt")]
    [TestCase("""{"jobType":"email_scan","parameters":{"batchSize":5}}""", "parameters.batchSize", "takes no parameters", TestName = "Trigger_WithParametersForATypeThatTakesNone_Returns400")]
    public async Task Trigger_ParametersAreCheckedAgainstTheCatalog(string body, string field, string mentions)
    {
        using var response = await Service.Client.PostAsync("/api/jobs/trigger", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("errors").GetProperty(field)[0].GetString().Should().Contain(mentions);
    }

    [Test]
    public async Task Trigger_WithABatchSize_RunsWithIt()
    {
        StandIns.State.SeedDiscoveries(5);

        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending, parameters = new { batchSize = 2 } });
        var id = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        var done = await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);

        done.Result!.ItemsProcessed.Should().Be(5);
        StandIns.State.RequestsTo("GET", "/api/discoveries").Where(r => r.At >= done.StartedAt).Should().OnlyContain(r => r.Query.Contains("limit=2"));
    }
}
