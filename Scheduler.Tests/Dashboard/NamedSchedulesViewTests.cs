using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>The schedules view's named schedules: an admin creates an interval schedule and sees its next fire times; a reader sees it and can change nothing.</summary>
public sealed class NamedSchedulesViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task CreateAnIntervalSchedule_ShowsItsNextFireTimes_InThePreviewAndInTheList()
    {
        await SignInAsync(TestTokens.Admin, "/schedules");

        await Page.GetByRole(AriaRole.Button, new() { Name = "New schedule" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "New schedule" });
        await dialog.GetByLabel("Job type").SelectOptionAsync("crawl_pending");
        await dialog.GetByLabel("Name").FillAsync("every-ten");
        await dialog.GetByLabel("Interval").FillAsync("PT1S");
        // The service's minimum interval, from the preview, before anything is saved.
        await Expect(dialog.GetByText("Must be at least")).ToBeVisibleAsync();
        await dialog.GetByLabel("Interval").FillAsync("PT10M");
        await Expect(dialog.Locator(".fire-times li")).ToHaveCountAsync(5);
        await dialog.GetByLabel("Parameters (JSON, optional)").FillAsync("""{"batchSize": 500000}""");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save schedule" }).ClickAsync();
        // The catalog's range, from the service's 400, beside the parameters field.
        await Expect(dialog.GetByText("batchSize: Must be from")).ToBeVisibleAsync();
        await dialog.GetByLabel("Parameters (JSON, optional)").FillAsync("""{"batchSize": 25}""");
        await ScreenshotAsync("new-interval-schedule");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save schedule" }).ClickAsync();

        await Expect(dialog).ToHaveCountAsync(0);
        var row = Page.Locator("tr[data-schedule='crawl_pending/every-ten']");
        await Expect(row).ToContainTextAsync("every PT10M");
        await Expect(row).ToContainTextAsync("batchSize");
        await Expect(row).ToContainTextAsync("Runs");
        await row.Locator("details summary").ClickAsync();
        await Expect(row.Locator(".fire-times li")).ToHaveCountAsync(5);
        var saved = (await Service.Client.GetFromJsonAsync<ScheduleView>("/api/schedules/crawl_pending/every-ten"))!;
        saved.Interval.Should().Be("PT10M");
        saved.Parameters!.Value.GetProperty("batchSize").GetInt32().Should().Be(25);
        saved.NextFireTimes.Should().HaveCount(5);
        (await row.Locator(".fire-times li").First.TextContentAsync()).Should().Contain(saved.NextFireTimes[0].Utc.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));

        await row.GetByRole(AriaRole.Button, new() { Name = "Delete crawl_pending/every-ten" }).ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete schedule" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
    }

    [Test]
    public async Task AReader_SeesNamedSchedules_AndNothingToChangeThem()
    {
        using (var created = await Service.Client.PostAsJsonAsync("/api/schedules", new { jobType = "email_scan", name = "hourly", interval = "PT1H" }))
        {
            created.EnsureSuccessStatusCode();
        }

        try
        {
            await SignInAsync(TestTokens.Reader, "/schedules");

            var row = Page.Locator("tr[data-schedule='email_scan/hourly']");
            await Expect(row).ToContainTextAsync("every PT1H");
            await Expect(row.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
            await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "New schedule" })).ToHaveCountAsync(0);
        }
        finally
        {
            (await Service.Client.DeleteAsync("/api/schedules/email_scan/hourly")).EnsureSuccessStatusCode();
        }
    }
}
