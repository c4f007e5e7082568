using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>The executions view: the run history and its filters.</summary>
public sealed class ExecutionsViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task FilterTheHistory_ByTypeAndStatus_ShowsOnlyTheMatchingRuns()
    {
        StandIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(Status: 500));
        var failedScan = await Service.RunAsync(JobTypes.EmailScan);
        StandIns.State.ClearFault("POST", "/v1/admin/email-scan");
        var completedScan = await Service.RunAsync(JobTypes.EmailScan);
        var cleanup = await Service.RunAsync(JobTypes.AdminCleanup);
        failedScan.Status.Should().Be(ExecutionStatus.Failed);
        await SignInAsync(TestTokens.Admin, "/executions");
        var rows = Page.Locator("tbody tr[data-execution-id]");
        await Expect(Page.Locator($"tr[data-execution-id='{cleanup.Id}']")).ToBeVisibleAsync();

        await Page.GetByLabel("Job type", new() { Exact = true }).SelectOptionAsync(JobTypes.EmailScan);
        await Page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("failed");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        await Expect(rows).ToHaveCountAsync(1);
        await Expect(Page.Locator($"tr[data-execution-id='{failedScan.Id}']")).ToHaveAttributeAsync("data-status", "failed");
        await Expect(Page).ToHaveURLAsync(new Regex("#/executions\\?type=email_scan&status=failed&limit=50$"));
        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "match" })).ToHaveTextAsync("1 execution matches.");

        await Page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("completed");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        await Expect(Page.Locator($"tr[data-execution-id='{completedScan.Id}']")).ToBeVisibleAsync();
        await Expect(Page.Locator($"tr[data-execution-id='{failedScan.Id}']")).ToHaveCountAsync(0);
        await Expect(Page.Locator($"tr[data-execution-id='{cleanup.Id}']")).ToHaveCountAsync(0);

        await Page.GetByRole(AriaRole.Button, new() { Name = "Clear filters" }).ClickAsync();
        await Expect(Page.Locator($"tr[data-execution-id='{cleanup.Id}']")).ToBeVisibleAsync();
        await Expect(Page.Locator($"tr[data-execution-id='{failedScan.Id}']")).ToBeVisibleAsync();
    }
}
