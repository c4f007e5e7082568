using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Execution;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Api;

/// <summary>
/// <c>POST /api/jobs/retry-failed</c> and <c>POST /api/jobs/cancel-pending</c>. Failed runs are written straight into
/// the history, each test in a window of its own (days of 2021), so the filters are tested against exact lists.
/// </summary>
public sealed class BulkOperationsApiTests : ServiceFixture
{
    private const string Timeout30 = "crawler timed out after 30s calling http://crawler.local/api/crawl/batch?id=6f1c2a9e-1111-4a8b-9c3d-123456789abc";
    private const string Timeout45 = "crawler timed out after 45s calling http://crawler.local/api/crawl/batch";
    private const string TimeoutReason = "crawler timed out after <n>s calling <url>";

    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Runs:BulkRetryLimit"] = "5" };

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task RetryFailed_DryRun_ListsTheFailedRunsEndedInTheWindow_NotYetRetried_OldestFirst_AndChangesNothing()
    {
        var day = Day(1);
        var second = await InsertFailedAsync(JobTypes.EmailScan, day.AddHours(2), "boom 2");
        var first = await InsertFailedAsync(JobTypes.CrawlPending, day.AddHours(1), Timeout30);
        await InsertFailedAsync(JobTypes.CrawlPending, day.AddHours(-1), "before the window");
        await InsertFailedAsync(JobTypes.CrawlPending, day.AddDays(1), "at 'to': outside");
        await InsertAsync(JobTypes.CrawlPending, "completed", day.AddHours(3), null);
        var retriedAlready = await InsertFailedAsync(JobTypes.EmailScan, day.AddHours(4), "retried already");
        var newestAttempt = await InsertFailedAsync(JobTypes.EmailScan, day.AddHours(5), "the retry failed too", retryOf: retriedAlready);
        var before = await CountExecutionsAsync();

        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/retry-failed", new { from = day, to = day.AddDays(1), dryRun = true });

        var answer = await OkAsync<RetryFailedResponse>(response);
        answer.DryRun.Should().BeTrue();
        answer.Items.Select(i => i.Id).Should().Equal(first, second, newestAttempt);
        answer.Items[0].Should().BeEquivalentTo(new RetryFailedItem(first, JobTypes.CrawlPending, day.AddHours(1), TimeoutReason));
        answer.Items.Should().OnlyContain(i => i.RetryId == null && i.Error == null);
        answer.Should().BeEquivalentTo(new { Matched = 3, Retried = 0, NotRetried = 0, Remaining = 0, Truncated = false });
        (await CountExecutionsAsync()).Should().Be(before, "a dry run records nothing");
    }

    [Test]
    public async Task RetryFailed_FiltersByTypeAndNormalisedReason()
    {
        var day = Day(2);
        var a = await InsertFailedAsync(JobTypes.CrawlPending, day.AddHours(1), Timeout30);
        var b = await InsertFailedAsync(JobTypes.CrawlPending, day.AddHours(2), Timeout45);
        await InsertFailedAsync(JobTypes.CrawlPending, day.AddHours(3), "crawler answered 503");
        await InsertFailedAsync(JobTypes.EmailScan, day.AddHours(4), Timeout30);

        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/retry-failed",
            new { type = JobTypes.CrawlPending, from = day, to = day.AddDays(1), reason = TimeoutReason, dryRun = true });

