using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>The sign-in view: a pasted or linked token, the session it keeps, and a token the service refuses.</summary>
public sealed class SignInViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task SignIn_WithAPastedDevToken_ShowsWhoIsSignedIn_AndTheJobTypes()
    {
        await Page.GotoAsync($"{BaseUrl}/dashboard");

        await Page.GetByLabel("Access token (JWT)").FillAsync(TestTokens.Admin);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(Page.Locator(".who")).ToContainTextAsync($"Signed in as {TestTokens.AdminSubject}");
        await Expect(Page.Locator(".who")).ToContainTextAsync("Admin");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Job types", Level = 1 })).ToBeVisibleAsync();
        foreach (var type in new[] { JobTypes.CrawlPending, JobTypes.WeeklyDigest, JobTypes.EmailScan })
        {
            await Expect(JobTypeRow(type)).ToBeVisibleAsync();
        }

        await Expect(JobTypeRow(JobTypes.CrawlPending).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CrawlPending}" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task SignIn_FromTheAddress_TakesTheTokenOutOfTheUrl_AndKeepsTheSessionOnReload()
    {
        await Page.GotoAsync($"{BaseUrl}/dashboard#token={TestTokens.Reader}");

        await Expect(Page.Locator(".who")).ToContainTextAsync($"Signed in as {TestTokens.ReaderSubject}");
        await Expect(Page).ToHaveURLAsync(new Regex("/dashboard#/$"));
        Page.Url.Should().NotContain(TestTokens.Reader);
        await Page.ReloadAsync();
        await Expect(Page.Locator(".who")).ToContainTextAsync("Reader (read-only)");
    }

    [Test]
    public async Task ATokenTheServiceRefuses_ReturnsToSignIn_WithTheReason()
    {
        // A well-formed token with a broken signature: the page can decode it, the API must refuse it (401).
        var forged = TestTokens.Admin[..^6] + (TestTokens.Admin.EndsWith("AAAAAA", StringComparison.Ordinal) ? "BBBBBB" : "AAAAAA");
        await Page.GotoAsync($"{BaseUrl}/dashboard");

        await Page.GetByLabel("Access token (JWT)").FillAsync(forged);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("401");
        await Expect(Page.GetByLabel("Access token (JWT)")).ToBeVisibleAsync();
        await Expect(Page.Locator(".who")).ToHaveCountAsync(0);
    }
}
