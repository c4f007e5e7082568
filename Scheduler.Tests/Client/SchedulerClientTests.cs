using System.Net;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Client;
using Scheduler.Contracts;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Client;

/// <summary>The typed client, registered with AddSchedulerClient, against the real service with real local-issuer tokens.</summary>
public sealed class SchedulerClientTests : ServiceFixture
{
    private readonly List<ServiceProvider> _providers = [];

    /// <summary>The weekly digest on its schedule, so that it can be paused; it does not fire during the tests.</summary>
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { [$"Jobs:{JobTypes.WeeklyDigest}:Scheduled"] = "true" };

    [OneTimeTearDown]
    public async Task DisposeProviders()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    private SchedulerClient ClientWith(string token)
    {
        var services = new ServiceCollection();
        services.AddSchedulerClient(options =>
        {
            options.BaseAddress = Service.Client.BaseAddress;
            options.TokenProvider = _ => ValueTask.FromResult(token);
        });
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<SchedulerClient>();
    }

    [Test]
    public async Task Trigger_CrawlPending_IsAccepted_AndGetAsyncSeesItComplete()
    {
        var client = ClientWith(TestTokens.Admin);

        var accepted = await client.TriggerAsync(JobTypes.CrawlPending, new { batchSize = 50 });

        accepted.JobType.Should().Be(JobTypes.CrawlPending);
        accepted.Status.Should().Be(ExecutionStatus.Pending);
        var finished = await Eventually.Until(() => client.GetAsync(accepted.Id), e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running),
            TimeSpan.FromSeconds(30), "the triggered crawl to finish");
        finished.Status.Should().Be(ExecutionStatus.Completed);
        finished.Parameters!.Value.GetProperty("batchSize").GetInt32().Should().Be(50);
        finished.Result!.Success.Should().BeTrue();
    }

    [Test]
    public async Task Schedule_RecordsARunForLater_AndCancelStopsIt()
    {
        var client = ClientWith(TestTokens.Admin);
        var runAt = new DateTimeOffset(DateTime.UtcNow.AddHours(3).Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero).ToOffset(TimeSpan.FromHours(2));

        var scheduled = await client.ScheduleAsync(JobTypes.EmailScan, runAt);
        var cancelled = await client.CancelAsync(scheduled.Id, "not needed after all");

        scheduled.Status.Should().Be(ExecutionStatus.Scheduled);
        scheduled.ScheduledFor.Should().Be(runAt, "the same instant, whatever offset it was given in");
        cancelled.Status.Should().Be(ExecutionStatus.Cancelled);
    }

    [Test]
    public async Task Trigger_WithTheSameIdempotencyKey_AnswersTheSameExecution()
    {
        var client = ClientWith(TestTokens.AdminAs("client-idempotent"));
        var key = $"client-{Guid.NewGuid():N}";

        var first = await client.TriggerAsync(JobTypes.CrawlPending, idempotencyKey: key);
        var second = await client.TriggerAsync(JobTypes.CrawlPending, idempotencyKey: key);

        second.Id.Should().Be(first.Id);
        await Eventually.Until(() => client.GetAsync(first.Id), e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running),
            TimeSpan.FromSeconds(30), "the triggered crawl to finish");
    }

    [Test]
    public async Task Trigger_WithAReaderToken_ThrowsForbidden_WithProblemDetails()
    {
        var client = ClientWith(TestTokens.Reader);

        var thrown = await FluentActions.Awaiting(() => client.TriggerAsync(JobTypes.CrawlPending)).Should().ThrowAsync<SchedulerApiException>();

        thrown.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        thrown.Which.Problem.Status.Should().Be(403);
        thrown.Which.Detail.Should().Contain("Scheduler.Admin");
    }

    [Test]
    public async Task Trigger_UnknownType_ThrowsBadRequest_NamingTheField()
    {
        var client = ClientWith(TestTokens.Admin);

        var thrown = await FluentActions.Awaiting(() => client.TriggerAsync("no_such_type")).Should().ThrowAsync<SchedulerApiException>();

        thrown.Which.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        thrown.Which.Errors.Should().ContainKey("jobType").WhoseValue.Should().ContainSingle().Which.Should().Contain(JobTypes.CrawlPending);
    }

    [Test]
    public async Task Get_UnknownExecution_ThrowsNotFound()
    {
        var client = ClientWith(TestTokens.Reader);

        var thrown = await FluentActions.Awaiting(() => client.GetAsync(Guid.NewGuid())).Should().ThrowAsync<SchedulerApiException>();

        thrown.Which.StatusCode.Should().Be(HttpStatusCode.NotFound);
        thrown.Which.Title.Should().Be("Execution not found");
    }

    [Test]
    public async Task List_PagesThroughOneCallersRuns_ByPageAndByCursor()
    {
        const string caller = "client-paging";
        var admin = ClientWith(TestTokens.AdminAs(caller));
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var accepted = await admin.TriggerAsync(JobTypes.CrawlPending);
            await Eventually.Until(() => admin.GetAsync(accepted.Id), e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running),
                TimeSpan.FromSeconds(30), "the crawl to finish");
            ids.Add(accepted.Id);
        }

        var reader = ClientWith(TestTokens.Reader);
        var first = await reader.ListAsync(new JobListFilter { StartedBy = caller, Type = JobTypes.CrawlPending, Limit = 2 });
        var second = await reader.ListAsync(new JobListFilter { StartedBy = caller, Type = JobTypes.CrawlPending, Limit = 2, Page = 2 });
        var byCursor = await reader.ListAsync(new JobListFilter { StartedBy = caller, Type = JobTypes.CrawlPending, Limit = 2, Cursor = first.NextCursor });

        first.Total.Should().Be(3);
        first.Jobs.Select(j => j.Id).Should().Equal(ids[2], ids[1]);
        first.NextCursor.Should().NotBeNull();
        second.Jobs.Select(j => j.Id).Should().Equal(ids[0]);
        byCursor.Jobs.Select(j => j.Id).Should().Equal(ids[0]);
    }

    [Test]
    public async Task Stats_OfARun_CountIt_InTheBucketAskedFor()
    {
        var admin = ClientWith(TestTokens.AdminAs("client-stats"));
        var accepted = await admin.TriggerAsync(JobTypes.EmailScan);
        var run = await Eventually.Until(() => admin.GetAsync(accepted.Id), e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running),
            TimeSpan.FromSeconds(30), "the scan to finish");
        var ended = run.CompletedAt!.Value;

        var stats = await ClientWith(TestTokens.Reader).GetStatsAsync(new JobStatsFilter
        {
            From = ended.AddMinutes(-30), To = ended.AddMinutes(30), Type = JobTypes.EmailScan, Bucket = "minute",
        });

        stats.Bucket.Should().Be("minute");
        var scan = stats.Types.Should().ContainSingle().Subject;
        scan.JobType.Should().Be(JobTypes.EmailScan);
        (scan.Counts.Completed + scan.Counts.Failed).Should().Be(1);
        scan.Series.Should().HaveCount(61);
        var fromClient = await FluentActions.Awaiting(() => admin.GetStatsAsync(new JobStatsFilter { Bucket = "week" })).Should().ThrowAsync<SchedulerApiException>();
        fromClient.Which.Errors.Should().ContainKey("bucket");
    }

    [Test]
    public async Task Status_And_Schedules_ReadTheCatalog()
    {
        var client = ClientWith(TestTokens.Reader);

        (await client.StatusAsync()).Jobs.Select(j => j.Name).Should().Contain(JobTypes.CrawlPending);
        (await client.ListSchedulesAsync()).Select(s => s.JobType).Should().Contain(JobTypes.CrawlPending);
        (await client.GetScheduleAsync(JobTypes.CrawlPending)).JobType.Should().Be(JobTypes.CrawlPending);
        var thrown = await FluentActions.Awaiting(() => client.GetScheduleAsync("no_such_type")).Should().ThrowAsync<SchedulerApiException>();
        thrown.Which.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task PauseAndResume_ChangeTheSchedule_AndAReaderMayNot()
    {
        var admin = ClientWith(TestTokens.Admin);

        var paused = await admin.PauseScheduleAsync(JobTypes.WeeklyDigest, "client test", until: null);
        var resumed = await admin.ResumeScheduleAsync(JobTypes.WeeklyDigest);

        paused.Paused.Should().BeTrue();
        paused.Pause!.Reason.Should().Be("client test");
        resumed.Paused.Should().BeFalse();
        var thrown = await FluentActions.Awaiting(() => ClientWith(TestTokens.Reader).PauseScheduleAsync(JobTypes.WeeklyDigest, "not allowed")).Should().ThrowAsync<SchedulerApiException>();
        thrown.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }
}
