using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>The job types view's HTTP-call types: an admin defines one in a dialog; a reader sees it and can change nothing.</summary>
public sealed class HttpCallTypesViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task Admin_DefinesAnHttpCallType_AFieldErrorShowsBesideItsField_AndTheTypeAppearsInTheList()
    {
        await SignInAsync(TestTokens.Admin);

        await Page.GetByRole(AriaRole.Button, new() { Name = "Define HTTP-call type" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Define an HTTP-call type" });
        await dialog.GetByLabel("Name").FillAsync("ui_reindex");
        await dialog.GetByLabel("Path").FillAsync("http://127.0.0.1:9/v1/admin/reindex");
        await dialog.GetByLabel("JSON body").FillAsync("""{"scope":"all"}""");
        await dialog.GetByLabel("Cron").FillAsync("0 3 * * *");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Define" }).ClickAsync();
        await Expect(dialog.Locator(".field-error:not([hidden])")).ToContainTextAsync("no scheme, no host");
        await Expect(dialog.GetByLabel("Path")).ToBeFocusedAsync();
        await dialog.GetByLabel("Path").FillAsync("/v1/admin/reindex");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Define" }).ClickAsync();

        await Expect(dialog).ToHaveCountAsync(0);
        var row = JobTypeRow("ui_reindex");
        await Expect(row).ToContainTextAsync("Defined through the API");
        await Expect(row).ToContainTextAsync("POST /v1/admin/reindex");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Trigger ui_reindex" })).ToBeVisibleAsync();
        await ScreenshotAsync("defined");
        var stored = (await Service.Client.GetFromJsonAsync<JobTypeInfo>("/api/job-types/ui_reindex"))!;
        stored.Source.Should().Be(JobTypeSources.Api);
        stored.Call!.Body!.Value.GetProperty("scope").GetString().Should().Be("all");
        stored.DefaultSchedule.Should().Be(new ScheduleDefinition("0 0 3 * * ?", "UTC", true));
    }

    [Test]
    public async Task Reader_SeesATypeDefinedThroughTheApi_ButNoControlThatChangesIt()
    {
        using var defined = await Service.Client.PostAsJsonAsync("/api/job-types", new { name = "ui_readable", service = "CoreApi", path = "/v1/admin/readable" });
        defined.StatusCode.Should().Be(HttpStatusCode.Created);
        await SignInAsync(TestTokens.Reader);

        var row = JobTypeRow("ui_readable");
        await Expect(row).ToContainTextAsync("Defined through the API");
        await Expect(row).ToContainTextAsync("POST /v1/admin/readable");
        foreach (var name in new[] { "Define HTTP-call type", "Edit ui_readable", "Disable ui_readable", "Delete ui_readable", "Trigger ui_readable" })
        {
            await Expect(Page.GetByRole(AriaRole.Button, new() { Name = name })).ToHaveCountAsync(0);
        }
    }
}
