using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Execution;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Api;

/// <summary>Deep history: keyset pages by cursor, and exact totals from the maintained counts, folded or not.</summary>
public sealed class HistoryPagingTests : ServiceFixture
{
    protected override async Task OnStartedAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        // 300 rows over three types and four statuses; some share a created_at, so the id breaks ties.
        await connection.ExecuteAsync("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, created_at, updated_at, started_at, completed_at)
            SELECT (ARRAY['crawl_pending','email_scan','weekly_digest'])[1 + i % 3],
                   (ARRAY['completed','failed','cancelled','skipped'])[1 + i % 4],
                   'manual', 'seed',
                   timestamptz '2026-11-01T00:00:00Z' + (i / 2) * interval '1 minute', now(), now(), now()
              FROM generate_series(1, 300) AS i
            """);
    }

    [TestCase("", TestName = "Total_Unfiltered_IsExact_FoldedOrNot")]
    [TestCase("type=email_scan", TestName = "Total_ByType_IsExact_FoldedOrNot")]
    [TestCase("status=failed", TestName = "Total_ByStatus_IsExact_FoldedOrNot")]
    [TestCase("type=crawl_pending&status=skipped", TestName = "Total_ByTypeAndStatus_IsExact_FoldedOrNot")]
    public async Task Total_MatchesACountOfTheRows_BeforeAndAfterTheCountsAreFolded(string query)
    {
        var before = (await Service.Client.GetFromJsonAsync<JobExecutionPage>($"/api/jobs?{query}"))!.Total;
        await Service.Services.GetRequiredService<ExecutionArchive>().FoldCountsAsync(CancellationToken.None);
        var after = (await Service.Client.GetFromJsonAsync<JobExecutionPage>($"/api/jobs?{query}"))!.Total;

        var expected = await CountAsync(query);
        before.Should().Be(expected);
        after.Should().Be(expected);
    }

    [Test]
    public async Task Total_FollowsStatusChangesAndDeletes()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("UPDATE scheduled_jobs SET status = 'completed' WHERE job_type = 'weekly_digest' AND status = 'failed'");
        await Service.Services.GetRequiredService<ExecutionArchive>().FoldCountsAsync(CancellationToken.None);
        await connection.ExecuteAsync("DELETE FROM scheduled_jobs WHERE job_type = 'weekly_digest' AND status = 'cancelled'");

        foreach (var query in (string[])["type=weekly_digest&status=failed", "type=weekly_digest&status=completed", "type=weekly_digest&status=cancelled", ""])
        {
            (await Service.Client.GetFromJsonAsync<JobExecutionPage>($"/api/jobs?{query}"))!.Total.Should().Be(await CountAsync(query), query);
        }
    }

    [Test]
    public async Task Cursor_WalksEveryRowOnce_InTheSameOrderAsPageNumbers()
    {
        var byNumber = new List<Guid>();
        for (var page = 1; page <= 20; page++)
        {
            var slice = (await Service.Client.GetFromJsonAsync<JobExecutionPage>($"/api/jobs?type=crawl_pending&limit=17&page={page}"))!;
            byNumber.AddRange(slice.Jobs.Select(j => j.Id));
            if (slice.Jobs.Count < 17)
            {
                break;
            }
        }

        var byCursor = new List<Guid>();
        string? cursor = null;
        for (var step = 0; step < 20; step++)
        {
            var slice = (await Service.Client.GetFromJsonAsync<JobExecutionPage>(
                $"/api/jobs?type=crawl_pending&limit=17{(cursor is null ? "" : "&cursor=" + cursor)}"))!;
            byCursor.AddRange(slice.Jobs.Select(j => j.Id));
            cursor = slice.NextCursor;
            if (cursor is null)
            {
                break;
            }
        }

        byCursor.Should().HaveCount((int)await CountAsync("type=crawl_pending")).And.OnlyHaveUniqueItems();
        byCursor.Should().Equal(byNumber);
    }

    [TestCase("cursor=not-a-cursor", "cursor")]
    // 638000000000000000|00000000-0000-4000-8000-000000000001: a well-formed cursor, but with a page as well
    [TestCase("cursor=NjM4MDAwMDAwMDAwMDAwMDAwfDAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMQ&page=2", "page")]
    public async Task Cursor_Invalid_Returns400NamingIt(string query, string field)
    {
        using var response = await Service.Client.GetAsync($"/api/jobs?{query}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain($"\"{field}\"");
    }

    [TestCase("@@@@", TestName = "Cursor_NotBase64_Returns400NamingCursor")]
    [TestCase("NjM4MDAwMDAwMDAwMDAwMDAwfG5vdC1hLXV1aWQ", TestName = "Cursor_WithAnIdThatIsNotAUuid_Returns400NamingCursor")]
    [TestCase("NjM4MDAwMDAwMDAwMDAwMDAwfDQy", TestName = "Cursor_FromTheAuditList_Returns400NamingCursor")]
    [TestCase("OTk5OTk5OTk5OTk5OTk5OTk5OTl8MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAx", TestName = "Cursor_WithATimeBeyondAnyDate_Returns400NamingCursor")]
    [TestCase("MXwwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDE", TestName = "Cursor_WithATimeNoRowHas_Returns400NamingCursor")]
    public async Task Cursor_Forged_Returns400NamingCursor(string cursor)
    {
        using var response = await Service.Client.GetAsync($"/api/jobs?cursor={cursor}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).Should().Equal(["cursor"]);
    }

    private static async Task<long> CountAsync(string query)
    {
        var filters = System.Web.HttpUtility.ParseQueryString(query);
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM scheduled_jobs WHERE (@type::text IS NULL OR job_type = @type) AND (@status::text IS NULL OR status = @status)",
            new { type = filters["type"], status = filters["status"] });
    }
}
