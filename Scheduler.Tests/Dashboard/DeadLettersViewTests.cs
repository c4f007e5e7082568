using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts.Downstream;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>The dead-letters view: the core API's dead letters per kind through the scheduler; admins replay one after confirming, readers only see.</summary>
public sealed class DeadLettersViewTests : DashboardBrowserFixture
{
    [SetUp]
    public void ResetDeadLetters() => StandIns.State.Reset();

    [Test]
    public async Task AnAdmin_ListsDeadLettersPerKind_AndReplaysOneAfterConfirming()
    {
        await SignInAsync(TestTokens.Admin, "/dead-letters");

        await Expect(Page.Locator("main").GetByRole(AriaRole.Status)).ToContainTextAsync("3 dead letters (outbox 2, export 1)");
        await Page.GetByLabel("Kind").SelectOptionAsync("export");
        await Expect(Page.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(Page.Locator("tr[data-id='ex-2001']")).ToContainTextAsync("export storage quota exceeded");
        await Page.GetByLabel("Kind").SelectOptionAsync("outbox");
        var row = Page.Locator("tr[data-id='ob-1001']");
        await Expect(row).ToContainTextAsync("webhook.submission");

        await row.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Replay outbox ob-1001?" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();

        await Expect(row).ToHaveCountAsync(0);
        await Expect(Page.Locator("tr[data-id='ob-1002']")).ToHaveCountAsync(1);
        StandIns.State.RequestsTo("POST", "/v1/admin/outbox/ob-1001/replay").Should().ContainSingle();
        await ScreenshotAsync("replayed");
    }

    [Test]
    public async Task AnAdmin_WhoBacksOut_ReplaysNothing()
    {
        await SignInAsync(TestTokens.Admin, "/dead-letters?kind=outbox");

        await Page.Locator("tr[data-id='ob-1002']").GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Back out" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        await Expect(Page.Locator("tr[data-id='ob-1002']")).ToHaveCountAsync(1);
        StandIns.State.Requests.Should().NotContain(r => r.Path.EndsWith("/replay", StringComparison.Ordinal));
    }

    [Test]
    public async Task AReader_SeesTheDeadLetters_ButNoReplayButton()
    {
        StandIns.State.AddDeadLetters(DeadLetterKinds.Outbox, 2, "receiver answered 410");

        await SignInAsync(TestTokens.Reader, "/dead-letters");

        await Expect(Page.Locator("main").GetByRole(AriaRole.Status)).ToContainTextAsync("5 dead letters (outbox 4, export 1)");
        await Expect(Page.Locator("tbody tr")).ToHaveCountAsync(5);
        await Expect(Page.GetByText("receiver answered 410").First).ToBeVisibleAsync();
        await Expect(Page.Locator("tbody").GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
    }

    [Test]
    public async Task TheCoreApisFailure_IsShownAsTheServicesProblem()
    {
        StandIns.State.SetFault("GET", "/v1/admin/queue/dlq", new Scheduler.StandIns.Fault(Status: 500));

        await SignInAsync(TestTokens.Reader, "/dead-letters");

        await Expect(Page.GetByText("The core API answered with an error")).ToBeVisibleAsync();
        await Expect(Page.GetByText("The dead letters could not be read.")).ToBeVisibleAsync();
    }
}
