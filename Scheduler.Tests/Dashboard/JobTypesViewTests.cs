using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>The job types view: triggering a run with parameters, a conflict with an active run, the trigger dialog by keyboard, and each type's success rate.</summary>
public sealed class JobTypesViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task Trigger_WithParameters_ShowsTheRunGoRunningThenCompleted_WithoutReloading()
    {
        // The first discovery call takes 4 s: long enough to see the run running, whether the page streams or polls.
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 4000, Times: 1));
        await SignInAsync(TestTokens.Admin);
        await Page.EvaluateAsync("() => { window.sameDocument = true; }");

        await JobTypeRow(JobTypes.CrawlPending).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CrawlPending}" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = $"Trigger {JobTypes.CrawlPending}" });
        await dialog.GetByLabel("batchSize").FillAsync("5000");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await Expect(dialog.GetByText("Must be a whole number from 1 to 1000.")).ToBeVisibleAsync();
        await dialog.GetByLabel("batchSize").FillAsync("20");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("batchSize = 20");
        await ScreenshotAsync("confirmation");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Link, new() { Name = "View execution" }).ClickAsync();

        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "running", LongWait);
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToBeVisibleAsync();
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "completed", LongWait);
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToHaveCountAsync(0);
        await Expect(Page.Locator("#outcome-heading + dl")).ToContainTextAsync("Yes");
        (await Page.EvaluateAsync<bool>("() => window.sameDocument === true")).Should().BeTrue("the page followed the run without reloading");
        var id = ExecutionIdIn(Page.Url);
        var execution = await Service.GetExecutionAsync(id);
        execution.Status.Should().Be(ExecutionStatus.Completed);
        execution.Parameters!.Value.GetProperty("batchSize").GetInt32().Should().Be(20);
    }

    [Test]
    public async Task Trigger_CleanupWithSomeSteps_SendsTheListedSteps_AfterRefusingAnUnknownOne()
    {
        await SignInAsync(TestTokens.Admin);

        await JobTypeRow(JobTypes.CleanupOldData).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CleanupOldData}" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = $"Trigger {JobTypes.CleanupOldData}" });
        await dialog.GetByLabel("steps").FillAsync("auditLog, vacuum");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await Expect(dialog.GetByText("Unknown: vacuum.")).ToBeVisibleAsync();
        await dialog.GetByLabel("steps").FillAsync("auditLog, events");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("steps = auditLog, events");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Link, new() { Name = "View execution" }).ClickAsync();

        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "completed", LongWait);
        var execution = await Service.GetExecutionAsync(ExecutionIdIn(Page.Url));
        execution.Parameters!.Value.GetProperty("steps").EnumerateArray().Select(s => s.GetString()).Should().Equal("auditLog", "events");
        StandIns.State.RequestsTo("POST", "/api/interactions/cleanup").Should().BeEmpty("only the listed steps ran");
    }

    [Test]
    public async Task Trigger_WhileARunIsActive_ShowsTheServicesConflict_WithALinkToTheActiveRun()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 120_000));
        var active = await Service.TriggerAsync(JobTypes.CrawlPending);
        await SignInAsync(TestTokens.Admin);

        await JobTypeRow(JobTypes.CrawlPending).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CrawlPending}" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = $"Trigger {JobTypes.CrawlPending}" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync();

        var problem = dialog.GetByRole(AriaRole.Alert);
        await Expect(problem).ToContainTextAsync("The job type is already running");
        await Expect(problem).ToContainTextAsync($"has execution {active} pending or running");
        await problem.GetByRole(AriaRole.Link, new() { Name = $"Open execution {active}" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex($"#/executions/{active}$"));
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "running");
        (await Service.Client.PostAsync($"/api/jobs/{active}/cancel", null)).EnsureSuccessStatusCode();
        await Service.WaitForStatusAsync(active, ExecutionStatus.Cancelled);
    }

    [Test]
    public async Task Keyboard_OpensTheTriggerDialogOnItsFirstField_AndEscapeReturnsFocusToTheButton()
    {
        await SignInAsync(TestTokens.Admin);
        var trigger = JobTypeRow(JobTypes.CrawlPending).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CrawlPending}" });

        await trigger.FocusAsync();
        await Page.Keyboard.PressAsync("Enter");
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = $"Trigger {JobTypes.CrawlPending}" });
        await Expect(dialog.GetByLabel("batchSize")).ToBeFocusedAsync();
        await Page.Keyboard.PressAsync("Tab");
        await Expect(dialog.GetByLabel("maxBatches")).ToBeFocusedAsync();
        await Page.Keyboard.PressAsync("Escape");

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(trigger).ToBeFocusedAsync();
    }

    [Test]
    public async Task SuccessRate_ShowsEachTypesLast24Hours_LinkedToItsStatistics()
    {
        StandIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(Status: 500));
        (await Service.RunAsync(JobTypes.EmailScan)).Status.Should().Be(ExecutionStatus.Failed);
        StandIns.State.ClearFault("POST", "/v1/admin/email-scan");
        (await Service.RunAsync(JobTypes.EmailScan)).Status.Should().Be(ExecutionStatus.Completed);
        await SignInAsync(TestTokens.Reader);

        var rate = JobTypeRow(JobTypes.EmailScan).Locator("td[data-success-rate]");
        await Expect(rate).ToContainTextAsync("50 %", new() { Timeout = 30_000 });
        await Expect(rate).ToContainTextAsync("2 runs, 1 failed");
        await Expect(JobTypeRow(JobTypes.AdminCleanup).Locator("td[data-success-rate]")).ToHaveTextAsync("—");

        await rate.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex($"#/stats\\?type={JobTypes.EmailScan}&range=24h$"));
        await Expect(Page.Locator("[data-summary='type']")).ToContainTextAsync("2 runs ended: 1 completed, 1 failed");
    }
}
