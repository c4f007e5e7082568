using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Playwright;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>
/// The dashboard at <c>/dashboard</c> in a real browser: the system Chromium that ./test.sh finds (CHROMIUM_PATH; installed by
/// ./test.sh; no browser is downloaded) driven by Playwright, against the service on a loopback port with real tokens
/// and the stand-ins. Every test leaves a screenshot in <c>TestResults/screenshots/&lt;test&gt;.png</c>. One fixture per
/// view, each with its own service, browser and emptied database.
/// </summary>
public abstract partial class DashboardBrowserFixture : ServiceFixture
{
    /// <summary>The Chromium ./test.sh found (Debian's, Ubuntu's deb or snap, Google Chrome) or CHROMIUM_PATH named.</summary>
    private static readonly string ChromiumPath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "";

    /// <summary>
    /// Quiet and offline: without the background-networking flags Chromium keeps calling Google's hosts, which this
    /// machine's network refuses. Playwright gives every launch a fresh, empty profile (--user-data-dir) of its own.
    /// </summary>
    private static readonly string[] ChromiumFlags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    protected static readonly LocatorAssertionsToHaveAttributeOptions LongWait = new() { Timeout = 30_000 };

    private readonly List<string> _pageErrors = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private IBrowserContext? _context;
    /// <summary>The test's page, in a fresh browser context.</summary>
    protected IPage Page { get; private set; } = null!;

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

    protected string BaseUrl => Service.Client.BaseAddress!.ToString().TrimEnd('/');

    /// <summary>The run's status badge at the top of an execution's page.</summary>
    protected ILocator RunStatus => Page.Locator(".view-header .status");

    protected override async Task OnStartedAsync()
    {
        SetDefaultExpectTimeout(15_000);
        if (ChromiumPath.Length == 0 || !File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                Environment.GetEnvironmentVariable("SCHEDULER_CHROMIUM_PROBLEM") is { Length: > 0 } problem
                    ? problem
                    : $"No Chromium at CHROMIUM_PATH='{ChromiumPath}': run the tests through ./test.sh, which finds one, or set CHROMIUM_PATH "
                        + "(Debian: apt-get install chromium; Ubuntu: snap install chromium or google-chrome-stable).");
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
        Page = await _context.NewPageAsync();
        Page.PageError += (_, error) => _pageErrors.Add(error);
        Page.Console += (_, message) =>
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

    /// <summary>The page as it is now, in <c>TestResults/screenshots/&lt;test&gt;[-step].png</c> (./test.sh keeps TestResults).</summary>
    protected async Task ScreenshotAsync(string? step = null)
    {
        var directory = Path.Combine(ServiceProcess.RepositoryRoot, "TestResults", "screenshots");
        Directory.CreateDirectory(directory);
        var name = step is null ? TestContext.CurrentContext.Test.Name : $"{TestContext.CurrentContext.Test.Name}-{step}";
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, $"{name}.png"), FullPage = true });
    }

    protected ILocator JobTypeRow(string jobType) => Page.Locator($"tr[data-job-type='{jobType}']");

    /// <summary>Signs in through <c>/dashboard#token=…</c>, then goes to <paramref name="route"/> (a hash route).</summary>
    protected async Task SignInAsync(string token, string route = "/")
    {
        await Page.GotoAsync($"{BaseUrl}/dashboard#token={token}");
        await Expect(Page.Locator(".who")).ToContainTextAsync("Signed in as");
        if (route != "/")
        {
            await Page.GotoAsync($"{BaseUrl}/dashboard#{route}");
        }
    }

    protected static Guid ExecutionIdIn(string url) => Guid.Parse(ExecutionUrl().Match(url).Groups[1].Value);

    [GeneratedRegex("#/executions/([0-9a-fA-F-]{36})$")]
    private static partial Regex ExecutionUrl();
}
