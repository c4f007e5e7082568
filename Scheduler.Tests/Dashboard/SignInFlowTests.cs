using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Playwright;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Scheduler.Tests.Dashboard;

/// <summary>
/// Sign-in by redirect: the service trusts the stand-in OpenID Connect issuer, the dashboard is its public client,
/// and the browser goes through the issuer's <c>/authorize</c> and <c>/token</c> (code flow with PKCE) with no token
/// pasted. Access tokens live 20 s and the page renews them 10 s before they expire: with a refresh token, or, when
/// the issuer gives none, in a hidden frame with <c>prompt=none</c>.
/// </summary>
public sealed class SignInFlowTests : DashboardBrowserFixture
{
    private const string ClientId = "scheduler-dashboard";
    private const string Audience = "scheduler-api";
    private static readonly OidcSignInUser Operator = new("user_operator", "Dana Operator", ["Scheduler.Admin"], Audience);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Auth:Oidc:Authority"] = $"{StandIns.BaseUrl}/oidc",
        ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        ["Auth:Oidc:Audience"] = Audience,
        ["Dashboard:ClientId"] = ClientId,
        ["Dashboard:RenewBeforeExpiry"] = "00:00:10",
    };

    private string SignInStorageKey => $"oidc.user:{StandIns.BaseUrl}/oidc:{ClientId}";

    protected override async Task OnStartedAsync()
    {
        await base.OnStartedAsync();
        StandIns.State.OidcSigningKeys = StandIns.State.OidcSignInKeySet();
    }

    [SetUp]
    public void SignInTheOperatorAtTheIssuer()
    {
        StandIns.State.OidcSignInUser = Operator;
        StandIns.State.OidcTokenLifetime = TimeSpan.FromSeconds(20);
        StandIns.State.OidcIssuesRefreshTokens = true;
    }

    [Test]
    public async Task Config_NamesTheIssuerAndClient_AndRefusesTokenPaste()
    {
        using var anonymous = Service.CreateClient(null);

        var config = await anonymous.GetFromJsonAsync<JsonElement>("/dashboard/config.json");

        config.GetProperty("signIn").GetString().Should().Be("redirect");
        config.GetProperty("authority").GetString().Should().Be($"{StandIns.BaseUrl}/oidc");
        config.GetProperty("clientId").GetString().Should().Be(ClientId);
        config.GetProperty("scopes").GetString().Should().Be("openid profile offline_access");
        config.GetProperty("tokenPasteAllowed").GetBoolean().Should().BeFalse();
    }

    [Test]
    public async Task SignIn_RedirectsThroughTheIssuer_AndShowsTheJobTypes_WithNoTokenPasted()
    {
        await Page.GotoAsync($"{BaseUrl}/dashboard");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Expect(Page.GetByLabel("Access token (JWT)")).ToHaveCountAsync(0);

        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(Page.Locator(".who")).ToContainTextAsync($"Signed in as {Operator.Name}");
        await Expect(Page.Locator(".who")).ToContainTextAsync("Admin");
        await Expect(JobTypeRow(JobTypes.CrawlPending)).ToBeVisibleAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/dashboard/#/$"));
        var authorize = StandIns.State.RequestsTo("GET", "/oidc/authorize").Should().ContainSingle().Subject;
        authorize.Query.Should().Contain("code_challenge_method=S256").And.Contain($"client_id={ClientId}");
        TokenGrants().Should().Equal("authorization_code");
    }

    [Test]
    public async Task SignIn_IsRenewedWithTheRefreshToken_AndTheApiAnswersAfterTheFirstTokenExpired()
    {
        var first = await SignInByRedirectAsync();

        await Eventually.Until(() => Task.FromResult(TokenGrants()), g => g.Contains("refresh_token"), TimeSpan.FromSeconds(40), "a refresh-token grant");
        await ExpectAnApiCallAfterExpiry_CarriesANewToken(first);
        StandIns.State.RequestsTo("GET", "/oidc/authorize").Should().ContainSingle("the renewal needs no second trip to the issuer's page");
    }

    [Test]
    public async Task SignIn_IsRenewedInAHiddenFrame_WhenTheIssuerGivesNoRefreshToken()
    {
        StandIns.State.OidcIssuesRefreshTokens = false;
        var first = await SignInByRedirectAsync();

        await Eventually.Until(() => Task.FromResult(StandIns.State.RequestsTo("GET", "/oidc/authorize")), r => r.Count >= 2, TimeSpan.FromSeconds(40), "a silent authorization request");
        StandIns.State.RequestsTo("GET", "/oidc/authorize")[1].Query.Should().Contain("prompt=none");
        await Eventually.Until(() => Task.FromResult(TokenGrants()), g => g.Count >= 2, TimeSpan.FromSeconds(20), "the silent code's redemption");
        TokenGrants().Should().Equal("authorization_code", "authorization_code");
        await ExpectAnApiCallAfterExpiry_CarriesANewToken(first);
    }

    private async Task<JsonWebToken> SignInByRedirectAsync()
    {
        await Page.GotoAsync($"{BaseUrl}/dashboard");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Page.Locator(".who")).ToContainTextAsync($"Signed in as {Operator.Name}");
        return new JsonWebToken(await StoredAccessTokenAsync());
    }

    /// <summary>Waits until the first token has expired, then opens another view and checks its API call.</summary>
    private async Task ExpectAnApiCallAfterExpiry_CarriesANewToken(JsonWebToken first)
    {
        await Eventually.Until(() => Task.FromResult(DateTime.UtcNow), now => now > first.ValidTo.AddSeconds(1), TimeSpan.FromSeconds(40), "the first token's expiry");

        var request = await Page.RunAndWaitForRequestAsync(
            () => Page.GotoAsync($"{BaseUrl}/dashboard/#/executions"),
            r => r.Url.StartsWith($"{BaseUrl}/api/jobs", StringComparison.Ordinal) && r.Method == "GET");
        var response = await request.ResponseAsync();

        response!.Status.Should().Be(200);
        var used = new JsonWebToken((await request.HeaderValueAsync("authorization"))!["Bearer ".Length..]);
        used.ValidTo.Should().BeAfter(first.ValidTo, "the page must use the renewed token");
        used.Subject.Should().Be(Operator.Subject);
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Executions", Level = 1 })).ToBeVisibleAsync();
        await Expect(Page.Locator(".who")).ToContainTextAsync($"Signed in as {Operator.Name}");
    }

    private async Task<string> StoredAccessTokenAsync() =>
        await Page.EvaluateAsync<string>("key => JSON.parse(sessionStorage.getItem(key)).access_token", SignInStorageKey);

    private List<string> TokenGrants() =>
        [.. StandIns.State.RequestsTo("POST", "/oidc/token").Select(r => System.Web.HttpUtility.ParseQueryString(r.Body)["grant_type"] ?? "")];
}
