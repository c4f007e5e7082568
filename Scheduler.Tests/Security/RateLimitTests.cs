using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// Trigger, cancel and retry share one budget per caller (3 a minute here). crawl_pending is disabled so that the calls
/// inside the budget are answered 409 and start nothing; refusals count against the budget all the same.
/// </summary>
public sealed class RateLimitTests : ServiceFixture
{
    private const int Limit = 3;

    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["RateLimiting:MutationsPerWindow"] = Limit.ToString(CultureInfo.InvariantCulture),
        ["RateLimiting:Window"] = "00:01:00",
        [$"Jobs:{JobTypes.CrawlPending}:Enabled"] = "false",
    };

    [Test]
    public async Task FourthMutationInAWindow_Answers429WithRetryAfter_AndWritesNothing()
    {
        using var caller = Service.CreateClient(TestTokens.AdminAs("rate-first"));
        await SpendTheBudgetAsync(caller);
        var before = await CountExecutionsAsync();

        // An enabled type: were the limit not applied, this would record a run.
        using var refused = await caller.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.EmailScan });

        var body = await refused.Content.ReadAsStringAsync();
        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, body);
        refused.Headers.TryGetValues("Retry-After", out var retryAfter).Should().BeTrue("a 429 says when to come back");
        int.TryParse(retryAfter!.Single(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds).Should().BeTrue($"Retry-After '{retryAfter!.Single()}' is whole seconds");
        seconds.Should().BeInRange(1, 60);
        refused.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        body.Should().NotContain("   at ");
        using var problem = JsonDocument.Parse(body);
        problem.RootElement.GetProperty("status").GetInt32().Should().Be(429);
        problem.RootElement.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        (await CountExecutionsAsync()).Should().Be(before, "a refused request records no execution");
    }

    [Test]
    public async Task CancelAndRetry_ShareTheBudgetWithTrigger()
    {
        using var caller = Service.CreateClient(TestTokens.AdminAs("rate-shared"));
        await SpendTheBudgetAsync(caller);

        using var cancel = await caller.PostAsync($"/api/jobs/{Guid.NewGuid()}/cancel", null);
        using var retry = await caller.PostAsync($"/api/jobs/{Guid.NewGuid()}/retry", null);

        cancel.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "without the limit an unknown id is 404");
        retry.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "without the limit an unknown id is 404");
    }

    [Test]
    public async Task TheLimitIsPerCaller_AnotherAdminIsStillAllowed()
    {
        using var first = Service.CreateClient(TestTokens.AdminAs("rate-exhausted"));
        await SpendTheBudgetAsync(first);
        using var over = await first.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
        over.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);

        using var other = Service.CreateClient(TestTokens.AdminAs("other"));
        using var allowed = await other.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });

        allowed.StatusCode.Should().Be(HttpStatusCode.Conflict, "another caller has a budget of its own; the type is disabled, so 409");
        (await allowed.Content.ReadAsStringAsync()).Should().Contain("disabled");
    }

    [Test]
    public async Task Reads_AreNotLimited_EvenWhenTheCallersBudgetIsSpent()
    {
        using var caller = Service.CreateClient(TestTokens.AdminAs("rate-reader"));
        await SpendTheBudgetAsync(caller);

        for (var i = 0; i < Limit * 4; i++)
        {
            using var jobs = await caller.GetAsync("/api/jobs?limit=1");
            using var audit = await caller.GetAsync("/api/audit?limit=1");
            using var one = await caller.GetAsync($"/api/jobs/{Guid.NewGuid()}");
            jobs.StatusCode.Should().Be(HttpStatusCode.OK);
            audit.StatusCode.Should().Be(HttpStatusCode.OK);
            one.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        using var mutation = await caller.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
        mutation.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "the budget is still spent: the reads neither used nor reset it");
    }

    [Test]
    public async Task ABulkRetry_IsOneActionForTheBudget_HoweverManyRunsItRetries()
    {
        var day = new DateTimeOffset(2020, 3, 1, 0, 0, 0, TimeSpan.Zero);
        string[] types = [JobTypes.EmailScan, JobTypes.ExportDlqReplay, JobTypes.OutboxDlqReplay];
        await using (var connection = await TestDatabase.OpenAsync())
        {
            foreach (var type in types)
            {
                await connection.ExecuteAsync("""
                    INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, started_at, completed_at, error)
                    VALUES (@type, 'failed', 'manual', 'test', @day, @day + interval '1 minute', 'boom')
                    """, new { type, day });
            }
        }

        using var caller = Service.CreateClient(TestTokens.AdminAs("rate-bulk"));
        using var bulk = await caller.PostAsJsonAsync("/api/jobs/retry-failed", new { from = day, to = day.AddDays(1) });
        var retried = (await bulk.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("retried").GetInt32();
        using var second = await caller.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
        using var third = await caller.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
        using var fourth = await caller.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });

        bulk.StatusCode.Should().Be(HttpStatusCode.OK);
        retried.Should().Be(types.Length);
        second.StatusCode.Should().Be(HttpStatusCode.Conflict, "the bulk retry took one permit, not one per run");
        third.StatusCode.Should().Be(HttpStatusCode.Conflict);
        fourth.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
    }

    /// <summary>Makes <see cref="Limit"/> triggers of the disabled type, each answered 409 (not 429).</summary>
    private static async Task SpendTheBudgetAsync(HttpClient caller)
    {
        for (var i = 0; i < Limit; i++)
        {
            using var response = await caller.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
            response.StatusCode.Should().Be(HttpStatusCode.Conflict, $"call {i + 1} of {Limit} is within the budget: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task<long> CountExecutionsAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs");
    }
}
