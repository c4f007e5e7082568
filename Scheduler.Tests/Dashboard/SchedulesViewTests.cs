using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>The schedules view: pausing and resuming a schedule, editing one and resetting it to its configuration.</summary>
public sealed class SchedulesViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task PauseAndResume_ASchedule_ShowsTheReasonAndTheServiceAgrees()
    {
        await SignInAsync(TestTokens.Admin, "/schedules");
        var row = Page.Locator($"tr[data-job-type='{JobTypes.WeeklyDigest}']");
        await Expect(row).ToContainTextAsync("Runs");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Pause {JobTypes.WeeklyDigest}" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = $"Pause {JobTypes.WeeklyDigest}" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Pause schedule" }).ClickAsync();
        await Expect(dialog.GetByText("Required.")).ToBeVisibleAsync();
        await dialog.GetByLabel("Reason").FillAsync("email provider migration");
        await dialog.GetByLabel("Resume by itself at").FillAsync(DateTime.UtcNow.AddDays(200).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Pause schedule" }).ClickAsync();
        // The service's own validation (400), shown beside the field it names.
        await Expect(dialog.GetByText("Must be in the future and at most 90 days ahead.")).ToBeVisibleAsync();
        await dialog.GetByLabel("Resume by itself at").FillAsync("");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Pause schedule" }).ClickAsync();

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(row).ToContainTextAsync("Paused");
        await Expect(row).ToContainTextAsync("email provider migration");
        await Expect(row).ToContainTextAsync($"by {TestTokens.AdminSubject}");
        var paused = (await Service.Client.GetFromJsonAsync<ScheduleView>($"/api/schedules/{JobTypes.WeeklyDigest}"))!;
        paused.Paused.Should().BeTrue();
        paused.Pause!.Reason.Should().Be("email provider migration");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Resume {JobTypes.WeeklyDigest}" }).ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Resume schedule" }).ClickAsync();

        await Expect(row).Not.ToContainTextAsync("Paused");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = $"Pause {JobTypes.WeeklyDigest}" })).ToBeVisibleAsync();
        (await Service.Client.GetFromJsonAsync<ScheduleView>($"/api/schedules/{JobTypes.WeeklyDigest}"))!.Paused.Should().BeFalse();
    }

    [Test]
    public async Task EditASchedule_ShowsTheServicesCronError_ThenTheNextFireTimes_AndResetReturnsItToConfiguration()
    {
        await SignInAsync(TestTokens.Admin, "/schedules");
        var row = Page.Locator($"tr[data-job-type='{JobTypes.WeeklyDigest}']");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Edit {JobTypes.WeeklyDigest}" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Cron").FillAsync("every monday");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review change" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save change" }).ClickAsync();
        // The service's 400 names the field; the form comes back with the message beside it.
        await Expect(dialog.GetByLabel("Cron")).ToHaveAttributeAsync("aria-invalid", "true");
        await dialog.GetByLabel("Cron").FillAsync("0 8 * * 1");
        await dialog.GetByLabel("Time zone").FillAsync("Europe/Berlin");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review change" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("Europe/Berlin");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save change" }).ClickAsync();

        await Expect(dialog.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved.");
        await Expect(dialog.Locator(".fire-times li")).ToHaveCountAsync(5);
        await Expect(dialog.Locator(".fire-times li").First).ToContainTextAsync("08:00:00 +0");
        await ScreenshotAsync("next-fire-times");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Override");
        await Expect(row).ToContainTextAsync("Drift");
        var changed = (await Service.Client.GetFromJsonAsync<ScheduleView>($"/api/schedules/{JobTypes.WeeklyDigest}"))!;
        changed.Source.Should().Be("override");
        changed.TimeZone.Should().Be("Europe/Berlin");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Reset {JobTypes.WeeklyDigest} to configuration" }).ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Reset to configuration" }).ClickAsync();

        await Expect(row).Not.ToContainTextAsync("Override");
        (await Service.Client.GetFromJsonAsync<ScheduleView>($"/api/schedules/{JobTypes.WeeklyDigest}"))!.Source.Should().Be("configuration");
    }
}
