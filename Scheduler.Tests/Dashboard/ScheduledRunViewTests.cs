using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>Runs for later in the dashboard: scheduling one from the trigger dialog, its countdown, and what a reader sees.</summary>
public sealed class ScheduledRunViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task ScheduleARunForLater_ShowsItScheduledWithACountdown_ThenCompleted_WithoutReloading()
    {
        StandIns.State.SeedDiscoveries(2);
        await SignInAsync(TestTokens.Admin);
        await Page.EvaluateAsync("() => { window.sameDocument = true; }");

        await JobTypeRow(JobTypes.CrawlPending).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CrawlPending}" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = $"Trigger {JobTypes.CrawlPending}" });
        await Expect(dialog.GetByLabel("Run after")).ToBeHiddenAsync();
        await dialog.GetByLabel("When").SelectOptionAsync("delay");
        await dialog.GetByLabel("Run after").FillAsync("in a bit");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await Expect(dialog.GetByText("Write a duration such as PT30S, PT15M or P1DT6H.")).ToBeVisibleAsync();
        await dialog.GetByLabel("Run after").FillAsync("PT8S");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync($"Schedule a run of {JobTypes.CrawlPending} to start after PT8S?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Schedule" }).ClickAsync();
        await Expect(dialog.GetByRole(AriaRole.Status)).ToContainTextAsync($"{JobTypes.CrawlPending} scheduled.");
        await dialog.GetByRole(AriaRole.Link, new() { Name = "View execution" }).ClickAsync();

        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "scheduled");
        await Expect(Page.Locator("#progress-heading + p .countdown")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(in .+|due now)$"));
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToBeVisibleAsync();
        await ScreenshotAsync("scheduled");
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "completed", LongWait);
        await Expect(Page.Locator(".countdown")).ToHaveCountAsync(0);
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToHaveCountAsync(0);
        (await Page.EvaluateAsync<bool>("() => window.sameDocument === true")).Should().BeTrue("the page followed the run without reloading");
        var execution = await Service.GetExecutionAsync(ExecutionIdIn(Page.Url));
        execution.Status.Should().Be(ExecutionStatus.Completed);
        execution.StartedAt.Should().BeOnOrAfter(execution.ScheduledFor!.Value);
    }

    [Test]
    public async Task Reader_SeesAScheduledRunAndItsCountdown_ButCannotCancelIt()
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new
        {
            jobType = JobTypes.EmailScan,
            runAt = DateTimeOffset.UtcNow.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        });
        var scheduled = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!;

        await SignInAsync(TestTokens.Reader, "/executions?status=scheduled");
        var row = Page.Locator($"tr[data-execution-id='{scheduled.Id}']");
        await Expect(row).ToContainTextAsync("Scheduled");
        await Expect(row.Locator(".countdown")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^in (1 h 5\\d|2 h 0) min$"));
        await row.GetByRole(AriaRole.Link).ClickAsync();

        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "scheduled");
        await Expect(Page.Locator("#progress-heading + p")).ToContainTextAsync("Scheduled:");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToHaveCountAsync(0);
        using var reader = Service.CreateClient(TestTokens.Reader);
        using var cancel = await reader.PostAsync($"/api/jobs/{scheduled.Id}/cancel", null);
        ((int)cancel.StatusCode).Should().Be(403);
        (await Service.GetExecutionAsync(scheduled.Id)).Status.Should().Be(ExecutionStatus.Scheduled);
    }
}
