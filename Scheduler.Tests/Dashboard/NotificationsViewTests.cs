using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;
using Scheduler.Tests.Notifications;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>The notifications view: a job type's notifications with their recent deliveries; admins add and delete, readers only see.</summary>
public sealed class NotificationsViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task AnAdmin_AddsAWebhook_SeesTheServicesFieldError_ThenItsDeliveries_AndDeletesIt()
    {
        await SignInAsync(TestTokens.Admin, $"/notifications?type={JobTypes.AdminCleanup}");
        await Expect(Page.GetByText($"{JobTypes.AdminCleanup} has no notifications.")).ToBeVisibleAsync();

        await Page.GetByRole(AriaRole.Button, new() { Name = "Add notification" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Add notification" });
        await dialog.GetByLabel("Name").FillAsync("ops");
        await dialog.GetByLabel("URL").FillAsync($"{StandIns.BaseUrl}/hooks/ops");
        await dialog.GetByLabel("Events").FillAsync("completion");
        await dialog.GetByLabel("Secret").FillAsync("too-short");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Add notification" }).ClickAsync();
        // The service's 400 names the field; the message is shown beside it.
        await Expect(dialog.GetByLabel("Secret")).ToHaveAttributeAsync("aria-invalid", "true");
        await dialog.GetByLabel("Secret").FillAsync(Receivers.Secret);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Add notification" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        var card = Page.Locator($"section[data-notification='ops'][data-job-type='{JobTypes.AdminCleanup}']");
        await Expect(card).ToContainTextAsync("Webhook on completion");
        var run = await Service.RunAsync(JobTypes.AdminCleanup);
        await Expect(card.Locator($"tr:has(a[href='#/executions/{run.Id}'])")).ToContainTextAsync("delivered", new() { Timeout = 30_000 });
        await ScreenshotAsync("deliveries");

        await card.GetByRole(AriaRole.Button, new() { Name = "Delete ops" }).ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete notification" }).ClickAsync();
        await Expect(card).ToHaveCountAsync(0);
        (await Service.Client.GetFromJsonAsync<List<NotificationView>>($"/api/notifications?jobType={JobTypes.AdminCleanup}")).Should().BeEmpty();
    }

    [Test]
    public async Task AReader_SeesNotificationsAndTheirDeliveries_ButNoControls()
    {
        var hook = await Receivers.CreateWebhookAsync(Service, StandIns, JobTypes.ExportDlqReplay, "audit-feed", "completion");
        var run = await Service.RunAsync(JobTypes.ExportDlqReplay);
        await Receivers.SettledAsync(Service, hook.Id, 1, run.Id);

        await SignInAsync(TestTokens.Reader, $"/notifications?type={JobTypes.ExportDlqReplay}");

        var card = Page.Locator("section[data-notification='audit-feed']");
        await Expect(card.Locator($"tr:has(a[href='#/executions/{run.Id}'])")).ToContainTextAsync("delivered");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Add notification" })).ToHaveCountAsync(0);
        await Expect(card.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
    }
}
