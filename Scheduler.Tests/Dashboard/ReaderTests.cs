using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>A reader across the views: job types, schedules and runs to see, and no control that changes anything.</summary>
public sealed class ReaderTests : DashboardBrowserFixture
{
    [Test]
    public async Task Reader_SeesTypesSchedulesAndRuns_ButNoMutatingControls()
    {
        StandIns.State.SetFault("POST", "/v1/admin/retention/cleanup", new Fault(Status: 500));
        var failed = await Service.RunAsync(JobTypes.RetentionCleanup);
        failed.Status.Should().Be(ExecutionStatus.Failed);
        await SignInAsync(TestTokens.Reader);

        await Expect(Page.Locator(".who")).ToContainTextAsync("Reader (read-only)");
        await Expect(JobTypeRow(JobTypes.RetentionCleanup)).ToContainTextAsync("Last run failed");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Trigger" })).ToHaveCountAsync(0);

        await Page.GetByRole(AriaRole.Link, new() { Name = "Schedules", Exact = true }).ClickAsync();
        await Expect(Page.Locator($"tr[data-job-type='{JobTypes.WeeklyDigest}']")).ToBeVisibleAsync();
        foreach (var name in new[] { "Pause", "Resume", "Edit", "Reset" })
        {
            await Expect(Page.GetByRole(AriaRole.Button, new() { Name = name })).ToHaveCountAsync(0);
        }

        await Page.GetByRole(AriaRole.Link, new() { Name = "Executions", Exact = true }).ClickAsync();
        await Page.Locator($"a[href='#/executions/{failed.Id}']").ClickAsync();
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "failed");
        await Expect(Page.Locator("#outcome-heading ~ .problem")).ToContainTextAsync("500");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Retry" })).ToHaveCountAsync(0);
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToHaveCountAsync(0);
    }
}
