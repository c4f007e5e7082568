using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Service.Dashboard;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>
/// The dashboard at <c>/dashboard</c> in a real browser: Debian's Chromium (<c>/usr/bin/chromium</c>, installed by
/// ./test.sh; no browser is downloaded) driven by Playwright, against the service on a loopback port with real tokens
/// and the stand-ins. Every test leaves a screenshot in <c>TestResults/screenshots/&lt;test&gt;.png</c>.
/// </summary>
public sealed partial class DashboardBrowserTests : ServiceFixture
{
    private const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>
    /// Quiet and offline: without the background-networking flags Chromium keeps calling Google's hosts, which this
    /// machine's network refuses. Playwright gives every launch a fresh, empty profile (--user-data-dir) of its own.
    /// </summary>
    private static readonly string[] ChromiumFlags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private static readonly LocatorAssertionsToHaveAttributeOptions LongWait = new() { Timeout = 30_000 };

    private readonly List<string> _pageErrors = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private IBrowserContext? _context;
    private IPage _page = null!;

    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        // weekly_digest runs on its schedule (Mondays 09:00) for the pause and resume test; nothing else is scheduled.
        ["Jobs:weekly_digest:Scheduled"] = "true",
        // A slow discovery call keeps a run running as long as a test needs; one failed call fails the run.
        ["Services:Discovery:AttemptTimeout"] = "00:02:00",
        ["Services:Discovery:TotalTimeout"] = "00:03:00",
        ["Services:Discovery:MaxRetries"] = "0",
        ["Services:Discovery:BreakSamplingDuration"] = "00:10:00",
    };

    private string BaseUrl => Service.Client.BaseAddress!.ToString().TrimEnd('/');

    /// <summary>The run's status badge at the top of an execution's page.</summary>
    private ILocator RunStatus => _page.Locator(".view-header .status");

    protected override async Task OnStartedAsync()
    {
        SetDefaultExpectTimeout(15_000);
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"Chromium is not installed at {ChromiumPath}: the dashboard's browser tests need Debian's chromium package (./test.sh installs it; or apt-get install chromium).");
        }

        try
        {
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ChromiumFlags,
                Timeout = 60_000,
            });
        }
        catch (PlaywrightException ex)
        {
            throw new InvalidOperationException($"Chromium ({ChromiumPath}) could not be started by Playwright: {ex.Message}", ex);
        }
    }

    [OneTimeTearDown]
    public async Task CloseBrowser()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    [SetUp]
    public async Task OpenPage()
    {
        StandIns.State.Reset();
        _pageErrors.Clear();
        _context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            // A laptop screen: everything must be readable and usable at this size.
            ViewportSize = new ViewportSize { Width = 1366, Height = 768 },
            Locale = "en-GB",
            TimezoneId = "Europe/Berlin",
        });
        _context.SetDefaultTimeout(15_000);
        _page = await _context.NewPageAsync();
        _page.PageError += (_, error) => _pageErrors.Add(error);
        _page.Console += (_, message) =>
        {
            // A Content-Security-Policy violation means something inline slipped in; the API's 404s for absent endpoints are expected.
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                _pageErrors.Add(message.Text);
            }
        };
    }

    [TearDown]
    public async Task ScreenshotAndClose()
    {
        await ScreenshotAsync();
        await _context!.CloseAsync();
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Passed)
        {
            _pageErrors.Should().BeEmpty("the page must run without script errors or Content-Security-Policy violations");
        }
    }

    [Test]
    public async Task Dashboard_IsServedAnonymously_FromTheService_WithAStrictContentSecurityPolicy()
    {
        using var anonymous = Service.CreateClient(null);

        using var page = await anonymous.GetAsync("/dashboard");
        using var script = await anonymous.GetAsync("/dashboard/js/main.js");
        using var missing = await anonymous.GetAsync("/dashboard/js/no-such-file.js");
        using var head = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/dashboard/dashboard.css"));
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/dashboard/js/main.js");
        revalidate.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        using var unchanged = await anonymous.SendAsync(revalidate);

        page.StatusCode.Should().Be(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        page.Headers.GetValues("Content-Security-Policy").Single().Should().Be(DashboardEndpoints.ContentSecurityPolicy);
        (await page.Content.ReadAsStringAsync()).Should().Contain("/dashboard/js/main.js").And.NotContain("http");
        script.StatusCode.Should().Be(HttpStatusCode.OK);
        script.Content.Headers.ContentType!.MediaType.Should().Be("text/javascript");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        head.StatusCode.Should().Be(HttpStatusCode.OK);
        unchanged.StatusCode.Should().Be(HttpStatusCode.NotModified, "a browser revalidates by ETag and keeps its copy");
    }

    [Test]
    public async Task SignIn_WithAPastedDevToken_ShowsWhoIsSignedIn_AndTheJobTypes()
    {
        await _page.GotoAsync($"{BaseUrl}/dashboard");

        await _page.GetByLabel("Access token (JWT)").FillAsync(TestTokens.Admin);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(_page.Locator(".who")).ToContainTextAsync($"Signed in as {TestTokens.AdminSubject}");
        await Expect(_page.Locator(".who")).ToContainTextAsync("Admin");
        await Expect(_page.GetByRole(AriaRole.Heading, new() { Name = "Job types", Level = 1 })).ToBeVisibleAsync();
        foreach (var type in new[] { JobTypes.CrawlPending, JobTypes.WeeklyDigest, JobTypes.EmailScan })
        {
            await Expect(JobTypeRow(type)).ToBeVisibleAsync();
        }

        await Expect(JobTypeRow(JobTypes.CrawlPending).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CrawlPending}" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task SignIn_FromTheAddress_TakesTheTokenOutOfTheUrl_AndKeepsTheSessionOnReload()
    {
        await _page.GotoAsync($"{BaseUrl}/dashboard#token={TestTokens.Reader}");

        await Expect(_page.Locator(".who")).ToContainTextAsync($"Signed in as {TestTokens.ReaderSubject}");
        await Expect(_page).ToHaveURLAsync(new Regex("/dashboard#/$"));
        _page.Url.Should().NotContain(TestTokens.Reader);
        await _page.ReloadAsync();
        await Expect(_page.Locator(".who")).ToContainTextAsync("Reader (read-only)");
    }

    [Test]
    public async Task ATokenTheServiceRefuses_ReturnsToSignIn_WithTheReason()
    {
        // A well-formed token with a broken signature: the page can decode it, the API must refuse it (401).
        var forged = TestTokens.Admin[..^6] + (TestTokens.Admin.EndsWith("AAAAAA", StringComparison.Ordinal) ? "BBBBBB" : "AAAAAA");
        await _page.GotoAsync($"{BaseUrl}/dashboard");

        await _page.GetByLabel("Access token (JWT)").FillAsync(forged);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(_page.GetByRole(AriaRole.Alert)).ToContainTextAsync("401");
        await Expect(_page.GetByLabel("Access token (JWT)")).ToBeVisibleAsync();
        await Expect(_page.Locator(".who")).ToHaveCountAsync(0);
    }

    [Test]
    public async Task Trigger_WithParameters_ShowsTheRunGoRunningThenCompleted_WithoutReloading()
    {
        // The first discovery call takes 4 s: long enough to see the run running, whether the page streams or polls.
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 4000, Times: 1));
        await SignInAsync(TestTokens.Admin);
        await _page.EvaluateAsync("() => { window.sameDocument = true; }");

        await JobTypeRow(JobTypes.CrawlPending).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CrawlPending}" }).ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = $"Trigger {JobTypes.CrawlPending}" });
        await dialog.GetByLabel("batchSize").FillAsync("5000");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await Expect(dialog.GetByText("Must be a whole number from 1 to 1000.")).ToBeVisibleAsync();
        await dialog.GetByLabel("batchSize").FillAsync("20");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("batchSize = 20");
        await ScreenshotAsync("confirmation");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Link, new() { Name = "View execution" }).ClickAsync();

        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "running", LongWait);
        await Expect(_page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToBeVisibleAsync();
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "completed", LongWait);
        await Expect(_page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToHaveCountAsync(0);
        await Expect(_page.Locator("#outcome-heading + dl")).ToContainTextAsync("Yes");
        (await _page.EvaluateAsync<bool>("() => window.sameDocument === true")).Should().BeTrue("the page followed the run without reloading");
        var id = ExecutionIdIn(_page.Url);
        var execution = await Service.GetExecutionAsync(id);
        execution.Status.Should().Be(ExecutionStatus.Completed);
        execution.Parameters!.Value.GetProperty("batchSize").GetInt32().Should().Be(20);
    }

    [Test]
    public async Task Trigger_WhileARunIsActive_ShowsTheServicesConflict_WithALinkToTheActiveRun()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 120_000));
        var active = await Service.TriggerAsync(JobTypes.CrawlPending);
        await SignInAsync(TestTokens.Admin);

        await JobTypeRow(JobTypes.CrawlPending).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CrawlPending}" }).ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = $"Trigger {JobTypes.CrawlPending}" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync();

        var problem = dialog.GetByRole(AriaRole.Alert);
        await Expect(problem).ToContainTextAsync("The job type is already running");
        await Expect(problem).ToContainTextAsync($"has execution {active} pending or running");
        await problem.GetByRole(AriaRole.Link, new() { Name = $"Open execution {active}" }).ClickAsync();
        await Expect(_page).ToHaveURLAsync(new Regex($"#/executions/{active}$"));
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "running");
        (await Service.Client.PostAsync($"/api/jobs/{active}/cancel", null)).EnsureSuccessStatusCode();
        await Service.WaitForStatusAsync(active, ExecutionStatus.Cancelled);
    }

    [Test]
    public async Task Keyboard_OpensTheTriggerDialogOnItsFirstField_AndEscapeReturnsFocusToTheButton()
    {
        await SignInAsync(TestTokens.Admin);
        var trigger = JobTypeRow(JobTypes.CrawlPending).GetByRole(AriaRole.Button, new() { Name = $"Trigger {JobTypes.CrawlPending}" });

        await trigger.FocusAsync();
        await _page.Keyboard.PressAsync("Enter");
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = $"Trigger {JobTypes.CrawlPending}" });
        await Expect(dialog.GetByLabel("batchSize")).ToBeFocusedAsync();
        await _page.Keyboard.PressAsync("Tab");
        await Expect(dialog.GetByLabel("maxBatches")).ToBeFocusedAsync();
        await _page.Keyboard.PressAsync("Escape");

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(trigger).ToBeFocusedAsync();
    }

    [Test]
    public async Task Cancel_ARunningRun_FromTheHistory_EndsItCancelled_ByTheSignedInAdmin()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 120_000));
        var id = await Service.TriggerAsync(JobTypes.CrawlPending);
        await Service.WaitForStatusAsync(id, ExecutionStatus.Running);
        await SignInAsync(TestTokens.Admin);

        await _page.GetByRole(AriaRole.Link, new() { Name = "Executions", Exact = true }).ClickAsync();
        await _page.Locator($"a[href='#/executions/{id}']").ClickAsync();
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "running");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" }).ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Reason").FillAsync("stuck on a slow discovery call");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel the run" }).ClickAsync();

        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "cancelled", LongWait);
        await Expect(_page.Locator(".error-text").GetByText($"cancelled by {TestTokens.AdminSubject} while running")).ToBeVisibleAsync();
        await Expect(_page.GetByRole(AriaRole.Button, new() { Name = "Retry" })).ToBeVisibleAsync();
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
        await Expect(_page.Locator("#outcome-heading ~ .problem")).ToContainTextAsync("500");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await _page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Retry now" }).ClickAsync();

        await Expect(_page).ToHaveURLAsync(new Regex($"#/executions/(?!{failed.Id})[0-9a-f-]{{36}}$"));
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "completed", LongWait);
        await Expect(_page.Locator("dl.facts dt:text-is('Retry of') + dd")).ToHaveTextAsync(failed.Id.ToString());
        var retried = await Service.GetExecutionAsync(ExecutionIdIn(_page.Url));
        retried.RetryOf.Should().Be(failed.Id);
        retried.Attempt.Should().Be(2);
        retried.StartedBy.Should().Be(TestTokens.AdminSubject);
    }

    [Test]
    public async Task PauseAndResume_ASchedule_ShowsTheReasonAndTheServiceAgrees()
    {
        await SignInAsync(TestTokens.Admin, "/schedules");
        var row = _page.Locator($"tr[data-job-type='{JobTypes.WeeklyDigest}']");
        await Expect(row).ToContainTextAsync("Runs");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Pause {JobTypes.WeeklyDigest}" }).ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = $"Pause {JobTypes.WeeklyDigest}" });
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
        await _page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Resume schedule" }).ClickAsync();

        await Expect(row).Not.ToContainTextAsync("Paused");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = $"Pause {JobTypes.WeeklyDigest}" })).ToBeVisibleAsync();
        (await Service.Client.GetFromJsonAsync<ScheduleView>($"/api/schedules/{JobTypes.WeeklyDigest}"))!.Paused.Should().BeFalse();
    }

    [Test]
    public async Task EditASchedule_ShowsTheServicesCronError_ThenTheNextFireTimes_AndResetReturnsItToConfiguration()
    {
        await SignInAsync(TestTokens.Admin, "/schedules");
        var row = _page.Locator($"tr[data-job-type='{JobTypes.WeeklyDigest}']");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Edit {JobTypes.WeeklyDigest}" }).ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog);
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
        await _page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Reset to configuration" }).ClickAsync();

        await Expect(row).Not.ToContainTextAsync("Override");
        (await Service.Client.GetFromJsonAsync<ScheduleView>($"/api/schedules/{JobTypes.WeeklyDigest}"))!.Source.Should().Be("configuration");
    }

    [Test]
    public async Task AuditTrail_ShowsWhoDidWhat_FilteredByAction()
    {
        using var anna = Service.CreateClient(TestTokens.AdminAs("ops_anna"));
        (await anna.PostAsJsonAsync($"/api/schedules/{JobTypes.WeeklyDigest}/pause", new { reason = "audit trail test" })).EnsureSuccessStatusCode();
        (await anna.PostAsync($"/api/schedules/{JobTypes.WeeklyDigest}/resume", null)).EnsureSuccessStatusCode();
        await SignInAsync(TestTokens.Reader, "/audit");

        await _page.GetByLabel("Action", new() { Exact = true }).SelectOptionAsync("schedule.pause");
        await _page.GetByLabel("Actor", new() { Exact = true }).FillAsync("ops_anna");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        var rows = _page.Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("ops_anna");
        await Expect(rows.First).ToContainTextAsync("schedule.pause");
        await Expect(rows.First).ToContainTextAsync("accepted");
        await rows.First.GetByText("Show").ClickAsync();
        await Expect(rows.First).ToContainTextAsync("audit trail test");
    }

    [Test]
    public async Task FilterTheHistory_ByTypeAndStatus_ShowsOnlyTheMatchingRuns()
    {
        StandIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(Status: 500));
        var failedScan = await Service.RunAsync(JobTypes.EmailScan);
        StandIns.State.ClearFault("POST", "/v1/admin/email-scan");
        var completedScan = await Service.RunAsync(JobTypes.EmailScan);
        var cleanup = await Service.RunAsync(JobTypes.AdminCleanup);
        failedScan.Status.Should().Be(ExecutionStatus.Failed);
        await SignInAsync(TestTokens.Admin, "/executions");
        var rows = _page.Locator("tbody tr[data-execution-id]");
        await Expect(_page.Locator($"tr[data-execution-id='{cleanup.Id}']")).ToBeVisibleAsync();

        await _page.GetByLabel("Job type", new() { Exact = true }).SelectOptionAsync(JobTypes.EmailScan);
        await _page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("failed");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        await Expect(rows).ToHaveCountAsync(1);
        await Expect(_page.Locator($"tr[data-execution-id='{failedScan.Id}']")).ToHaveAttributeAsync("data-status", "failed");
        await Expect(_page).ToHaveURLAsync(new Regex("#/executions\\?type=email_scan&status=failed&limit=50$"));
        await Expect(_page.GetByRole(AriaRole.Status).Filter(new() { HasText = "match" })).ToHaveTextAsync("1 execution matches.");

        await _page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("completed");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        await Expect(_page.Locator($"tr[data-execution-id='{completedScan.Id}']")).ToBeVisibleAsync();
        await Expect(_page.Locator($"tr[data-execution-id='{failedScan.Id}']")).ToHaveCountAsync(0);
        await Expect(_page.Locator($"tr[data-execution-id='{cleanup.Id}']")).ToHaveCountAsync(0);

        await _page.GetByRole(AriaRole.Button, new() { Name = "Clear filters" }).ClickAsync();
        await Expect(_page.Locator($"tr[data-execution-id='{cleanup.Id}']")).ToBeVisibleAsync();
        await Expect(_page.Locator($"tr[data-execution-id='{failedScan.Id}']")).ToBeVisibleAsync();
    }

    [Test]
    public async Task Reader_SeesTypesSchedulesAndRuns_ButNoMutatingControls()
    {
        StandIns.State.SetFault("POST", "/v1/admin/retention/cleanup", new Fault(Status: 500));
        var failed = await Service.RunAsync(JobTypes.RetentionCleanup);
        failed.Status.Should().Be(ExecutionStatus.Failed);
        await SignInAsync(TestTokens.Reader);

        await Expect(_page.Locator(".who")).ToContainTextAsync("Reader (read-only)");
        await Expect(JobTypeRow(JobTypes.RetentionCleanup)).ToContainTextAsync("Last run failed");
        await Expect(_page.GetByRole(AriaRole.Button, new() { Name = "Trigger" })).ToHaveCountAsync(0);

        await _page.GetByRole(AriaRole.Link, new() { Name = "Schedules", Exact = true }).ClickAsync();
        await Expect(_page.Locator($"tr[data-job-type='{JobTypes.WeeklyDigest}']")).ToBeVisibleAsync();
        foreach (var name in new[] { "Pause", "Resume", "Edit", "Reset" })
        {
            await Expect(_page.GetByRole(AriaRole.Button, new() { Name = name })).ToHaveCountAsync(0);
        }

        await _page.GetByRole(AriaRole.Link, new() { Name = "Executions", Exact = true }).ClickAsync();
        await _page.Locator($"a[href='#/executions/{failed.Id}']").ClickAsync();
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "failed");
        await Expect(_page.Locator("#outcome-heading ~ .problem")).ToContainTextAsync("500");
        await Expect(_page.GetByRole(AriaRole.Button, new() { Name = "Retry" })).ToHaveCountAsync(0);
        await Expect(_page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToHaveCountAsync(0);
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
        await _page.RouteAsync("**/api/jobs/events", async route =>
        {
            var headers = await route.Request.AllHeadersAsync();
            lastEventIds.Enqueue(headers.TryGetValue("last-event-id", out var last) ? last : "");
            var body = Interlocked.CompareExchange(ref serveEvents, 2, 1) == 1 ? events : "retry: 200\n: nothing new\n\n";
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/event-stream", Body = body });
        });
        await _page.RouteAsync($"**/api/jobs/{id}/logs", route =>
            route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "application/json", Body = logs.ToJsonString() }));

        await SignInAsync(TestTokens.Admin, $"/executions/{id}");
        await Expect(RunStatus).ToHaveAttributeAsync("data-status", "running");
        await Expect(_page.Locator(".live")).ToContainTextAsync("Live");
        await Expect(_page.GetByRole(AriaRole.Log)).ToContainTextAsync("Fetched 25 pending discoveries");
        Interlocked.Exchange(ref serveEvents, 1);

        await Expect(_page.GetByRole(AriaRole.Progressbar, new() { Name = "Progress" })).ToHaveAttributeAsync("value", "3");
        await Expect(_page.GetByText("3 of 10 batches (30%)")).ToBeVisibleAsync();
        await Expect(_page.GetByText("At the current rate:")).ToBeVisibleAsync();
        await Expect(_page.GetByRole(AriaRole.Log)).ToContainTextAsync("Sent batch 3 of 10");
        await Eventually.Until(() => Task.FromResult(lastEventIds.ToArray()), ids => ids.Contains("42"), TimeSpan.FromSeconds(10),
            "a reconnect carrying Last-Event-ID: 42");
        lastEventIds.First().Should().BeEmpty("the first connection has no event to resume from");
        (await Service.Client.PostAsync($"/api/jobs/{id}/cancel", null)).EnsureSuccessStatusCode();
        await Service.WaitForStatusAsync(id, ExecutionStatus.Cancelled);
    }

    /// <summary>The page as it is now, in <c>TestResults/screenshots/&lt;test&gt;[-step].png</c> (./test.sh keeps TestResults).</summary>
    private async Task ScreenshotAsync(string? step = null)
    {
        var directory = Path.Combine(ServiceProcess.RepositoryRoot, "TestResults", "screenshots");
        Directory.CreateDirectory(directory);
        var name = step is null ? TestContext.CurrentContext.Test.Name : $"{TestContext.CurrentContext.Test.Name}-{step}";
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, $"{name}.png"), FullPage = true });
    }

    private ILocator JobTypeRow(string jobType) => _page.Locator($"tr[data-job-type='{jobType}']");

    /// <summary>Signs in through <c>/dashboard#token=…</c>, then goes to <paramref name="route"/> (a hash route).</summary>
    private async Task SignInAsync(string token, string route = "/")
    {
        await _page.GotoAsync($"{BaseUrl}/dashboard#token={token}");
        await Expect(_page.Locator(".who")).ToContainTextAsync("Signed in as");
        if (route != "/")
        {
            await _page.GotoAsync($"{BaseUrl}/dashboard#{route}");
        }
    }

    private static Guid ExecutionIdIn(string url) => Guid.Parse(ExecutionUrl().Match(url).Groups[1].Value);

    [GeneratedRegex("#/executions/([0-9a-fA-F-]{36})$")]
    private static partial Regex ExecutionUrl();
}
