using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

/// <summary>One pending-or-running execution per job type; Idempotency-Key makes a trigger repeatable.</summary>
public sealed class TriggerConflictTests : ServiceFixture
{
    [SetUp]
    public async Task Reset()
    {
        StandIns.State.Reset();
        await WaitUntilIdleAsync();
    }

    [Test]
    public async Task HundredConcurrentTriggers_OfOneType_StartExactlyOneExecution_AndAnswer409NamingIt()
    {
        HoldTheRunOpen();

        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
            Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending })));

        var unexpected = await Task.WhenAll(answers.Where(a => a.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.Conflict))
            .Select(async a => $"{(int)a.StatusCode}: {await a.Content.ReadAsStringAsync()}"));
        unexpected.Should().BeEmpty();
        answers.Count(a => a.StatusCode == HttpStatusCode.Accepted).Should().Be(1);
        answers.Count(a => a.StatusCode == HttpStatusCode.Conflict).Should().Be(99);
        var winner = (await answers.Single(a => a.StatusCode == HttpStatusCode.Accepted).Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        foreach (var conflict in answers.Where(a => a.StatusCode == HttpStatusCode.Conflict))
        {
            var problem = await conflict.Content.ReadFromJsonAsync<JsonElement>();
            problem.GetProperty("executionId").GetGuid().Should().Be(winner);
            problem.GetProperty("detail").GetString().Should().Contain(winner.ToString());
        }

        (await CountAsync(JobTypes.CrawlPending)).Should().Be(1);
        await CancelAsync(winner);
    }

    [Test]
    public async Task HundredConcurrentTriggers_WithOneIdempotencyKey_AllAnswerTheSameExecution()
    {
        HoldTheRunOpen();
        var key = $"dashboard-{Guid.NewGuid():N}";

        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => TriggerWithKeyAsync(key, new { jobType = JobTypes.CrawlPending })));

        answers.Select(a => a.StatusCode).Should().OnlyContain(s => s == HttpStatusCode.Accepted || s == HttpStatusCode.OK);
        answers.Count(a => a.StatusCode == HttpStatusCode.Accepted).Should().Be(1, "only the first call creates it");
        var ids = await Task.WhenAll(answers.Select(async a => (await a.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id));
        ids.Distinct().Should().ContainSingle();
        (await CountAsync(JobTypes.CrawlPending)).Should().Be(1);
        await CancelAsync(ids[0]);
    }

    [Test]
    public async Task IdempotencyKey_ReusedWithADifferentBody_Answers422_AndCreatesNothing()
    {
        var key = $"dashboard-{Guid.NewGuid():N}";
        var first = await TriggerWithKeyAsync(key, new { jobType = JobTypes.CrawlPending, parameters = new { batchSize = 25 } });
        var id = (await first.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        await Service.WaitForStatusAsync(id, ExecutionStatus.Completed);

        var replay = await TriggerWithKeyAsync(key, new { jobType = JobTypes.CrawlPending, parameters = new { batchSize = 25 } });
        var changed = await TriggerWithKeyAsync(key, new { jobType = JobTypes.CrawlPending, parameters = new { batchSize = 30 } });

        replay.StatusCode.Should().Be(HttpStatusCode.OK, "the same key and body name the same execution, even after it finished");
        (await replay.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Should().Match<TriggerJobResponse>(r => r.Id == id && r.Status == ExecutionStatus.Completed);
        changed.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("executionId").GetGuid().Should().Be(id);
        (await CountAsync(JobTypes.CrawlPending)).Should().Be(1);
    }

    [Test]
    public async Task IdempotencyKey_ThatIsNotVisibleAscii_Answers400NamingTheHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/trigger") { Content = JsonContent.Create(new { jobType = JobTypes.CrawlPending }) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 201));

        using var response = await Service.Client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("Idempotency-Key", out _).Should().BeTrue();
        (await CountAsync(JobTypes.CrawlPending)).Should().Be(0);
    }

    [Test]
    public async Task Trigger_WhenQuartzCannotStoreTheTrigger_Answers503_AndStoresNothingOfTheRun_ButAuditsTheFailure()
    {
        // A real refusal from the database on Quartz's own insert, for this one type only.
        await using (var connection = await TestDatabase.OpenAsync())
        {
            await connection.ExecuteAsync("""
                CREATE OR REPLACE FUNCTION test_refuse_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                CREATE TRIGGER test_refuse_trigger BEFORE INSERT ON qrtz_triggers
                  FOR EACH ROW WHEN (NEW.job_name = 'email_scan') EXECUTE FUNCTION test_refuse_trigger();
                """);
        }

        try
        {
            using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.EmailScan });

            response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, await response.Content.ReadAsStringAsync());
            (await CountAsync(JobTypes.EmailScan)).Should().Be(0, "the pending row rolls back with the trigger");
            await using var connection = await TestDatabase.OpenAsync();
            var audits = (await connection.QueryAsync<string>(
                "SELECT outcome FROM audit_log WHERE action = 'job.trigger' AND job_type = @jobType AND at > now() - interval '1 minute'",
                new { jobType = JobTypes.EmailScan })).ToList();
            audits.Should().Equal(["failed"], "the accepted row rolled back; the failure is recorded after it");
        }
        finally
        {
            await using var connection = await TestDatabase.OpenAsync();
            await connection.ExecuteAsync("DROP TRIGGER test_refuse_trigger ON qrtz_triggers; DROP FUNCTION test_refuse_trigger()");
        }

        using var again = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.EmailScan });
        again.StatusCode.Should().Be(HttpStatusCode.Accepted, "the type was never left busy");
    }

    private void HoldTheRunOpen() =>
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 30_000));

    private async Task<HttpResponseMessage> TriggerWithKeyAsync(string key, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/trigger") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await Service.Client.SendAsync(request);
    }

    private async Task CancelAsync(Guid id)
    {
        using var response = await Service.Client.PostAsync($"/api/jobs/{id}/cancel", null);
        response.IsSuccessStatusCode.Should().BeTrue();
        await Eventually.Until(() => Service.GetExecutionAsync(id), e => e.Status == ExecutionStatus.Cancelled, TimeSpan.FromSeconds(20), $"{id} to be cancelled");
    }

    private static async Task WaitUntilIdleAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await Eventually.Until(
            () => connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE status IN ('pending', 'running')"),
            n => n == 0, TimeSpan.FromSeconds(20), "no active execution");
        await connection.ExecuteAsync("TRUNCATE scheduled_jobs");
    }

    private static async Task<int> CountAsync(string jobType)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE job_type = @jobType", new { jobType });
    }
}
