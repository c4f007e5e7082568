using System.Net.Http.Json;
using Dapper;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>Retry failed and cancel pending from the executions view: the dry run's list first, then the action.</summary>
public sealed class BulkActionsViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task RetryFailed_ListsTheRunsItWouldRetryFirst_AndRetriesThemOnlyWhenConfirmed()
    {
        var failed = await InsertFailedAsync(JobTypes.EmailScan);
        await SignInAsync(TestTokens.Admin, "/executions");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Retry failed…" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Retry failed runs" });
        await dialog.GetByLabel("Job type").SelectOptionAsync(JobTypes.EmailScan);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Show what would be retried" }).ClickAsync();

        await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("1 failed run not yet retried matches.");
        await Expect(dialog.Locator($"tr[data-key='{failed}']")).ToBeVisibleAsync();
        (await RetriesOfAsync(failed)).Should().Be(0, "the list is a dry run");

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Retry 1 run" }).ClickAsync();

        await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("Retried 1 of 1; 0 not retried.");
        await Expect(dialog.Locator($"tr[data-key='{failed}']")).ToHaveAttributeAsync("data-done", "true");
        (await RetriesOfAsync(failed)).Should().Be(1);
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Retry 1 run" })).ToBeHiddenAsync();
    }

    [Test]
    public async Task CancelPending_ListsTheRunsItWouldCancelFirst_AndCancelsThemOnlyWhenConfirmed()
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CleanupOldData, delay = "PT1H" });
        var scheduled = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        await SignInAsync(TestTokens.Admin, "/executions");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Cancel pending…" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Cancel pending runs" });
        await dialog.GetByLabel("Job type").SelectOptionAsync(JobTypes.CleanupOldData);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Show what would be cancelled" }).ClickAsync();

        await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("1 pending or scheduled run matches.");
        await Expect(dialog.Locator($"tr[data-key='{scheduled}']")).ToBeVisibleAsync();
        (await Service.GetExecutionAsync(scheduled)).Status.Should().Be(ExecutionStatus.Scheduled, "the list is a dry run");

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel 1 run" }).ClickAsync();

        await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("Cancelled 1 of 1; 0 not cancelled.");
        (await Service.GetExecutionAsync(scheduled)).Status.Should().Be(ExecutionStatus.Cancelled);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(Page.Locator($"tr[data-execution-id='{scheduled}']")).ToHaveAttributeAsync("data-status", "cancelled");
    }

    [Test]
    public async Task AReader_SeesNeitherBulkAction()
    {
        await SignInAsync(TestTokens.Reader, "/executions");

        await Expect(Page.Locator("h1")).ToHaveTextAsync("Executions");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Retry failed…" })).ToHaveCountAsync(0);
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Cancel pending…" })).ToHaveCountAsync(0);
    }

    private static async Task<Guid> InsertFailedAsync(string jobType)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, started_at, completed_at, error)
            VALUES (@jobType, 'failed', 'manual', 'test', now() - interval '6 minutes', now() - interval '5 minutes', 'crawler answered 503')
            RETURNING id
            """, new { jobType });
    }

    private static async Task<long> RetriesOfAsync(Guid id)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE retry_of = @id", new { id });
    }
}
