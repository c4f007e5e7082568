using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Execution;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

/// <summary>Runs for later: <c>runAt</c> and <c>delay</c> on trigger and retry, what a scheduled run holds, cancelling one.</summary>
public sealed class DelayedRunTests : ServiceFixture
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(40);

    [SetUp]
    public async Task Reset()
    {
        StandIns.State.Reset();
        await using var connection = await TestDatabase.OpenAsync();
        // Each test starts with no active or scheduled run of any type.
        await connection.ExecuteAsync("UPDATE scheduled_jobs SET status = 'cancelled' WHERE status IN ('scheduled', 'pending')");
    }

    [Test]
    public async Task Trigger_WithDelay_IsScheduledAtOnce_ThenBecomesPendingAndRunningWhenDue_AndCompletes()
    {
        StandIns.State.SeedDiscoveries(3);

        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending, delay = "PT3S" });
        var accepted = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!;
        var recorded = await Service.GetExecutionAsync(accepted.Id);
        var done = await Service.WaitForStatusAsync(accepted.Id, ExecutionStatus.Completed, Generous);

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        response.Headers.Location!.ToString().Should().Be($"/api/jobs/{accepted.Id}");
        accepted.Status.Should().Be(ExecutionStatus.Scheduled);
        accepted.ScheduledFor.Should().BeAfter(accepted.CreatedAt).And.BeOnOrBefore(accepted.CreatedAt.AddSeconds(3), "three seconds from when it was asked for");
        recorded.Status.Should().BeOneOf(ExecutionStatus.Scheduled, ExecutionStatus.Pending, ExecutionStatus.Running, ExecutionStatus.Completed);
        recorded.ScheduledFor.Should().Be(accepted.ScheduledFor);
        done.StartedAt.Should().BeOnOrAfter(accepted.ScheduledFor!.Value, "it starts when it is due, not before");
        done.Trigger.Should().Be(ExecutionTrigger.Manual);
        done.Result!.ItemsProcessed.Should().Be(3);
        (await StatusesOfAsync(accepted.Id)).Should().Equal(
            ["scheduled", "pending", "running", "completed"], "each step of its life is a status change the live view sees");
        (await KindsOfAsync(accepted.Id)).Should().Equal("created", "due", "started", "finished");
    }

    [Test]
    public async Task ScheduledRun_DoesNotBlockAManualTriggerOfItsType()
    {
        var later = await ScheduleAsync(JobTypes.CrawlPending, new { jobType = JobTypes.CrawlPending, runAt = InOneHour() });

        var now = await Service.RunAsync(JobTypes.CrawlPending);

        now.Status.Should().Be(ExecutionStatus.Completed);
        (await Service.GetExecutionAsync(later)).Status.Should().Be(ExecutionStatus.Scheduled);
    }

    [Test]
    public async Task Cancel_AScheduledRun_UnschedulesItsTrigger_AndItNeverRuns()
    {
        StandIns.State.SeedDiscoveries(2);
        var doomed = await ScheduleAsync(JobTypes.CrawlPending, new { jobType = JobTypes.CrawlPending, delay = "PT3S" });
        var submitter = Service.Services.GetRequiredService<ExecutionSubmitter>();
        (await submitter.IsSubmittedAsync(doomed, CancellationToken.None)).Should().BeTrue();

        using var anna = Service.CreateClient(TestTokens.AdminAs("ops_anna"));
        using var response = await anna.PostAsJsonAsync($"/api/jobs/{doomed}/cancel", new { reason = "not tonight" });
        var submittedAfter = await submitter.IsSubmittedAsync(doomed, CancellationToken.None);
        // A witness of another type, due after the cancelled one: once it has run, the cancelled one's time has passed.
        var witness = await ScheduleAsync(JobTypes.CleanupOldData, new { jobType = JobTypes.CleanupOldData, delay = "PT4S" });
        await Service.WaitForStatusAsync(witness, ExecutionStatus.Completed, Generous);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var cancelled = (await response.Content.ReadFromJsonAsync<JobExecution>())!;
        cancelled.Status.Should().Be(ExecutionStatus.Cancelled);
        cancelled.Error.Should().Be("cancelled by ops_anna before it ran");
        submittedAfter.Should().BeFalse("its trigger is unscheduled in the cancel's own transaction");
        var after = await Service.GetExecutionAsync(doomed);
        after.Status.Should().Be(ExecutionStatus.Cancelled);
        after.StartedAt.Should().BeNull();
        StandIns.State.RequestsTo("GET", "/api/discoveries").Should().BeEmpty("the cancelled run never ran");
        await using var connection = await TestDatabase.OpenAsync();
        var audit = await connection.QuerySingleAsync<string>(
            "SELECT details::text FROM audit_log WHERE action = 'job.cancel' AND target_id = @id", new { id = doomed.ToString() });
        JsonDocument.Parse(audit).RootElement.GetProperty("wasScheduled").GetBoolean().Should().BeTrue();
    }

    [TestCase("""{"jobType":"crawl_pending","runAt":"2020-01-01T00:00:00Z"}""", "runAt", "Must be in the future")]
    [TestCase("""{"jobType":"crawl_pending","runAt":"tomorrow"}""", "runAt", "ISO 8601 instant")]
    [TestCase("""{"jobType":"crawl_pending","runAt":"2031-01-01T10:00:00"}""", "runAt", "with an offset")]
    [TestCase("""{"jobType":"crawl_pending","delay":"30 seconds"}""", "delay", "ISO 8601 duration")]
    [TestCase("""{"jobType":"crawl_pending","delay":"-PT30S"}""", "delay", "longer than zero")]
    [TestCase("""{"jobType":"crawl_pending","delay":"P91D"}""", "delay", "at most 90 days ahead (Runs:MaxDelay)")]
    [TestCase("""{"jobType":"crawl_pending","runAt":"2031-01-01T10:00:00Z","delay":"PT30S"}""", "delay", "not both")]
    public async Task Trigger_Returns400NamingTheField_WhenWhenIsInvalid_AndRecordsNothing(string body, string field, string message)
    {
        using var response = await Service.Client.PostAsync("/api/jobs/trigger", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<HttpValidationProblem>())!;
        problem.Errors.Should().ContainKey(field).WhoseValue.Single().Should().Contain(message);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE status IN ('scheduled', 'pending')")).Should().Be(0);
    }

    [Test]
    public async Task Trigger_Returns400NamingRunAt_WhenBeyondTheHorizon()
    {
        var tooFar = DateTimeOffset.UtcNow.AddDays(91).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending, runAt = tooFar });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<HttpValidationProblem>())!;
        problem.Errors["runAt"].Single().Should().Contain("at most 90 days ahead");
    }

    [Test]
    public async Task Retry_WithRunAt_SchedulesTheRetry_WhichRunsWhenDue()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(Status: 500));
        var failed = await Service.RunAsync(JobTypes.CrawlPending);
        StandIns.State.ClearFault("GET", "/api/discoveries");
        var at = DateTimeOffset.UtcNow.AddSeconds(3);

        using var response = await Service.Client.PostAsJsonAsync($"/api/jobs/{failed.Id}/retry",
            new { reason = "after the fix", runAt = at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture) });
        var accepted = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!;
        var retried = await Service.WaitForStatusAsync(accepted.Id, ExecutionStatus.Completed, Generous);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        accepted.Status.Should().Be(ExecutionStatus.Scheduled);
        accepted.ScheduledFor.Should().BeCloseTo(at, TimeSpan.FromMilliseconds(1));
        retried.RetryOf.Should().Be(failed.Id);
        retried.Trigger.Should().Be(ExecutionTrigger.Retry);
        retried.Attempt.Should().Be(2);
        retried.StartedAt.Should().BeOnOrAfter(accepted.ScheduledFor!.Value);
    }

    [Test]
    public async Task Retry_Returns400NamingRunAt_WhenInThePast_AndRecordsNothing()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(Status: 500));
        var failed = await Service.RunAsync(JobTypes.CrawlPending);
        StandIns.State.ClearFault("GET", "/api/discoveries");

        using var response = await Service.Client.PostAsJsonAsync($"/api/jobs/{failed.Id}/retry", new { runAt = "2020-01-01T00:00:00Z" });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<HttpValidationProblem>())!.Errors.Should().ContainKey("runAt");
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduled_jobs WHERE retry_of = @id", new { id = failed.Id })).Should().Be(0);
    }

    [Test]
    public async Task ScheduledRun_ComingDueWhileItsTypeRuns_IsSkipped_NamingTheActiveRun()
    {
        StandIns.State.SeedDiscoveries(2);
        StandIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 15_000, Times: 1));
        var busy = await Service.TriggerAsync(JobTypes.CrawlPending);
        await Service.WaitForStatusAsync(busy, ExecutionStatus.Running);

        var later = await ScheduleAsync(JobTypes.CrawlPending, new { jobType = JobTypes.CrawlPending, delay = "PT2S" });
        var skipped = await Service.WaitForStatusAsync(later, ExecutionStatus.Skipped, Generous);

        skipped.Error.Should().Be($"skipped: execution {busy} of crawl_pending was still pending or running when this run came due");
        skipped.StartedAt.Should().BeNull();
        ((JsonElement)skipped.Result!.Details["failure"]!).GetString().Should().Be(FailureKind.Overlap.ToText());
        (await Service.GetExecutionAsync(busy)).Status.Should().Be(ExecutionStatus.Running, "the active run is not disturbed");
        using var cancel = await Service.Client.PostAsync($"/api/jobs/{busy}/cancel", null);
        await Service.WaitForStatusAsync(busy, ExecutionStatus.Cancelled);
    }

    [Test]
    public async Task History_FiltersByStatusScheduled()
    {
        var later = await ScheduleAsync(JobTypes.EmailScan, new { jobType = JobTypes.EmailScan, runAt = InOneHour() });

        var page = (await Service.Client.GetFromJsonAsync<JobExecutionPage>("/api/jobs?status=scheduled"))!;

        page.Jobs.Should().ContainSingle(j => j.Id == later).Which.ScheduledFor.Should().NotBeNull();
        page.Jobs.Should().OnlyContain(j => j.Status == ExecutionStatus.Scheduled);
        page.Total.Should().Be(page.Jobs.Count);
    }

    [Test]
    public async Task Status_ReportsEachTypesNextScheduledRun_AndHowMany()
    {
        var first = await ScheduleAsync(JobTypes.EmailScan, new { jobType = JobTypes.EmailScan, runAt = InOneHour() });
        await ScheduleAsync(JobTypes.EmailScan, new { jobType = JobTypes.EmailScan, runAt = InOneHour(2) });

        var report = (await Service.Client.GetFromJsonAsync<JobStatusReport>("/api/jobs/status"))!;

        var emailScan = report.Jobs.Single(j => j.Name == JobTypes.EmailScan).ScheduledRuns!;
        emailScan.Count.Should().Be(2);
        emailScan.NextId.Should().Be(first);
        emailScan.NextScheduledFor.Should().Be((await Service.GetExecutionAsync(first)).ScheduledFor!.Value);
        report.Jobs.Single(j => j.Name == JobTypes.CrawlPending).ScheduledRuns.Should().BeNull();
    }

    [Test]
    public async Task Trigger_WithTheSameIdempotencyKeyAndRunAt_ReplaysTheScheduledRun_AndADifferentRunAtIs422()
    {
        var runAt = InOneHour();
        using var first = await KeyedTriggerAsync("later-1", new { jobType = JobTypes.EmailScan, runAt });
        using var again = await KeyedTriggerAsync("later-1", new { jobType = JobTypes.EmailScan, runAt });
        using var other = await KeyedTriggerAsync("later-1", new { jobType = JobTypes.EmailScan, runAt = InOneHour(2) });

        first.StatusCode.Should().Be(HttpStatusCode.Accepted);
        again.StatusCode.Should().Be(HttpStatusCode.OK);
        (await again.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id.Should().Be((await first.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id);
        other.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    private async Task<HttpResponseMessage> KeyedTriggerAsync(string key, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/trigger") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await Service.Client.SendAsync(request);
    }

    private async Task<Guid> ScheduleAsync(string jobType, object body)
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", body);
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, $"{jobType}: {await response.Content.ReadAsStringAsync()}");
        var accepted = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!;
        accepted.Status.Should().Be(ExecutionStatus.Scheduled);
        return accepted.Id;
    }

    private static string InOneHour(int hours = 1) =>
        DateTimeOffset.UtcNow.AddHours(hours).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<IReadOnlyList<string>> StatusesOfAsync(Guid id)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return [.. await connection.QueryAsync<string>(
            "SELECT status FROM scheduler_events WHERE execution_id = @id AND kind <> 'progressed' ORDER BY tx, id", new { id })];
    }

    private static async Task<IReadOnlyList<string>> KindsOfAsync(Guid id)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return [.. await connection.QueryAsync<string>(
            "SELECT kind FROM scheduler_events WHERE execution_id = @id AND kind <> 'progressed' ORDER BY tx, id", new { id })];
    }

    private sealed record HttpValidationProblem(string Title, int Status, Dictionary<string, string[]> Errors);
}
