using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>
/// The statistics view: charts drawn by the vendored uPlot from GET /api/jobs/stats over real runs, their figures as
/// text, and the failure reasons linked to the runs behind them. Each test uses job types of its own, since the
/// fixture's tests share one database.
/// </summary>
public sealed class StatsViewTests : DashboardBrowserFixture
{
    private readonly List<string> _consoleErrors = [];

    [SetUp]
    public void WatchTheConsole()
    {
        _consoleErrors.Clear();
        Page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _consoleErrors.Add(message.Text);
            }
        };
    }

    [Test]
    public async Task StatsView_DrawsTheChartsFromRealRuns_AndTheirFiguresMatchTheApi()
    {
        StandIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(Status: 500));
        (await Service.RunAsync(JobTypes.EmailScan)).Status.Should().Be(ExecutionStatus.Failed);
        StandIns.State.ClearFault("POST", "/v1/admin/email-scan");
        for (var i = 0; i < 3; i++)
        {
            (await Service.RunAsync(JobTypes.EmailScan)).Status.Should().Be(ExecutionStatus.Completed);
        }

        var to = DateTimeOffset.UtcNow;
        var typeStats = await StatsAsync(new() { ["type"] = JobTypes.EmailScan, ["from"] = Iso(to.AddHours(-24)), ["to"] = Iso(to) });
        var lastHour = await StatsAsync(new() { ["from"] = Iso(to.AddHours(-1)), ["to"] = Iso(to), ["bucket"] = "minute" });
        var emailScan = typeStats["types"]!.AsArray().Single(t => (string)t!["jobType"]! == JobTypes.EmailScan)!;
        await SignInAsync(TestTokens.Admin, $"/stats?type={JobTypes.EmailScan}");

        await Expect(Page.Locator("[data-summary='type']")).ToContainTextAsync("4 runs ended: 3 completed, 1 failed, 0 cancelled, 0 skipped. 75 % success.");
        var clusterTotal = (int)lastHour["overall"]!["total"]!;
        await Expect(Page.Locator("[data-summary='cluster']")).ToContainTextAsync($"Last hour: {clusterTotal} runs ended: {(int)lastHour["overall"]!["counts"]!["completed"]!} completed");
        var canvases = Page.Locator("figure.chart canvas");
        await Expect(canvases).ToHaveCountAsync(3);
        foreach (var canvas in await canvases.AllAsync())
        {
            var box = (await canvas.BoundingBoxAsync())!;
            box.Width.Should().BeGreaterThan(100, "uPlot drew the chart at the width of its container");
            box.Height.Should().BeGreaterThan(100);
        }

        // The charts' own data (the uPlot instances'), bucket by bucket, against the API's answer.
        var runs = await ChartDataAsync("Runs and success rate over time");
        var durations = await ChartDataAsync("Duration p50 and p95 over time");
        var cluster = await ChartDataAsync("Runs per minute by status, last hour");
        var ran = emailScan["series"]!.AsArray().Where(b => Total(b!) > 0).ToDictionary(b => Seconds((string)b!["start"]!), b => b!);
        ran.Should().NotBeEmpty();
        var drawn = Enumerable.Range(0, runs[0].Length).Where(i => runs[1][i] is > 0).ToDictionary(i => (long)runs[0][i]!.Value, i => i);
        drawn.Keys.Should().BeEquivalentTo(ran.Keys, "the chart has a bar wherever the API counted runs");
        foreach (var (start, bucket) in ran)
        {
            var i = drawn[start];
            runs[1][i].Should().Be(Total(bucket));
            runs[2][i].Should().BeApproximately((double)bucket["successRate"]! * 100, 0.001);
            durations[1][i].Should().BeApproximately((double)bucket["p50Ms"]! / 1000, 0.0005);
            durations[2][i].Should().BeApproximately((double)bucket["p95Ms"]! / 1000, 0.0005);
        }

        runs[1].Sum(v => v ?? 0).Should().Be(4);
        // Stacked: the topmost series (skipped, over cancelled, failed and completed) reaches each minute's total.
        cluster[1].Sum(v => v ?? 0).Should().Be(clusterTotal);
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task RangePicker_ShowsTheTypeOverSevenDays_InHourBuckets_AndKeepsTheChoiceInTheAddress()
    {
        (await Service.RunAsync(JobTypes.OutboxDlqReplay)).Status.Should().Be(ExecutionStatus.Completed);
        (await Service.RunAsync(JobTypes.OutboxDlqReplay)).Status.Should().Be(ExecutionStatus.Completed);
        await SignInAsync(TestTokens.Admin, "/stats");
        await Expect(Page.Locator("#stats-type")).ToHaveTextAsync("All types, last 24 hours");

        await Page.GetByLabel("Job type", new() { Exact = true }).SelectOptionAsync(JobTypes.OutboxDlqReplay);
        await Page.GetByLabel("Range", new() { Exact = true }).SelectOptionAsync("7d");

        await Expect(Page).ToHaveURLAsync(new Regex($"#/stats\\?type={JobTypes.OutboxDlqReplay}&range=7d$"));
        await Expect(Page.Locator("#stats-type")).ToHaveTextAsync($"{JobTypes.OutboxDlqReplay}, last 7 days");
        await Expect(Page.Locator("[data-summary='type']")).ToContainTextAsync("2 runs ended: 2 completed, 0 failed, 0 cancelled, 0 skipped. 100 % success.");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Failure reasons" }).Locator("xpath=following-sibling::div[1]"))
            .ToHaveTextAsync("No run failed in this range.");
        var runs = await ChartDataAsync("Runs and success rate over time");
        runs[0].Length.Should().BeInRange(7 * 24, 7 * 24 + 1, "seven days in hour buckets, the first and last partial");
        (runs[0][1] - runs[0][0]).Should().Be(3600);
        runs[1].Sum(v => v ?? 0).Should().Be(2);
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task FailureReasons_ShowTheNormalisedReasonWithItsCount_AndItsLinkOpensExactlyThoseRuns()
    {
        StandIns.State.SetFault("POST", "/v1/admin/cleanup", new Fault(Status: 500));
        var first = await Service.RunAsync(JobTypes.AdminCleanup);
        var second = await Service.RunAsync(JobTypes.AdminCleanup);
        StandIns.State.SetFault("POST", "/v1/admin/cleanup", new Fault(Status: 503));
        var other = await Service.RunAsync(JobTypes.AdminCleanup);
        StandIns.State.ClearFault("POST", "/v1/admin/cleanup");
        (await Service.RunAsync(JobTypes.AdminCleanup)).Status.Should().Be(ExecutionStatus.Completed);
        new[] { first, second, other }.Should().OnlyContain(e => e.Status == ExecutionStatus.Failed);
        var to = DateTimeOffset.UtcNow;
        var stats = await StatsAsync(new() { ["type"] = JobTypes.AdminCleanup, ["from"] = Iso(to.AddHours(-24)), ["to"] = Iso(to) });
        var reasons = stats["types"]!.AsArray().Single()!["failureReasons"]!.AsArray();
        reasons.Should().HaveCount(2);
        var top = reasons[0]!;
        ((int)top["count"]!).Should().Be(2);
        var reason = (string)top["reason"]!;
        reason.Should().Contain("<n>", "the status code is masked").And.Contain("/v1/admin/cleanup").And.NotContain("500");

        await SignInAsync(TestTokens.Admin, $"/stats?type={JobTypes.AdminCleanup}");
        var rows = Page.Locator("table.reasons tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        var row = rows.First;
        await Expect(row.Locator("td").Nth(0)).ToHaveTextAsync(reason);
        await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("2");
        var example = row.Locator("td").Nth(4).GetByRole(AriaRole.Link);
        await Expect(example).ToHaveAttributeAsync("href", $"#/executions/{(string)top["exampleId"]!}");
        await Expect(Page.Locator("[data-summary='type']")).ToContainTextAsync("4 runs ended: 1 completed, 3 failed, 0 cancelled, 0 skipped. 25 % success.");

        await row.GetByRole(AriaRole.Link, new() { Name = $"{reason}: the 2 failed runs" }).ClickAsync();

        await Expect(Page.Locator("h1")).ToHaveTextAsync("Executions");
        var listed = Page.Locator("tbody tr[data-execution-id]");
        await Expect(listed).ToHaveCountAsync(2);
        var ids = await listed.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.executionId)");
        ids.Select(Guid.Parse).Should().BeEquivalentTo([first.Id, second.Id]);
        await Expect(Page.GetByLabel("Failure reason")).ToHaveValueAsync(reason);
        await Expect(Page.GetByLabel("Status", new() { Exact = true })).ToHaveValueAsync("failed");
        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "match" })).ToHaveTextAsync("2 executions match.");
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task AnAdmin_RetriesOneReasonsFailedRuns_FromItsRow_AfterTheDryRunListsExactlyThem()
    {
        StandIns.State.SetFault("POST", "/v1/admin/export-dead-letter", new Fault(Status: 500));
        var first = await Service.RunAsync(JobTypes.ExportDlqReplay);
        var second = await Service.RunAsync(JobTypes.ExportDlqReplay);
        StandIns.State.SetFault("POST", "/v1/admin/export-dead-letter", new Fault(Status: 503));
        var other = await Service.RunAsync(JobTypes.ExportDlqReplay);
        StandIns.State.ClearFault("POST", "/v1/admin/export-dead-letter");
        new[] { first, second, other }.Should().OnlyContain(e => e.Status == ExecutionStatus.Failed);
        await SignInAsync(TestTokens.Admin, $"/stats?type={JobTypes.ExportDlqReplay}");
        var top = Page.Locator("table.reasons tbody tr").First;
        await Expect(top.Locator("td").Nth(1)).ToHaveTextAsync("2");
        var reason = await top.Locator("td").Nth(0).InnerTextAsync();

        await top.GetByRole(AriaRole.Button, new() { Name = $"Retry the failed runs: {reason}" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Retry failed runs" });
        await Expect(dialog.GetByLabel("Failure reason (optional)")).ToHaveValueAsync(reason);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Show what would be retried" }).ClickAsync();

        await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("2 failed runs not yet retried match.");
        await Expect(dialog.Locator($"tr[data-key='{first.Id}']")).ToBeVisibleAsync();
        await Expect(dialog.Locator($"tr[data-key='{second.Id}']")).ToBeVisibleAsync();
        await Expect(dialog.Locator($"tr[data-key='{other.Id}']")).ToHaveCountAsync(0);
        (await RetriesOfAsync(first.Id, second.Id, other.Id)).Should().Be(0, "the list is a dry run");

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Retry 2 runs" }).ClickAsync();

        // One run of a type at a time: the call retries the oldest and reports the other busy, for the next call.
        await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("Retried 1 of 2; 1 not retried.");
        (await RetriesOfAsync(first.Id)).Should().Be(1);
        (await RetriesOfAsync(second.Id, other.Id)).Should().Be(0);
        AssertNoConsoleErrors();
    }

    [Test]
    public async Task Reader_SeesTheChartsAndTheirFigures_WithNothingToChange()
    {
        (await Service.RunAsync(JobTypes.RetentionCleanup)).Status.Should().Be(ExecutionStatus.Completed);
        await SignInAsync(TestTokens.Reader, $"/stats?type={JobTypes.RetentionCleanup}");

        await Expect(Page.Locator("[data-summary='type']")).ToContainTextAsync("1 run ended: 1 completed, 0 failed, 0 cancelled, 0 skipped. 100 % success.");
        await Expect(Page.Locator("figure.chart canvas")).ToHaveCountAsync(3);
        await Expect(Page.Locator($"tr[data-job-type='{JobTypes.RetentionCleanup}']")).ToContainTextAsync("100 %");
        (await ChartDataAsync("Runs and success rate over time"))[1].Sum(v => v ?? 0).Should().Be(1);
        await Expect(Page.Locator("main button")).ToHaveTextAsync(["Refresh"]);
        AssertNoConsoleErrors();
    }

    private static async Task<long> RetriesOfAsync(params Guid[] ids)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE retry_of = ANY(@ids)", new { ids });
    }

    private async Task<JsonNode> StatsAsync(Dictionary<string, string> query)
    {
        var text = string.Join('&', query.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        return (await Service.Client.GetFromJsonAsync<JsonNode>($"/api/jobs/stats?{text}"))!;
    }

    /// <summary>The data of the chart labelled <paramref name="label"/> as uPlot holds it: x (Unix seconds), then each series.</summary>
    private async Task<double?[][]> ChartDataAsync(string label)
    {
        var figure = Page.Locator($"figure.chart[aria-label='{label}']");
        await Expect(figure.Locator("canvas")).ToHaveCountAsync(1);
        return await figure.EvaluateAsync<double?[][]>("figure => figure.chart.data");
    }

    private void AssertNoConsoleErrors() =>
        _consoleErrors.Should().BeEmpty("the statistics view runs without script errors or failed requests");

    private static string Iso(DateTimeOffset instant) => instant.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static long Seconds(string instant) => DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture).ToUnixTimeSeconds();

    private static int Total(JsonNode bucket) =>
        bucket["counts"]!.AsObject().Sum(c => (int)c.Value!);
}
