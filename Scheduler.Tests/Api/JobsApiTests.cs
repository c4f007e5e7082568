using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Api;

public sealed class JobsApiTests : ServiceFixture
{
    private static readonly DateTime Origin = new(2025, 10, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>20 executions one hour apart: crawl_pending alternating completed/failed, by alice or bob; plus 4 of an older type.</summary>
    protected override async Task OnStartedAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        for (var i = 0; i < 20; i++)
        {
            await connection.ExecuteAsync("""
                INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, created_at, updated_at, started_at, completed_at, result)
                VALUES ('crawl_pending', @status, 'manual', @who, @at, @at, @at, @at, '{"success":true,"itemsProcessed":1,"errors":[],"details":{}}')
                """, new { status = i % 2 == 0 ? "completed" : "failed", who = i % 4 == 0 ? "alice" : "bob", at = Origin.AddHours(i) });
        }

        for (var i = 0; i < 4; i++)
        {
            await connection.ExecuteAsync("""
                INSERT INTO scheduled_jobs (job_type, status, trigger, scheduled_for, started_by, created_at, updated_at)
                VALUES ('legacy_report', 'completed', 'cron', @at, 'scheduler', @at, @at)
                """, new { at = Origin.AddDays(-1).AddHours(i) });
        }
    }

    [Test]
    public async Task List_WithoutFilters_ReturnsNewestFirst_WithTotalAndDefaultLimit()
    {
        var page = await ListAsync("/api/jobs");

        page.Total.Should().Be(24);
        page.Page.Should().Be(1);
        page.Limit.Should().Be(50);
        page.Jobs.Should().HaveCount(24);
        page.Jobs.Select(j => j.CreatedAt).Should().BeInDescendingOrder();
        page.Jobs[0].CreatedAt.Should().Be(new DateTimeOffset(Origin.AddHours(19)));
    }

    [Test]
    public async Task List_FilteredByTypeAndStatus_ReturnsOnlyMatches()
    {
        var page = await ListAsync("/api/jobs?type=crawl_pending&status=failed&limit=50");

        page.Total.Should().Be(10);
        page.Jobs.Should().HaveCount(10).And.OnlyContain(j => j.JobType == "crawl_pending" && j.Status == ExecutionStatus.Failed);
    }

    [Test]
    public async Task List_FilteredByStartedByAndTimeWindow_ReturnsOnlyMatches()
    {
        var from = Origin.AddHours(4).ToString("o");
        var to = Origin.AddHours(16).ToString("o");

        var page = await ListAsync($"/api/jobs?startedBy=alice&from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}");

        // alice: hours 0, 4, 8, 12, 16; the window is [4h, 16h).
        page.Jobs.Select(j => j.CreatedAt.UtcDateTime).Should().Equal(Origin.AddHours(12), Origin.AddHours(8), Origin.AddHours(4));
        page.Total.Should().Be(3);
    }

    [Test]
    public async Task List_Paged_ReturnsConsecutiveSlices_AndTheSameTotal()
    {
        var first = await ListAsync("/api/jobs?type=crawl_pending&limit=7&page=1");
        var second = await ListAsync("/api/jobs?type=crawl_pending&limit=7&page=2");
        var third = await ListAsync("/api/jobs?type=crawl_pending&limit=7&page=3");
        var beyond = await ListAsync("/api/jobs?type=crawl_pending&limit=7&page=9");

        first.Jobs.Should().HaveCount(7);
        second.Jobs.Should().HaveCount(7);
        third.Jobs.Should().HaveCount(6);
        beyond.Jobs.Should().BeEmpty();
        new[] { first.Total, second.Total, third.Total, beyond.Total }.Should().OnlyContain(t => t == 20);
        first.Jobs.Concat(second.Jobs).Concat(third.Jobs).Select(j => j.Id).Should().OnlyHaveUniqueItems().And.HaveCount(20);
        second.Jobs[0].CreatedAt.Should().BeBefore(first.Jobs[^1].CreatedAt);
        second.Page.Should().Be(2);
        second.Limit.Should().Be(7);
    }

    [Test]
    public async Task Get_ReturnsTheExecutionInTheSeedShape()
    {
        var any = (await ListAsync("/api/jobs?status=failed&limit=1")).Jobs[0];

        var response = await Service.Client.GetAsync($"/api/jobs/{any.Id}");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        root.GetProperty("id").GetGuid().Should().Be(any.Id);
        root.GetProperty("jobType").GetString().Should().Be("crawl_pending");
        root.GetProperty("status").GetString().Should().Be("failed");
        root.TryGetProperty("startedAt", out _).Should().BeTrue();
        root.TryGetProperty("completedAt", out _).Should().BeTrue();
        root.GetProperty("result").GetProperty("itemsProcessed").GetInt32().Should().Be(1);
    }

