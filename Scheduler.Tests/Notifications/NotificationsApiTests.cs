using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Notifications;

/// <summary>
/// <c>/api/notifications</c>: validation naming the field, readers refused every change, the secret never shown,
/// configuration's notifications read-only, every change audited.
/// </summary>
public sealed class NotificationsApiTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:crawl_pending:Notifications:configured:Kind"] = "heartbeat",
        ["Jobs:crawl_pending:Notifications:configured:Url"] = $"{StandIns.BaseUrl}/hooks/configured",
    };

    private static readonly string[] Failure = ["failure"];
    private static readonly string[] RecoveryAndCompletion = ["recovery", "completion"];

    private static object Webhook(string name, string? url = null, string[]? events = null, string jobType = JobTypes.WeeklyDigest) => new
    {
        jobType, name, kind = "webhook", url = url ?? "http://127.0.0.1:9/hooks/x", events = events ?? ["failure"], secret = Receivers.Secret,
    };

    [TestCase("ftp://127.0.0.1/hooks", TestName = "Create_Returns400NamingUrl_ForAnFtpUrl")]
    [TestCase("/hooks/relative", TestName = "Create_Returns400NamingUrl_ForARelativeUrl")]
    [TestCase("not a url", TestName = "Create_Returns400NamingUrl_ForText")]
    [TestCase("http://user:pass@127.0.0.1/hooks", TestName = "Create_Returns400NamingUrl_ForAUrlWithCredentials")]
    public async Task Create_Returns400NamingUrl(string url) =>
        await ExpectInvalidAsync(Webhook("bad_url", url: url), "url");

    [Test]
    public Task Create_Returns400NamingJobType_ForAnUnknownType() =>
        ExpectInvalidAsync(Webhook("unknown_type", jobType: "no_such_type"), "jobType");

    [Test]
    public Task Create_Returns400NamingEvents_ForAnUnknownEvent() =>
        ExpectInvalidAsync(Webhook("unknown_event", events: ["failure", "exploded"]), "events");

    [Test]
    public Task Create_Returns400NamingSecret_ForAWebhookWithoutOne() =>
        ExpectInvalidAsync(new { jobType = JobTypes.WeeklyDigest, name = "unsigned", kind = "webhook", url = "http://127.0.0.1:9/h", events = Failure }, "secret");

    [Test]
    public Task Create_Returns400NamingKind_ForAnUnknownKind() =>
        ExpectInvalidAsync(new { jobType = JobTypes.WeeklyDigest, name = "sms", kind = "sms", url = "http://127.0.0.1:9/h" }, "kind");

    [Test]
    public async Task Readers_SeeNotifications_ButEveryChangeIs403()
    {
        var created = await Receivers.CreateAsync(Service, Webhook("reader_check"));
        using var reader = Service.CreateClient(TestTokens.Reader);

        (await reader.GetAsync("/api/notifications")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await reader.GetAsync($"/api/notifications/{created.Id}/deliveries")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await reader.PostAsJsonAsync("/api/notifications", Webhook("by_reader"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await reader.PutAsJsonAsync($"/api/notifications/{created.Id}", Webhook("reader_check"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await reader.DeleteAsync($"/api/notifications/{created.Id}")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await Service.Client.GetAsync($"/api/notifications/{created.Id}")).StatusCode.Should().Be(HttpStatusCode.OK, "nothing was deleted");
    }

    [Test]
    public async Task TheSecret_IsNeverReturned_NorWrittenToTheAuditTrail()
    {
        using var created = await Service.Client.PostAsJsonAsync("/api/notifications", Webhook("secret_check"));
        var answer = await created.Content.ReadAsStringAsync();
        var view = (await Service.Client.GetFromJsonAsync<List<NotificationView>>("/api/notifications?jobType=weekly_digest"))!.Single(n => n.Name == "secret_check");

        created.StatusCode.Should().Be(HttpStatusCode.Created);
        view.HasSecret.Should().BeTrue();
        var shown = new[]
        {
            answer,
            await Service.Client.GetStringAsync("/api/notifications"),
            await Service.Client.GetStringAsync($"/api/notifications/{view.Id}"),
            await Service.Client.GetStringAsync($"/api/audit?targetId={view.Id}"),
        };
        shown.Should().OnlyContain(text => !text.Contains(Receivers.Secret, StringComparison.Ordinal) && !text.Contains("\"secret\"", StringComparison.Ordinal));
    }

    [Test]
    public async Task Replace_WithoutASecret_KeepsTheStoredOne_AndChangesAreAuditedWithTheChange()
    {
        var created = await Receivers.CreateAsync(Service, Webhook("replace_me"));

        using var replaced = await Service.Client.PutAsJsonAsync($"/api/notifications/{created.Id}", new
        {
            name = "replaced", kind = "webhook", url = "https://127.0.0.1:9/other", events = RecoveryAndCompletion, enabled = false,
        });
        using var deleted = await Service.Client.DeleteAsync($"/api/notifications/{created.Id}");

        replaced.StatusCode.Should().Be(HttpStatusCode.OK, await replaced.Content.ReadAsStringAsync());
        var view = (await replaced.Content.ReadFromJsonAsync<NotificationView>())!;
        view.Should().BeEquivalentTo(new { Name = "replaced", Url = "https://127.0.0.1:9/other", Events = RecoveryAndCompletion, Enabled = false, HasSecret = true });
        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await Service.Client.GetAsync($"/api/notifications/{created.Id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await using var connection = await TestDatabase.OpenAsync();
        var actions = await connection.QueryAsync<(string Action, string Actor, string JobType)>(
            "SELECT action, actor, job_type FROM audit_log WHERE target_type = 'notification' AND target_id = @id ORDER BY id", new { id = created.Id.ToString() });
        actions.Should().Equal(
            ("notification.create", TestTokens.AdminSubject, JobTypes.WeeklyDigest),
            ("notification.replace", TestTokens.AdminSubject, JobTypes.WeeklyDigest),
            ("notification.delete", TestTokens.AdminSubject, JobTypes.WeeklyDigest));
    }

    [Test]
    public async Task Create_Returns409_WhenTheTypeHasOneOfThatName()
    {
        await Receivers.CreateAsync(Service, Webhook("twice"));

        using var again = await Service.Client.PostAsJsonAsync("/api/notifications", Webhook("twice"));

        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
    }

    [Test]
    public async Task AConfiguredNotification_IsListed_ButChangingItIs409NamingItsKey()
    {
        var configured = (await Service.Client.GetFromJsonAsync<List<NotificationView>>("/api/notifications?jobType=crawl_pending"))!.Single();
        configured.Should().BeEquivalentTo(new { Name = "configured", Kind = "heartbeat", Source = "configuration", ConfigurationKey = "Jobs:crawl_pending:Notifications:configured" });

        using var put = await Service.Client.PutAsJsonAsync($"/api/notifications/{configured.Id}", new { name = "configured", kind = "heartbeat", url = "http://127.0.0.1:9/h" });
        using var delete = await Service.Client.DeleteAsync($"/api/notifications/{configured.Id}");

        put.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await put.Content.ReadAsStringAsync()).Should().Contain("Jobs:crawl_pending:Notifications:configured");
        delete.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await Service.Client.GetAsync($"/api/notifications/{configured.Id}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task List_Returns400NamingJobType_ForAnUnknownType()
    {
        using var response = await Service.Client.GetAsync("/api/notifications?jobType=nope");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ErrorFieldsAsync(response)).Should().Contain("jobType");
    }

    private static async Task<IReadOnlyList<string>> ErrorFieldsAsync(HttpResponseMessage response)
    {
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. problem.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name)];
    }

    private async Task ExpectInvalidAsync(object request, string field)
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/notifications", request);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        (await ErrorFieldsAsync(response)).Should().Equal(field);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM notification_subscriptions WHERE source = 'api' AND name = @name",
            new { name = request.GetType().GetProperty("name")!.GetValue(request) })).Should().Be(0, "nothing is stored");
    }
}
