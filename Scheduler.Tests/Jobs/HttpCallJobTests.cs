using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Jobs;

public sealed class HttpCallJobTests : ServiceFixture
{
    private static readonly string AdminCredentials =
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{StandInState.DefaultAdminUsername}:{StandInState.DefaultAdminPassword}"));

    // A maintenance call added by configuration alone: no class, no code.
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:search_reindex:Kind"] = "HttpCall",
        ["Jobs:search_reindex:Service"] = "CoreApi",
        ["Jobs:search_reindex:Path"] = "/v1/admin/search/reindex",
        ["Jobs:search_reindex:Cron"] = "0 30 3 * * ?",
        ["Jobs:search_reindex:Scheduled"] = "false",
        ["Jobs:search_reindex:ItemsField"] = "processed",
    };

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [TestCase(JobTypes.ExportDlqReplay, "/v1/admin/export-dead-letter")]
    [TestCase(JobTypes.OutboxDlqReplay, "/v1/admin/outbox/dead-letter")]
    [TestCase(JobTypes.EmailScan, "/v1/admin/email-scan")]
    [TestCase(JobTypes.RetentionCleanup, "/v1/admin/retention/cleanup")]
    [TestCase(JobTypes.AdminCleanup, "/v1/admin/cleanup")]
    public async Task CoreApiJob_PostsItsAdminEndpoint_WithBasicAuthAndAnIdempotencyKey(string jobType, string path)
    {
        var done = await Service.RunAsync(jobType);

        done.Status.Should().Be(ExecutionStatus.Completed, done.Error);
        var call = StandIns.State.Requests.Should().ContainSingle().Subject;
        call.Method.Should().Be("POST");
        call.Path.Should().Be(path);
        call.Body.Should().BeEmpty();
        call.Headers["Authorization"].Should().Be(AdminCredentials);
        call.Headers["Idempotency-Key"].Should().Be($"{jobType}:{done.Id}");
        done.Result!.Details["call"]!.ToString().Should().Be($"POST {path}");
        ((JsonElement)done.Result.Details["response"]!).GetProperty("processed").GetInt32().Should().Be(1);
        done.Result.ItemsProcessed.Should().Be(1, "the core API's 'processed' is the count");
    }

    [Test]
    public async Task ConfiguredHttpCallJob_RunsWithoutCodeChanges_AndCountsWhatTheServiceReports()
    {
        StandIns.State.SetAdminProcessed("/v1/admin/search/reindex", 314);

        var types = await Service.Client.GetFromJsonAsync<JsonElement>("/api/jobs?type=search_reindex");
        var done = await Service.RunAsync("search_reindex");

        types.GetProperty("total").GetInt32().Should().Be(0, "the type is known to the API (no 400 for an unknown type)");
        done.Status.Should().Be(ExecutionStatus.Completed, done.Error);
        done.Result!.ItemsProcessed.Should().Be(314);
        StandIns.State.RequestsTo("POST", "/v1/admin/search/reindex").Should().ContainSingle()
            .Which.Headers["Authorization"].Should().Be(AdminCredentials);
    }

    [Test]
    public async Task CoreApiJob_WhenTheCredentialsAreRefused_FailsNamingTheCall_WithoutEchoingThem()
    {
        StandIns.State.AdminPassword = "rotated-elsewhere";

        var failed = await Service.RunAsync(JobTypes.AdminCleanup);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        failed.Error.Should().Be("core API service answered 401 Unauthorized to POST /v1/admin/cleanup");
        StandIns.State.RequestsTo("POST", "/v1/admin/cleanup").Should().ContainSingle("a 401 is not transient and is not retried");
        await using var connection = await TestDatabase.OpenAsync();
        var stored = await connection.ExecuteScalarAsync<string>("SELECT row_to_json(s)::text FROM scheduled_jobs s WHERE id = @id", new { id = failed.Id });
        stored.Should().NotContain(StandInState.DefaultAdminPassword).And.NotContain(AdminCredentials["Basic ".Length..]);
    }

    [Test]
    public async Task CoreApiJob_WhenTheServiceAnswers500_RetriesWithTheSameKey_ThenFailsNamingServiceAndStatus()
    {
        StandIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(Status: 500));

        var failed = await Service.RunAsync(JobTypes.EmailScan);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        failed.Error.Should().Be("core API service answered 500 InternalServerError to POST /v1/admin/email-scan");
        StandIns.State.RequestsTo("POST", "/v1/admin/email-scan").Select(r => r.Headers["Idempotency-Key"])
            .Should().HaveCount(3, "1 + 2 attempts (Services:CoreApi:MaxRetries)").And.OnlyContain(k => k == $"{JobTypes.EmailScan}:{failed.Id}");
    }

    [Test]
    public async Task DisabledJobType_RefusesManualTriggers_With409()
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.SubmissionNotifications });

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await response.Content.ReadAsStringAsync()).Should().Contain("Jobs:submission_notifications:Enabled");
        StandIns.State.Requests.Should().BeEmpty();
    }
}
