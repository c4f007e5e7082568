using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>One execution's view: cancelling and retrying a run, and its live progress and log.</summary>
public sealed class ExecutionViewTests : DashboardBrowserFixture
{
    [Test]
    public async Task Cancel_ARunningRun_FromTheHistory_EndsItCancelled_ByTheSignedInAdmin()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 120_000));
        var id = await Service.TriggerAsync(JobTypes.CrawlPending);
        await Service.WaitForStatusAsync(id, ExecutionStatus.Running);
        await SignInAsync(TestTokens.Admin);

        await Page.GetByRole(AriaRole.Link, new() { Name = "Executions", Exact = true }).ClickAsync();
        await Page.Locator($"a[href='#/executions/{id}']").ClickAsync();
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "running");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Reason").FillAsync("stuck on a slow discovery call");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel the run" }).ClickAsync();

        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "cancelled", LongWait);
        await Expect(Page.Locator(".error-text").GetByText($"cancelled by {TestTokens.AdminSubject} while running")).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Retry" })).ToBeVisibleAsync();
        var cancelled = await Service.GetExecutionAsync(id);
        cancelled.Status.Should().Be(ExecutionStatus.Cancelled);
        cancelled.CancelledBy.Should().Be(TestTokens.AdminSubject);
    }

    [Test]
    public async Task Retry_AFailedRun_StartsASecondAttempt_ThatCompletes()
    {
        // The run's first downstream call answers 500 (and the tests' discovery client does not retry): the run fails.
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(Status: 500, Times: 1));
        var failed = await Service.RunAsync(JobTypes.CrawlPending);
        failed.Status.Should().Be(ExecutionStatus.Failed);
        await SignInAsync(TestTokens.Admin, $"/executions/{failed.Id}");

        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "failed");
        await Expect(Page.Locator("#outcome-heading ~ .problem")).ToContainTextAsync("500");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Retry", Exact = true }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex($"#/executions/(?!{failed.Id})[0-9a-f-]{{36}}$"));
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "completed", LongWait);
        await Expect(Page.Locator("dl.facts dt:text-is('Retry of') + dd")).ToHaveTextAsync(failed.Id.ToString());
        var retried = await Service.GetExecutionAsync(ExecutionIdIn(Page.Url));
        retried.RetryOf.Should().Be(failed.Id);
        retried.Attempt.Should().Be(2);
        retried.StartedBy.Should().Be(TestTokens.AdminSubject);
    }

    [Test]
    public async Task EventStream_ShowsProgressAndStreamedLog_AndAReconnectSendsLastEventId()
    {
        // The service's stream is stood in for here (the page reads it with fetch, so the browser can serve it): first
        // a stream with nothing new that ends and asks for a quick reconnect, then one with a progress event and a log
        // line, then quiet ones again. The per-run log endpoint is stood in for the same way.
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 120_000));
        var id = await Service.TriggerAsync(JobTypes.CrawlPending);
        await Service.WaitForStatusAsync(id, ExecutionStatus.Running);
        var execution = JsonNode.Parse(await Service.Client.GetStringAsync($"/api/jobs/{id}"))!.AsObject();
        execution["progress"] = new JsonObject { ["done"] = 3, ["total"] = 10, ["unit"] = "batches" };
        var progressed = new JsonObject { ["kind"] = "progressed", ["execution"] = execution };
        var streamedLine = new JsonObject
        {
            ["executionId"] = id, ["at"] = DateTimeOffset.UtcNow.AddSeconds(1).ToString("O"), ["level"] = "Information", ["message"] = "Sent batch 3 of 10",
        };
        var events = $"retry: 200\nid: 41\nevent: execution\ndata: {progressed.ToJsonString()}\n\nid: 42\nevent: log\ndata: {streamedLine.ToJsonString()}\n\n";
        var logs = new JsonObject
        {
            ["executionId"] = id,
            ["lines"] = new JsonArray(new JsonObject { ["at"] = DateTimeOffset.UtcNow.ToString("O"), ["level"] = "Information", ["message"] = "Fetched 25 pending discoveries" }),
            ["truncated"] = false,
        };
        var lastEventIds = new ConcurrentQueue<string>();
        var serveEvents = 0;
        await Page.RouteAsync("**/api/jobs/events", async route =>
        {
            var headers = await route.Request.AllHeadersAsync();
            lastEventIds.Enqueue(headers.TryGetValue("last-event-id", out var last) ? last : "");
            var body = Interlocked.CompareExchange(ref serveEvents, 2, 1) == 1 ? events : "retry: 200\n: nothing new\n\n";
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/event-stream", Body = body });
        });
        await Page.RouteAsync($"**/api/jobs/{id}/logs", route =>
            route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "application/json", Body = logs.ToJsonString() }));

        await SignInAsync(TestTokens.Admin, $"/executions/{id}");
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "running");
        await Expect(Page.Locator(".live")).ToContainTextAsync("Live");
        await Expect(Page.GetByRole(AriaRole.Log)).ToContainTextAsync("Fetched 25 pending discoveries");
        Interlocked.Exchange(ref serveEvents, 1);

        await Expect(Page.GetByRole(AriaRole.Progressbar, new() { Name = "Progress" })).ToHaveAttributeAsync("value", "3");
        await Expect(Page.GetByText("3 of 10 batches (30%)")).ToBeVisibleAsync();
        await Expect(Page.GetByText("At the current rate:")).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Log)).ToContainTextAsync("Sent batch 3 of 10");
        await Eventually.Until(() => Task.FromResult(lastEventIds.ToArray()), ids => ids.Contains("42"), TimeSpan.FromSeconds(10),
            "a reconnect carrying Last-Event-ID: 42");
        lastEventIds.First().Should().BeEmpty("the first connection has no event to resume from");
        (await Service.Client.PostAsync($"/api/jobs/{id}/cancel", null)).EnsureSuccessStatusCode();
        await Service.WaitForStatusAsync(id, ExecutionStatus.Cancelled);
    }
}
