using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Mvc;
using Scheduler.Contracts.Api;
using Scheduler.Contracts.Downstream;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Api;

/// <summary><c>/api/dlq</c> against the stand-in core API: the listing and replays pass through with the scheduler's Basic credentials, which never reach the caller.</summary>
public sealed class DeadLettersApiTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DeadLetters:RequestTimeout"] = "00:00:02",
    };

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task List_ReturnsTheCoreApisItemsAndTotals_CalledWithBasicAuth()
    {
        using var reader = Service.CreateClient(TestTokens.Reader);

        using var response = await reader.GetAsync("/api/dlq?kind=all&limit=1");

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        var listing = JsonSerializer.Deserialize<DeadLetterListing>(body, JsonSerializerOptions.Web)!;
        listing.Total.Should().Be(3);
        listing.Totals.Should().BeEquivalentTo(new Dictionary<string, long> { [DeadLetterKinds.Outbox] = 2, [DeadLetterKinds.Export] = 1 });
        listing.Items.Should().ContainSingle().Which.Id.Should().Be("ob-1002", "the newest dead letter comes first");
        var call = StandIns.State.RequestsTo("GET", "/v1/admin/queue/dlq").Should().ContainSingle().Subject;
        call.Query.Should().Be("?kind=all&limit=1");
        call.Headers["Authorization"].Should().StartWith("Basic ");
        body.Should().NotContain(StandInState.DefaultAdminPassword).And.NotContain("Basic");
    }

    [Test]
    public async Task List_ReturnsOnlyTheKindAskedFor_WithEveryKindsTotal()
    {
        var listing = (await Service.Client.GetFromJsonAsync<DeadLetterListing>("/api/dlq?kind=export"))!;

        listing.Kind.Should().Be(DeadLetterKinds.Export);
        listing.Total.Should().Be(1);
        listing.Totals[DeadLetterKinds.Outbox].Should().Be(2);
        listing.Items.Should().ContainSingle().Which.Should().BeEquivalentTo(StandInState.SeededDeadLetters.Single(d => d.Kind == DeadLetterKinds.Export));
    }

    [TestCase("kind=dead", "kind")]
    [TestCase("kind=all&limit=0", "limit")]
    [TestCase("limit=201", "limit")]
    [TestCase("limit=ten", "limit")]
    public async Task List_Returns400NamingTheField_WhenAValueIsInvalid(string query, string field)
    {
        using var response = await Service.Client.GetAsync($"/api/dlq?{query}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!;
        problem.Errors.Should().ContainKey(field);
        StandIns.State.RequestsTo("GET", "/v1/admin/queue/dlq").Should().BeEmpty("a bad request is not passed on");
    }

    [Test]
    public async Task List_Returns502NamingTheCall_WhenTheCoreApiAnswersAnError()
    {
        StandIns.State.SetFault("GET", "/v1/admin/queue/dlq", new Fault(Status: 500));

        var problem = await ProblemAsync(Service.Client.GetAsync("/api/dlq"), HttpStatusCode.BadGateway);

        problem.Detail.Should().Contain("500").And.Contain("GET /v1/admin/queue/dlq");
    }

    [Test]
    public async Task List_Returns502_WhenTheCoreApiRefusesTheCredentials_WithoutShowingThem()
    {
        StandIns.State.AdminPassword = "rotated";

        var problem = await ProblemAsync(Service.Client.GetAsync("/api/dlq"), HttpStatusCode.BadGateway);

        problem.Detail.Should().Contain("401").And.Contain("ADMIN_BASIC_PASSWORD").And.NotContain(StandInState.DefaultAdminPassword);
    }

    [Test]
    public async Task List_Returns504_WhenTheCoreApiIsTooSlow()
    {
        StandIns.State.SetFault("GET", "/v1/admin/queue/dlq", new Fault(DelayMs: 10_000));

        var problem = await ProblemAsync(Service.Client.GetAsync("/api/dlq"), HttpStatusCode.GatewayTimeout);

        problem.Detail.Should().Contain("did not answer within 2s");
    }

    [Test]
    public async Task Replay_RemovesTheItem_AndAuditsTheKindIdAndTheCoreApisAnswer()
    {
        using var response = await Service.Client.PostAsync("/api/dlq/outbox/ob-1001/replay", null);

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        var replay = JsonSerializer.Deserialize<DeadLetterReplay>(body, JsonSerializerOptions.Web)!;
        replay.Should().BeEquivalentTo(new { Kind = "outbox", Id = "ob-1001" }, o => o.ExcludingMissingMembers());
        replay.Response!.Value.GetProperty("replayed").GetBoolean().Should().BeTrue();
        StandIns.State.DeadLetters.Select(d => d.Id).Should().NotContain("ob-1001");
        StandIns.State.RequestsTo("POST", "/v1/admin/outbox/ob-1001/replay").Should().ContainSingle()
            .Which.Headers.Should().ContainKey("Idempotency-Key");

        var entry = await AuditOfAsync("outbox/ob-1001");
        entry.Action.Should().Be("dlq.replay");
        entry.TargetType.Should().Be("dead_letter");
        entry.Outcome.Should().Be(AuditOutcomes.Accepted);
        entry.Actor.Should().Be(TestTokens.AdminSubject);
        var details = entry.Details!.Value;
        details.GetProperty("kind").GetString().Should().Be("outbox");
        details.GetProperty("id").GetString().Should().Be("ob-1001");
        details.GetProperty("coreApiAnswer").GetString().Should().Contain("\"replayed\":true");
    }

    [Test]
    public async Task Replay_OfAnExport_CallsTheExportReplayPath()
    {
        using var response = await Service.Client.PostAsync("/api/dlq/export/ex-2001/replay", null);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        StandIns.State.RequestsTo("POST", "/v1/admin/export-dead-letter/ex-2001/replay").Should().ContainSingle();
        StandIns.State.DeadLetters.Should().NotContain(d => d.Id == "ex-2001");
    }

    [Test]
    public async Task Replay_Returns404_AndAuditsItRejected_WhenTheCoreApiHasNoSuchItem()
    {
        await ProblemAsync(Service.Client.PostAsync("/api/dlq/outbox/ob-404/replay", null), HttpStatusCode.NotFound);

        (await AuditOfAsync("outbox/ob-404")).Outcome.Should().Be(AuditOutcomes.Rejected);
    }

    [TestCase("all", "ob-1001", "kind")]
    [TestCase("queue", "ob-1001", "kind")]
    [TestCase("outbox", "ob 1001;x", "id")]
    public async Task Replay_Returns400NamingTheField_WhenTheRouteIsInvalid(string kind, string id, string field)
    {
        using var response = await Service.Client.PostAsync($"/api/dlq/{kind}/{Uri.EscapeDataString(id)}/replay", null);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors.Should().ContainKey(field);
        StandIns.State.Requests.Should().NotContain(r => r.Path.Contains("/replay", StringComparison.Ordinal));
    }

    [Test]
    public async Task Replay_Returns403ForAReader_AndReplaysNothing()
    {
        using var reader = Service.CreateClient(TestTokens.Reader);

        using var response = await reader.PostAsync("/api/dlq/outbox/ob-1001/replay", null);

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        StandIns.State.DeadLetters.Should().Contain(d => d.Id == "ob-1001");
    }

    private static async Task<ProblemDetails> ProblemAsync(Task<HttpResponseMessage> call, HttpStatusCode status)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, body);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        body.Should().NotContain(StandInState.DefaultAdminPassword);
        return JsonSerializer.Deserialize<ProblemDetails>(body, JsonSerializerOptions.Web)!;
    }

    private async Task<AuditEntry> AuditOfAsync(string targetId)
    {
        var page = (await Service.Client.GetFromJsonAsync<AuditPage>($"/api/audit?action=dlq.replay&targetId={Uri.EscapeDataString(targetId)}"))!;
        return page.Entries.Should().ContainSingle().Subject;
    }
}

/// <summary><c>/api/dlq</c> when nothing listens at the core API's address.</summary>
public sealed class DeadLettersUnreachableApiTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Services:CoreApi:BaseUrl"] = $"http://127.0.0.1:{Loopback.FreePort()}",
    };

    [Test]
    public async Task List_Returns503SayingTheCoreApiCannotBeReached()
    {
        using var response = await Service.Client.GetAsync("/api/dlq?kind=outbox&limit=1");

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        var problem = (await response.Content.ReadFromJsonAsync<ProblemDetails>())!;
        problem.Title.Should().Be("The core API cannot be reached");
        problem.Detail.Should().Contain("could not be reached");
    }
}
