using System.Net.Http.Json;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>The audit view: who did what, filtered by action.</summary>
public sealed class AuditViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task AuditTrail_ShowsWhoDidWhat_FilteredByAction()
    {
        using var anna = Service.CreateClient(TestTokens.AdminAs("ops_anna"));
        (await anna.PostAsJsonAsync($"/api/schedules/{JobTypes.WeeklyDigest}/pause", new { reason = "audit trail test" })).EnsureSuccessStatusCode();
        (await anna.PostAsync($"/api/schedules/{JobTypes.WeeklyDigest}/resume", null)).EnsureSuccessStatusCode();
        await SignInAsync(TestTokens.Reader, "/audit");

        await Page.GetByLabel("Action", new() { Exact = true }).SelectOptionAsync("schedule.pause");
        await Page.GetByLabel("Actor", new() { Exact = true }).FillAsync("ops_anna");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        var rows = Page.Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("ops_anna");
        await Expect(rows.First).ToContainTextAsync("schedule.pause");
        await Expect(rows.First).ToContainTextAsync("accepted");
        await rows.First.GetByText("Show").ClickAsync();
        await Expect(rows.First).ToContainTextAsync("audit trail test");
    }
}