    [TestCase("{\"jobType\":\"no_such_job\"}", "jobType", "crawl_pending", TestName = "Trigger_UnknownJobType_Returns400NamingTheValidTypes")]
    [TestCase("{}", "jobType", "Required", TestName = "Trigger_MissingJobType_Returns400")]
    [TestCase("{\"jobType\":42}", "jobType", "wrong type", TestName = "Trigger_NumberForJobType_Returns400NamingTheField")]
    [TestCase("{\"jobType\":\"crawl_pending\",\"triggeredBy\":[1]}", "triggeredBy", "wrong type", TestName = "Trigger_ArrayForTriggeredBy_Returns400NamingTheField")]
    [TestCase("{\"jobType\":\"crawl_pending\",\"parameters\":[1,2]}", "parameters", "JSON object", TestName = "Trigger_ParametersNotAnObject_Returns400")]
    [TestCase("{\"jobType\":\"crawl_pending\",\"jobTyp\":\"weekly_digest\"}", "jobTyp", "not a field", TestName = "Trigger_UnknownField_Returns400NamingIt")]
    [TestCase("{\"jobType\":\"weekly_digest\",\"jobType\":\"crawl_pending\"}", "jobType", "more than once", TestName = "Trigger_RepeatedField_Returns400NamingIt")]
    [TestCase("{\"jobType\": \"crawl_pending\"", "", "", TestName = "Trigger_MalformedJson_Returns400")]
    [TestCase("not json at all", "", "", TestName = "Trigger_NotJson_Returns400")]
    public async Task Trigger_BadInput_Returns400ProblemDetails_AndRecordsNothing(string body, string field, string mentions)
    {
        var before = await CountExecutionsAsync();

        var response = await Service.Client.PostAsync("/api/jobs/trigger", new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("status").GetInt32().Should().Be(400);
        problem.RootElement.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        if (field.Length > 0)
        {
            var messages = problem.RootElement.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()).ToList();
            messages.Should().ContainSingle().Which.Should().Contain(mentions);
        }

        problem.RootElement.ToString().Should().NotContain("   at ", "no stack trace leaves the service");
        (await CountExecutionsAsync()).Should().Be(before);
    }

    [Test]
    public async Task Trigger_WithoutJsonContentType_Returns415()
    {
        var response = await Service.Client.PostAsync("/api/jobs/trigger", new StringContent("{\"jobType\":\"crawl_pending\"}", Encoding.UTF8, "text/plain"));

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Test]
    public async Task Trigger_BodyOver64KiB_Returns413()
    {
        var huge = JsonSerializer.Serialize(new { jobType = "crawl_pending", triggeredBy = new string('x', 70_000) });

        var response = await Service.Client.PostAsync("/api/jobs/trigger", new StringContent(huge, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [TestCase("/api/jobs/not-a-guid", TestName = "Get_IdThatIsNotAGuid_Returns404")]
    [TestCase("/api/jobs/3f2b8a57-0000-4000-8000-000000000000", TestName = "Get_UnknownId_Returns404")]
    public async Task Get_Missing_Returns404ProblemDetails(string path)
    {
        var response = await Service.Client.GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [TestCase("limit=0", "limit")]
    [TestCase("limit=201", "limit")]
    [TestCase("limit=ten", "limit")]
    [TestCase("page=0", "page")]
    [TestCase("page=-1", "page")]
    [TestCase("status=done", "status")]
    [TestCase("type=no_such_job", "type")]
    [TestCase("from=yesterday", "from")]
    [TestCase("from=10/09/2025", "from")]
    [TestCase("from=2025-10-09&to=2025-10-01", "to")]
    [TestCase("status=failed&status=completed", "status")]
    [TestCase("type=crawl_pending'%20OR%201=1--", "type")]
    public async Task List_BadQuery_Returns400NamingTheParameter(string query, string field)
    {
        var response = await Service.Client.GetAsync($"/api/jobs?{query}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(problem.RootElement.ToString());
    }

    [Test]
    public async Task Health_IsLivenessInTheSeedShape()
    {
        using var json = JsonDocument.Parse(await Service.Client.GetStringAsync("/health"));

        json.RootElement.GetProperty("status").GetString().Should().Be("healthy");
        json.RootElement.GetProperty("service").GetString().Should().Be("scheduler-service");
        json.RootElement.GetProperty("timestamp").GetDateTimeOffset().Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
    }

    [Test]
    public async Task Readiness_ReportsDatabaseAndScheduler()
    {
        var response = await Service.Client.GetAsync("/readyz");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        json.RootElement.GetProperty("checks").EnumerateArray()
            .Select(c => (c.GetProperty("name").GetString(), c.GetProperty("status").GetString()))
            .Should().BeEquivalentTo([("database", "ok"), ("scheduler", "ok"), ("jobs", "ok"), ("schedules", "ok")]);
    }

    private async Task<JobExecutionPage> ListAsync(string path)
    {
        var response = await Service.Client.GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JobExecutionPage>())!;
    }

    private static async Task<long> CountExecutionsAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs");
    }
}