        var answer = await OkAsync<RetryFailedResponse>(response);
        answer.Items.Select(i => i.Id).Should().Equal(a, b);
        answer.Items.Should().OnlyContain(i => i.Reason == TimeoutReason);
    }

    [Test]
    public async Task RetryFailed_RetriesEachRun_AsANewExecutionLinkedByRetryOf_AndAnswersItsId()
    {
        var day = Day(3);
        var crawl = await InsertFailedAsync(JobTypes.CrawlPending, day.AddHours(1), "boom");
        var scan = await InsertFailedAsync(JobTypes.EmailScan, day.AddHours(2), "boom");
        using var ben = Service.CreateClient(TestTokens.AdminAs("ops_ben"));

        using var response = await ben.PostAsJsonAsync("/api/jobs/retry-failed", new { from = day, to = day.AddDays(1) });

        var answer = await OkAsync<RetryFailedResponse>(response);
        answer.Should().BeEquivalentTo(new { DryRun = false, Matched = 2, Retried = 2, NotRetried = 0 });
        answer.Items.Select(i => i.Id).Should().Equal(crawl, scan);
        foreach (var item in answer.Items)
        {
            item.Error.Should().BeNull();
            var retry = await Service.WaitForStatusAsync(item.RetryId!.Value, ExecutionStatus.Completed, TimeSpan.FromSeconds(60));
            retry.RetryOf.Should().Be(item.Id);
            retry.Trigger.Should().Be(ExecutionTrigger.Retry);
            retry.Attempt.Should().Be(2);
            retry.JobType.Should().Be(item.JobType);
            retry.StartedBy.Should().Be("ops_ben");
        }

        using var again = await ben.PostAsJsonAsync("/api/jobs/retry-failed", new { from = day, to = day.AddDays(1), dryRun = true });
        (await OkAsync<RetryFailedResponse>(again)).Items.Should().BeEmpty("a retried run is no longer a candidate");
    }

    [Test]
    public async Task RetryFailed_RetriesOneRunOfATypePerCall_TheOthersAnswerBusy_AndStayCandidates()
    {
        var day = Day(4);
        var first = await InsertFailedAsync(JobTypes.OutboxDlqReplay, day.AddHours(1), "boom");
        var second = await InsertFailedAsync(JobTypes.OutboxDlqReplay, day.AddHours(2), "boom");

        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/retry-failed", new { from = day, to = day.AddDays(1) });

        var answer = await OkAsync<RetryFailedResponse>(response);
        answer.Should().BeEquivalentTo(new { Matched = 2, Retried = 1, NotRetried = 1 });
        var retryId = answer.Items[0].RetryId!.Value;
        answer.Items[0].Id.Should().Be(first);
        answer.Items[1].Should().BeEquivalentTo(new { Id = second, RetryId = (Guid?)null, ActiveExecutionId = (Guid?)retryId });
        answer.Items[1].Error.Should().StartWith("busy: ");
        await Service.WaitForStatusAsync(retryId, ExecutionStatus.Completed, TimeSpan.FromSeconds(60));

        using var later = await Service.Client.PostAsJsonAsync("/api/jobs/retry-failed", new { from = day, to = day.AddDays(1) });

        var next = await OkAsync<RetryFailedResponse>(later);
        next.Items.Should().ContainSingle().Which.Id.Should().Be(second);
        var secondRetry = await Service.WaitForStatusAsync(next.Items[0].RetryId!.Value, ExecutionStatus.Completed, TimeSpan.FromSeconds(60));
        secondRetry.RetryOf.Should().Be(second);
    }

    [Test]
    public async Task RetryFailed_ARunOfABusyType_IsReportedBusy_AsTheSingleRetryWouldBe()
    {
        var day = Day(5);
        var failed = await InsertFailedAsync(JobTypes.ExportDlqReplay, day.AddHours(1), "boom");
        var active = await InsertAsync(JobTypes.ExportDlqReplay, "running", null, null);
        try
        {
            using var response = await Service.Client.PostAsJsonAsync("/api/jobs/retry-failed", new { from = day, to = day.AddDays(1) });

            var answer = await OkAsync<RetryFailedResponse>(response);
            answer.Items.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Id = failed, RetryId = (Guid?)null, ActiveExecutionId = (Guid?)active });
            (await RetriesOfAsync(failed)).Should().Be(0);
            (await AuditAsync(AuditActions.JobRetry, failed.ToString())).Should().ContainSingle().Which.Outcome.Should().Be(AuditOutcomes.Conflict);
        }
        finally
        {
            await EndAsync(active);
        }
    }

    [Test]
    public async Task RetryFailed_TakesAtMostTheLimit_AndSaysHowManyAreLeft()
    {
        var day = Day(6);
        var ids = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await InsertFailedAsync(JobTypes.CrawlPending, day.AddMinutes(i + 1), "boom"));
        }

        using var capped = await Service.Client.PostAsJsonAsync("/api/jobs/retry-failed", new { from = day, to = day.AddDays(1), dryRun = true });
        using var lowered = await Service.Client.PostAsJsonAsync("/api/jobs/retry-failed", new { from = day, to = day.AddDays(1), dryRun = true, limit = 2 });

        var byCap = await OkAsync<RetryFailedResponse>(capped);
        byCap.Items.Select(i => i.Id).Should().Equal(ids.Take(5), "Runs:BulkRetryLimit is 5 here");
        byCap.Should().BeEquivalentTo(new { Matched = 7, Remaining = 2, Truncated = true });
        var byLimit = await OkAsync<RetryFailedResponse>(lowered);
        byLimit.Items.Select(i => i.Id).Should().Equal(ids.Take(2));
        byLimit.Should().BeEquivalentTo(new { Matched = 7, Remaining = 5, Truncated = true });
    }

    [TestCase("{\"to\":\"2021-02-01T00:00:00Z\"}", "from")]
    [TestCase("{\"from\":\"2021-02-01T00:00:00Z\"}", "to")]
    [TestCase("{\"from\":\"2021-02-02T00:00:00Z\",\"to\":\"2021-02-01T00:00:00Z\"}", "to")]
    [TestCase("{\"from\":\"2021-02-01T00:00:00Z\",\"to\":\"2021-02-01T00:00:00Z\"}", "to")]
    [TestCase("{\"from\":\"yesterday\",\"to\":\"2021-02-01T00:00:00Z\"}", "from")]
    [TestCase("{\"type\":\"no_such_type\",\"from\":\"2021-01-01T00:00:00Z\",\"to\":\"2021-02-01T00:00:00Z\"}", "type")]
    [TestCase("{\"from\":\"2021-01-01T00:00:00Z\",\"to\":\"2021-02-01T00:00:00Z\",\"limit\":0}", "limit")]
    [TestCase("{\"from\":\"2021-01-01T00:00:00Z\",\"to\":\"2021-02-01T00:00:00Z\",\"limit\":6}", "limit")]
    public async Task RetryFailed_Answers400NamingTheField_AndRetriesNothing(string body, string field)
    {
        var failed = await InsertFailedAsync(JobTypes.CrawlPending, Day(20), "boom");

        using var response = await Service.Client.PostAsync("/api/jobs/retry-failed", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, text);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        using var problem = JsonDocument.Parse(text);
        problem.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).Should().Contain(name => name.Equals(field, StringComparison.OrdinalIgnoreCase), text);
        (await RetriesOfAsync(failed)).Should().Be(0);
    }

    [Test]
    public async Task RetryFailed_WritesOneAuditRowForTheCall_WithItsFilterAndCounts_BesideEachRetrysOwnRow()
    {
        var day = Day(7);
        var failed = await InsertFailedAsync(JobTypes.RetentionCleanup, day.AddHours(1), "boom");
        var busy = await InsertFailedAsync(JobTypes.RetentionCleanup, day.AddHours(2), "boom");
        using var cleo = Service.CreateClient(TestTokens.AdminAs("ops_cleo"));

        using var response = await cleo.PostAsJsonAsync("/api/jobs/retry-failed", new { type = JobTypes.RetentionCleanup, from = day, to = day.AddDays(1) });

        var answer = await OkAsync<RetryFailedResponse>(response);
        var retryId = answer.Items[0].RetryId!.Value;
        var call = (await AuditAsync(AuditActions.JobRetryFailed, null)).Should().ContainSingle(e => e.Actor == "ops_cleo").Subject;
        call.JobType.Should().Be(JobTypes.RetentionCleanup);
        call.Outcome.Should().Be(AuditOutcomes.Accepted);
        var details = call.Details!.Value;
        details.GetProperty("filter").GetProperty("type").GetString().Should().Be(JobTypes.RetentionCleanup);
        details.GetProperty("matched").GetInt32().Should().Be(2);
        details.GetProperty("retried").GetInt32().Should().Be(1);
        details.GetProperty("notRetried").GetInt32().Should().Be(1);
        details.GetProperty("retries")[0].GetProperty("retryId").GetGuid().Should().Be(retryId);
        details.GetProperty("notRetriedRuns")[0].GetProperty("id").GetGuid().Should().Be(busy);
        var single = (await AuditAsync(AuditActions.JobRetry, failed.ToString())).Should().ContainSingle().Subject;
        single.Actor.Should().Be("ops_cleo");
        single.Details!.Value.GetProperty("retryExecutionId").GetGuid().Should().Be(retryId);
        single.Details!.Value.GetProperty("reason").GetString().Should().Be($"bulk retry {details.GetProperty("bulkId").GetGuid()}");
        (await AuditAsync(AuditActions.JobRetry, busy.ToString())).Should().BeEmpty("a run this call left busy is listed in the call's row only");
        await Service.WaitForStatusAsync(retryId, ExecutionStatus.Completed, TimeSpan.FromSeconds(60));
    }

    [Test]
    public async Task CancelPending_DryRun_ListsPendingAndScheduledRunsOfTheType_AndChangesNothing()
    {
        var pending = await InsertAsync(JobTypes.AdminCleanup, "pending", null, null);
        var scheduled = await ScheduleLaterAsync(JobTypes.AdminCleanup);
        await InsertAsync(JobTypes.EmailScan, "pending", null, null, cleanUp: true);
        try
        {
            using var response = await Service.Client.PostAsJsonAsync("/api/jobs/cancel-pending", new { type = JobTypes.AdminCleanup, dryRun = true });

            var answer = await OkAsync<CancelPendingResponse>(response);
            answer.Items.Select(i => (i.Id, i.Status)).Should().Equal((pending, ExecutionStatus.Pending), (scheduled, ExecutionStatus.Scheduled));
            answer.Items.Should().OnlyContain(i => !i.Cancelled && i.Error == null);
            answer.Should().BeEquivalentTo(new { DryRun = true, Matched = 2, Cancelled = 0, NotCancelled = 0, Truncated = false });
            (await Service.GetExecutionAsync(pending)).Status.Should().Be(ExecutionStatus.Pending);
            (await Service.GetExecutionAsync(scheduled)).Status.Should().Be(ExecutionStatus.Scheduled);
        }
        finally
        {
            await EndAsync(pending);
            await CancelThroughApiAsync(scheduled);
        }
    }

    [Test]
    public async Task CancelPending_CancelsEachPendingAndScheduledRun_AndUnschedulesTheScheduledRunsTrigger()
    {
        var pending = await InsertAsync(JobTypes.WeeklyDigest, "pending", null, null);
        var scheduled = await ScheduleLaterAsync(JobTypes.WeeklyDigest);
        var submitter = Service.Services.GetRequiredService<ExecutionSubmitter>();
        (await submitter.IsSubmittedAsync(scheduled, CancellationToken.None)).Should().BeTrue();
        using var dana = Service.CreateClient(TestTokens.AdminAs("ops_dana"));

        using var response = await dana.PostAsJsonAsync("/api/jobs/cancel-pending", new { type = JobTypes.WeeklyDigest });

        var answer = await OkAsync<CancelPendingResponse>(response);
        answer.Items.Select(i => i.Id).Should().Equal(pending, scheduled);
        answer.Should().BeEquivalentTo(new { DryRun = false, Matched = 2, Cancelled = 2, NotCancelled = 0 });
        foreach (var id in new[] { pending, scheduled })
        {
            var execution = await Service.GetExecutionAsync(id);
            execution.Status.Should().Be(ExecutionStatus.Cancelled);
            execution.CancelledBy.Should().Be("ops_dana");
            (await AuditAsync(AuditActions.JobCancel, id.ToString())).Should().ContainSingle().Which.Actor.Should().Be("ops_dana");
        }

        (await submitter.IsSubmittedAsync(scheduled, CancellationToken.None)).Should().BeFalse("its trigger went with the cancel");
        var call = (await AuditAsync(AuditActions.JobCancelPending, null)).Should().ContainSingle(e => e.Actor == "ops_dana").Subject;
        call.Details!.Value.GetProperty("cancelled").GetInt32().Should().Be(2);
        call.Details!.Value.GetProperty("cancelledRuns").EnumerateArray().Select(e => e.GetGuid()).Should().Equal(pending, scheduled);
    }

    [Test]
    public async Task CancelPending_LeavesARunningRunRunning()
    {
        var running = await InsertAsync(JobTypes.WeeklyDigest, "running", null, null);
        try
        {
            using var response = await Service.Client.PostAsJsonAsync("/api/jobs/cancel-pending", new { type = JobTypes.WeeklyDigest });

            (await OkAsync<CancelPendingResponse>(response)).Items.Should().BeEmpty();
            var execution = await Service.GetExecutionAsync(running);
            execution.Status.Should().Be(ExecutionStatus.Running);
            execution.CancelRequestedAt.Should().BeNull("a run that has started is not a pending one");
        }
        finally
        {
            await EndAsync(running);
        }
    }

    [Test]
    public async Task CancelPending_TakesAtMostTheLimit_AndSaysHowManyAreLeft()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await ScheduleLaterAsync(JobTypes.CleanupOldData));
        }

        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/cancel-pending", new { type = JobTypes.CleanupOldData, limit = 2 });
        using var rest = await Service.Client.PostAsJsonAsync("/api/jobs/cancel-pending", new { type = JobTypes.CleanupOldData });

        var answer = await OkAsync<CancelPendingResponse>(response);
        answer.Items.Select(i => i.Id).Should().Equal(ids.Take(2));
        answer.Should().BeEquivalentTo(new { Matched = 3, Cancelled = 2, Remaining = 1, Truncated = true });
        (await OkAsync<CancelPendingResponse>(rest)).Items.Select(i => i.Id).Should().Equal(ids[2]);
    }

    [TestCase("{\"type\":\"no_such_type\"}", "type")]
    [TestCase("{\"limit\":0}", "limit")]
    [TestCase("{\"limit\":6}", "limit")]
    public async Task CancelPending_Answers400NamingTheField(string body, string field)
    {
        using var response = await Service.Client.PostAsync("/api/jobs/cancel-pending", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, text);
        using var problem = JsonDocument.Parse(text);
        problem.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).Should().Contain(name => name.Equals(field, StringComparison.OrdinalIgnoreCase), text);
    }

    [TestCase("/api/jobs/retry-failed")]
    [TestCase("/api/jobs/cancel-pending")]
    public async Task BulkOperations_Answer403ToAReader_AndChangeNothing(string path)
    {
        var day = Day(8);
        var failed = await InsertFailedAsync(JobTypes.CrawlPending, day.AddHours(1), "boom");
        var pending = await InsertAsync(JobTypes.CleanupOldData, "pending", null, null);
        using var reader = Service.CreateClient(TestTokens.Reader);
        try
        {
            using var response = await reader.PostAsJsonAsync(path, new { from = day, to = day.AddDays(1), type = (string?)null });

            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await RetriesOfAsync(failed)).Should().Be(0);
            (await Service.GetExecutionAsync(pending)).Status.Should().Be(ExecutionStatus.Pending);
        }
        finally
        {
            await EndAsync(pending);
        }
    }

    private static DateTimeOffset Day(int n) => new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(n);

    private static async Task<T> OkAsync<T>(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }

    private static Task<Guid> InsertFailedAsync(string jobType, DateTimeOffset completedAt, string error, Guid? retryOf = null) =>
        InsertAsync(jobType, "failed", completedAt, error, retryOf);

    private static readonly List<Guid> Strays = [];

    private static async Task<Guid> InsertAsync(string jobType, string status, DateTimeOffset? completedAt, string? error, Guid? retryOf = null, bool cleanUp = false)
    {
        await using var connection = await TestDatabase.OpenAsync();
        var id = await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, started_at, completed_at, error, retry_of, root_id, attempt, created_at)
            VALUES (@jobType, @status, CASE WHEN @retryOf::uuid IS NULL THEN 'manual' ELSE 'retry' END, 'test',
                    CASE WHEN @status = 'pending' THEN NULL ELSE COALESCE(@completedAt::timestamptz - interval '1 minute', now()) END,
                    @completedAt, @error, @retryOf, @retryOf, CASE WHEN @retryOf::uuid IS NULL THEN 1 ELSE 2 END,
                    COALESCE(@completedAt::timestamptz - interval '2 minutes', clock_timestamp()))
            RETURNING id
            """, new { jobType, status, completedAt, error, retryOf });
        if (cleanUp)
        {
            Strays.Add(id);
        }

        return id;
    }

    /// <summary>Ends a row a test left pending or running, so its type is free for the next test.</summary>
    private static async Task EndAsync(Guid id)
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync(
            "UPDATE scheduled_jobs SET status = 'failed', completed_at = now(), error = 'ended by the test' WHERE (id = @id OR id = ANY(@strays)) AND status IN ('pending', 'running')",
            new { id, strays = Strays.ToArray() });
    }

    private async Task<Guid> ScheduleLaterAsync(string jobType)
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType, delay = "PT1H" });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
    }

    private async Task CancelThroughApiAsync(Guid id)
    {
        using var response = await Service.Client.PostAsync($"/api/jobs/{id}/cancel", null);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private static async Task<long> RetriesOfAsync(Guid id)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE retry_of = @id", new { id });
    }

    private static async Task<long> CountExecutionsAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs");
    }

    private async Task<IReadOnlyList<AuditEntry>> AuditAsync(string action, string? targetId)
    {
        var page = (await Service.Client.GetFromJsonAsync<AuditPage>($"/api/audit?action={action}&limit=100"))!;
        return [.. page.Entries.Where(e => targetId is null || e.TargetId == targetId)];
    }
}
