using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Microsoft.IdentityModel.Tokens;
using Scheduler.Contracts;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// A corpus of hostile requests: each is refused with the specific 4xx, as problem details naming the field where
/// there is one, without internals, and leaves <c>scheduled_jobs</c> and <c>audit_log</c> exactly as they were.
/// </summary>
public sealed class HostileInputTests : ServiceFixture
{
    /// <summary>Who sends a hostile request.</summary>
    public enum Sender
    {
        Admin,
        Reader,
        Nobody,
        ForgedSignature,
        AlgNone,
        Expired,
    }

    private const string SqlJobType = "crawl_pending'; DROP TABLE scheduled_jobs;--";
    private const string UnknownId = "3f2b8a57-0000-4000-8000-0000000000aa";
    private static readonly Guid CompletedId = Guid.Parse("5a1c0d3e-0000-4000-8000-000000000001");
    private static readonly Guid FailedId = Guid.Parse("5a1c0d3e-0000-4000-8000-000000000002");
    private static readonly DateTimeOffset Origin = new(2025, 10, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Two executions by alice (one completed, one failed), one by bob, and two audit rows by alice.</summary>
    protected override async Task OnStartedAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO scheduled_jobs (id, job_type, status, trigger, started_by, created_at, updated_at, started_at, completed_at)
            VALUES (@CompletedId, 'crawl_pending', 'completed', 'manual', 'alice', @Origin, @Origin, @Origin, @Origin),
                   (@FailedId, 'email_scan', 'failed', 'manual', 'alice', @Origin, @Origin, @Origin, @Origin),
                   (gen_random_uuid(), 'update_metrics', 'completed', 'manual', 'bob', @Origin, @Origin, @Origin, @Origin)
            """, new { CompletedId, FailedId, Origin });
        await connection.ExecuteAsync("""
            INSERT INTO audit_log (at, actor, action, target_type, target_id, job_type, outcome)
            VALUES (@Origin, 'alice', 'job.trigger', 'execution', @CompletedId, 'crawl_pending', 'accepted'),
                   (@Origin, 'alice', 'job.cancel', 'execution', @FailedId, 'email_scan', 'accepted')
            """, new { CompletedId = CompletedId.ToString(), FailedId = FailedId.ToString(), Origin });
    }

    public static IEnumerable<TestCaseData> Corpus()
    {
        const HttpStatusCode bad = HttpStatusCode.BadRequest;
        var deep6 = """{"jobType":"crawl_pending","parameters":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}""";
        var deep100 = """{"jobType":"crawl_pending","parameters":""" + string.Concat(Enumerable.Repeat("""{"a":""", 100)) + "1" + new string('}', 100) + "}";
        var over8KiB = JsonSerializer.Serialize(new { jobType = JobTypes.CrawlPending, parameters = new { blob = new string('x', 8 * 1024) } });

        // The body of POST /api/jobs/trigger.
        yield return Trigger("Trigger_ParametersSixLevelsDeep_Returns400NamingParameters", Utf8(deep6), bad, "parameters");
        yield return Trigger("Trigger_ParametersNestedBeyondTheParsersDepth_Returns400NamingParameters", Utf8(deep100), bad, "parameters");
        yield return Trigger("Trigger_ParametersOver8KiB_Returns400NamingParameters", Utf8(over8KiB), bad, "parameters");
        yield return Trigger("Trigger_ParametersAsAString_Returns400NamingParameters", Utf8("""{"jobType":"crawl_pending","parameters":"{\"a\":1}"}"""), bad, "parameters");
        yield return Trigger("Trigger_ParametersWithNaN_Returns400", Utf8("""{"jobType":"crawl_pending","parameters":{"a":NaN}}"""), bad, null);
        yield return Trigger("Trigger_SqlInJobType_Returns400NamingJobType", Utf8(JsonSerializer.Serialize(new { jobType = SqlJobType })), bad, "jobType");
        yield return Trigger("Trigger_JobTypeWithATrailingNul_Returns400NamingJobType", Utf8("""{"jobType":"crawl_pending\u0000"}"""), bad, "jobType");
        yield return Trigger("Trigger_JobTypeWithTrailingSpace_Returns400NamingJobType", Utf8("""{"jobType":"crawl_pending "}"""), bad, "jobType");
        yield return Trigger("Trigger_TriggeredByOver200Characters_Returns400NamingTriggeredBy",
            Utf8(JsonSerializer.Serialize(new { jobType = JobTypes.CrawlPending, triggeredBy = new string('a', 201) })), bad, "triggeredBy");
        yield return Trigger("Trigger_BodyIsJsonNull_Returns400", Utf8("null"), bad, null);
        yield return Trigger("Trigger_BodyIsAnArray_Returns400NamingBody", Utf8("""[{"jobType":"crawl_pending"}]"""), bad, "body");
        yield return Trigger("Trigger_BodyIsANumber_Returns400NamingBody", Utf8("42"), bad, "body");
        yield return Trigger("Trigger_BodyIsAString_Returns400NamingBody", Utf8("\"crawl_pending\""), bad, "body");
        yield return Trigger("Trigger_BodyWithATrailingComma_Returns400", Utf8("""{"jobType":"crawl_pending",}"""), bad, null);
        yield return Trigger("Trigger_BodyWithAComment_Returns400", Utf8("""{/* hi */"jobType":"crawl_pending"}"""), bad, null);
        yield return Trigger("Trigger_BodyInSingleQuotes_Returns400", Utf8("{'jobType':'crawl_pending'}"), bad, null);
        yield return Trigger("Trigger_InvalidUtf8InJobType_Returns400NamingJobType",
            [.. Utf8("""{"jobType":"crawl_"""), 0xFF, 0xFE, .. Utf8("""pending"}""")], bad, "jobType");
        yield return Trigger("Trigger_InvalidUtf8BetweenTokens_Returns400",
            [.. Utf8("""{"jobType":"crawl_pending" """), 0xC0, 0xAF, .. Utf8("}")], bad, null);
        yield return Trigger("Trigger_InvalidUtf8InAParameterValue_Returns400NamingParameters",
            [.. Utf8("""{"jobType":"crawl_pending","parameters":{"note":"a"""), 0xC3, 0x28, .. Utf8("\"}}")], bad, "parameters");
        yield return Trigger("Trigger_InvalidUtf8InAParameterName_Returns400NamingParameters",
            [.. Utf8("""{"jobType":"crawl_pending","parameters":{"""), 0x22, 0xFF, 0x22, .. Utf8(":1}}")], bad, "parameters");
        // PostgreSQL's jsonb cannot hold these, so they must be refused before they reach it, not end as a 500.
        yield return Trigger("Trigger_NulInAParameterValue_Returns400NamingParameters", Utf8("""{"jobType":"crawl_pending","parameters":{"note":"a\u0000b"}}"""), bad, "parameters");
        yield return Trigger("Trigger_NulInAParameterName_Returns400NamingParameters", Utf8("""{"jobType":"crawl_pending","parameters":{"\u0000":1}}"""), bad, "parameters");
        yield return Trigger("Trigger_LoneSurrogateInAParameter_Returns400NamingParameters", Utf8("""{"jobType":"crawl_pending","parameters":{"note":"\ud800"}}"""), bad, "parameters");
        yield return Trigger("Trigger_ParameterNumberBeyondWhatTheDatabaseStores_Returns400NamingParameters",
            Utf8("""{"jobType":"crawl_pending","parameters":{"n":1e1000000}}"""), bad, "parameters");

        // The Idempotency-Key header: 1 to 200 visible ASCII characters.
        yield return Keyed("Trigger_IdempotencyKeyWithATab_Returns400NamingTheHeader", "key\twith-tab");
        yield return Keyed("Trigger_IdempotencyKeyWithAControlCharacter_Returns400NamingTheHeader", "key\u0001control");
        yield return Keyed("Trigger_IdempotencyKeyWithDel_Returns400NamingTheHeader", "key\u007fdel");
        yield return Keyed("Trigger_IdempotencyKeyOf300Characters_Returns400NamingTheHeader", new string('k', 300));

        // Who asks.
        yield return Trigger("Trigger_WithoutAToken_Returns401", Utf8("""{"jobType":"crawl_pending"}"""), HttpStatusCode.Unauthorized, null, Sender.Nobody);
        yield return Trigger("Trigger_WithAForgedSignature_Returns401", Utf8("""{"jobType":"crawl_pending"}"""), HttpStatusCode.Unauthorized, null, Sender.ForgedSignature);
        yield return Trigger("Trigger_WithAnUnsignedToken_Returns401", Utf8("""{"jobType":"crawl_pending"}"""), HttpStatusCode.Unauthorized, null, Sender.AlgNone);
        yield return Trigger("Trigger_WithAnExpiredToken_Returns401", Utf8("""{"jobType":"crawl_pending"}"""), HttpStatusCode.Unauthorized, null, Sender.Expired);
        yield return Trigger("Trigger_AsAReader_Returns403", Utf8("""{"jobType":"crawl_pending"}"""), HttpStatusCode.Forbidden, null, Sender.Reader);
        yield return Post("Retry_AsAReader_Returns403", $"/api/jobs/{FailedId}/retry", Utf8("{}"), HttpStatusCode.Forbidden, null, Sender.Reader);

        // Cancel and retry: the id in the path, the body.
        yield return Post("Cancel_IdNotAGuid_Returns404", "/api/jobs/not-a-guid/cancel", Utf8("{}"), HttpStatusCode.NotFound, null);
        yield return Post("Retry_IdNotAGuid_Returns404", "/api/jobs/not-a-guid/retry", Utf8("{}"), HttpStatusCode.NotFound, null);
        yield return Post("Cancel_SqlAsTheId_Returns404", $"/api/jobs/{Uri.EscapeDataString("' OR 1=1;--")}/cancel", Utf8("{}"), HttpStatusCode.NotFound, null);
        yield return Post("Cancel_UnknownId_Returns404", $"/api/jobs/{UnknownId}/cancel", Utf8("{}"), HttpStatusCode.NotFound, null);
        yield return Post("Retry_UnknownId_Returns404", $"/api/jobs/{UnknownId}/retry", Utf8("{}"), HttpStatusCode.NotFound, null);
        yield return Post("Retry_EmptyGuid_Returns404", $"/api/jobs/{Guid.Empty}/retry", null, HttpStatusCode.NotFound, null);
        yield return Post("Cancel_ReasonANumber_Returns400NamingReason", $"/api/jobs/{CompletedId}/cancel", Utf8("""{"reason":5}"""), bad, "reason");
        yield return Post("Retry_ReasonANumber_Returns400NamingReason_AndRetriesNothing", $"/api/jobs/{FailedId}/retry", Utf8("""{"reason":5}"""), bad, "reason");
        yield return Post("Retry_RequestedByAnArray_Returns400NamingRequestedBy", $"/api/jobs/{FailedId}/retry", Utf8("""{"requestedBy":["alice"]}"""), bad, "requestedBy");
        yield return Post("Cancel_BodyAnArray_Returns400NamingBody", $"/api/jobs/{CompletedId}/cancel", Utf8("[]"), bad, "body");
        yield return Post("Retry_InvalidUtf8InReason_Returns400NamingReason", $"/api/jobs/{FailedId}/retry",
            [.. Utf8("""{"reason":"a"""), 0xFF, .. Utf8("\"}")], bad, "reason");

        // GET /api/jobs filters.
        yield return Get("List_SqlInType_Returns400NamingType", $"/api/jobs?type={Uri.EscapeDataString(SqlJobType)}", "type");
        yield return Get("List_SqlInStatus_Returns400NamingStatus", $"/api/jobs?status={Uri.EscapeDataString("failed' OR '1'='1")}", "status");
        yield return Get("List_UnknownStatus_Returns400NamingStatus", "/api/jobs?status=archived", "status");
        yield return Get("List_StatusWithANul_Returns400NamingStatus", "/api/jobs?status=failed%00", "status");
        yield return Get("List_StartedByOver200Characters_Returns400NamingStartedBy",
            $"/api/jobs?startedBy={Uri.EscapeDataString("alice' OR '1'='1" + new string(' ', 200))}", "startedBy");
        yield return Get("List_NulInStartedBy_Returns400NamingStartedBy", "/api/jobs?startedBy=alice%00", "startedBy");
        yield return Get("List_FromMonth13Day45_Returns400NamingFrom", "/api/jobs?from=2025-13-45", "from");
        yield return Get("List_FromUnixSeconds_Returns400NamingFrom", "/api/jobs?from=1700000000", "from");
        yield return Get("List_ToAtHour25_Returns400NamingTo", "/api/jobs?to=2025-10-09T25:00:00Z", "to");
        yield return Get("List_FromWithAnOffsetOf99Hours_Returns400NamingFrom", "/api/jobs?from=2025-10-09T12:00:00%2B99:00", "from");
        yield return Get("List_FromOverflowingWhenMadeUtc_Returns400NamingFrom", "/api/jobs?from=9999-12-31T23:59:59-14:00", "from");
        yield return Get("List_LimitInExponentNotation_Returns400NamingLimit", "/api/jobs?limit=1e3", "limit");
        yield return Get("List_LimitWithAPlusSign_Returns400NamingLimit", "/api/jobs?limit=%2B5", "limit");
        yield return Get("List_LimitInArabicIndicDigits_Returns400NamingLimit", "/api/jobs?limit=%D9%A5", "limit");
        yield return Get("List_PageBeyondInt32_Returns400NamingPage", "/api/jobs?page=99999999999", "page");

        // GET /api/audit filters.
        yield return Get("Audit_SqlInAction_Returns400NamingAction", $"/api/audit?action={Uri.EscapeDataString("job.trigger' OR 1=1--")}", "action");
        yield return Get("Audit_FromMonth13Day45_Returns400NamingFrom", "/api/audit?from=2025-13-45", "from");
        yield return Get("Audit_FromUnixSeconds_Returns400NamingFrom", "/api/audit?from=1700000000", "from");
        yield return Get("Audit_ToAtHour25_Returns400NamingTo", "/api/audit?to=2025-10-09T25:00:00Z", "to");
        yield return Get("Audit_LimitZero_Returns400NamingLimit", "/api/audit?limit=0", "limit");
        yield return Get("Audit_UnknownParameterNamedLikeSql_Returns400NamingIt",
            $"/api/audit?{Uri.EscapeDataString("';DROP TABLE audit_log;--")}=1", "';DROP TABLE audit_log;--");
        yield return Get("Audit_OneParameterInTwoCases_Returns400NamingIt", "/api/audit?Actor=alice&actor=bob", "actor");
        yield return Get("Audit_ActorOver200Characters_Returns400NamingActor", $"/api/audit?actor={new string('a', 201)}", "actor");
        yield return Get("Audit_NulInActor_Returns400NamingActor", "/api/audit?actor=alice%00", "actor");
        yield return Get("Audit_NulInJobType_Returns400NamingJobType", "/api/audit?jobType=crawl_pending%00", "jobType");
        yield return Get("Audit_NulInTargetId_Returns400NamingTargetId", "/api/audit?targetId=%00", "targetId");
    }

    [TestCaseSource(nameof(Corpus))]
    public async Task HostileRequest_IsRefusedWithProblemDetails_AndChangesNothing(HostileRequest hostile, HttpStatusCode expected, string? field)
    {
        var before = await CountRowsAsync();

        using var response = await SendAsync(hostile);

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, body);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", body);
        body.Should().NotContain("   at ", "no stack trace leaves the service").And.NotContain("Exception", "no exception type leaves the service");
        using var problem = JsonDocument.Parse(body);
        problem.RootElement.GetProperty("status").GetInt32().Should().Be((int)expected);
        problem.RootElement.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        if (field is not null)
        {
            problem.RootElement.TryGetProperty("errors", out var errors).Should().BeTrue(body);
            errors.TryGetProperty(field, out var messages).Should().BeTrue($"errors.{field} is expected in {body}");
            messages.EnumerateArray().Select(m => m.GetString()).Should().NotBeEmpty().And.OnlyContain(m => !string.IsNullOrWhiteSpace(m));
        }

        (await CountRowsAsync()).Should().Be(before, "a refused request writes neither an execution nor an audit row");
    }

    [Test]
    public async Task List_SqlInStartedBy_IsOnlyAValue_Returns200WithNoRows_AndScheduledJobsStillExists()
    {
        var before = await CountRowsAsync();
        (await ListTotalAsync("/api/jobs?startedBy=alice")).Should().Be(2, "the filter matches a plain value");

        foreach (var hostile in new[]
        {
            "alice' OR '1'='1",
            "alice'; DROP TABLE scheduled_jobs;--",
            "' OR started_by IS NOT NULL --",
            "alice\\'; SELECT pg_sleep(0);--",
            "%",
        })
        {
            (await ListTotalAsync($"/api/jobs?startedBy={Uri.EscapeDataString(hostile)}")).Should().Be(0, $"'{hostile}' is compared as a value, not run");
        }

        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<string?>("SELECT to_regclass('public.scheduled_jobs')::text")).Should().Be("scheduled_jobs");
        (await CountRowsAsync()).Should().Be(before);
    }

    [Test]
    public async Task Audit_SqlInTextFilters_IsOnlyAValue_Returns200WithNoRows_AndAuditLogStillExists()
    {
        var before = await CountRowsAsync();
        (await ListTotalAsync("/api/audit?actor=alice")).Should().Be(2, "the filter matches a plain value");

        foreach (var query in new[]
        {
            $"actor={Uri.EscapeDataString("alice' OR '1'='1")}",
            $"actor={Uri.EscapeDataString("alice'; DROP TABLE audit_log;--")}",
            $"jobType={Uri.EscapeDataString("crawl_pending' OR 'x'='x")}",
            $"targetId={Uri.EscapeDataString($"{CompletedId}' OR '1'='1")}",
        })
        {
            (await ListTotalAsync($"/api/audit?{query}")).Should().Be(0, $"'{Uri.UnescapeDataString(query)}' is compared as a value, not run");
        }

        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<string?>("SELECT to_regclass('public.audit_log')::text")).Should().Be("audit_log");
        (await CountRowsAsync()).Should().Be(before);
    }

    /// <summary>
    /// A reason PostgreSQL's jsonb cannot hold must not let a cancel take effect without its audit row: either the
    /// request is refused (400 naming reason, the run untouched) or it is carried out and audited.
    /// </summary>
    [Test]
    public async Task Cancel_WithANulInTheReason_IsRefusedOrAudited_NeverCarriedOutUnaudited()
    {
        await using var connection = await TestDatabase.OpenAsync();
        var id = await connection.ExecuteScalarAsync<Guid>("""
            INSERT INTO scheduled_jobs (job_type, status, trigger, started_by, created_at, updated_at)
            VALUES ('outbox_dlq_replay', 'pending', 'manual', 'carol', now(), now()) RETURNING id
            """);

        using var response = await Service.Client.PostAsync($"/api/jobs/{id}/cancel",
            new StringContent("""{"reason":"stop\u0000it"}""", Encoding.UTF8, "application/json"));

        var body = await response.Content.ReadAsStringAsync();
        var audited = await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE target_id = @id AND action = 'job.cancel'", new { id = id.ToString() });
        if (response.IsSuccessStatusCode)
        {
            audited.Should().Be(1, $"the cancel was carried out ({(int)response.StatusCode}), so it must be in the audit trail");
        }
        else
        {
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, body);
            using var problem = JsonDocument.Parse(body);
            problem.RootElement.GetProperty("errors").TryGetProperty("reason", out _).Should().BeTrue(body);
            (await connection.ExecuteScalarAsync<string>("SELECT status FROM scheduled_jobs WHERE id = @id", new { id })).Should().Be(ExecutionStatus.Pending.ToText());
            audited.Should().Be(0);
        }
    }

    private static TestCaseData Trigger(string name, byte[] body, HttpStatusCode expected, string? field, Sender sender = Sender.Admin) =>
        Post(name, "/api/jobs/trigger", body, expected, field, sender);

    private static TestCaseData Keyed(string name, string idempotencyKey) =>
        Case(name, new HostileRequest(HttpMethod.Post, "/api/jobs/trigger", Utf8("""{"jobType":"crawl_pending"}"""), Sender.Admin, idempotencyKey),
            HttpStatusCode.BadRequest, "Idempotency-Key");

    private static TestCaseData Post(string name, string path, byte[]? body, HttpStatusCode expected, string? field, Sender sender = Sender.Admin) =>
        Case(name, new HostileRequest(HttpMethod.Post, path, body, sender), expected, field);

    private static TestCaseData Get(string name, string path, string field) =>
        Case(name, new HostileRequest(HttpMethod.Get, path), HttpStatusCode.BadRequest, field);

    private static TestCaseData Case(string name, HostileRequest request, HttpStatusCode expected, string? field) =>
        new TestCaseData(request, expected, field).SetName(name);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private async Task<HttpResponseMessage> SendAsync(HostileRequest hostile)
    {
        using var request = new HttpRequestMessage(hostile.Method, hostile.Path);
        if (hostile.Body is { } body)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (hostile.IdempotencyKey is { } key)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key).Should().BeTrue();
        }

        if (hostile.Sender == Sender.Admin)
        {
            return await Service.Client.SendAsync(request);
        }

        using var client = Service.CreateClient(TokenFor(hostile.Sender));
        return await client.SendAsync(request);
    }

    private static string? TokenFor(Sender sender) => sender switch
    {
        Sender.Reader => TestTokens.Reader,
        Sender.Nobody => null,
        Sender.ForgedSignature => TestTokens.Mint(TestTokens.AdminSubject, [Scheduler.Service.Auth.Caller.AdminRole], token =>
            token.SigningCredentials = new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)) { KeyId = "local" }, SecurityAlgorithms.RsaSha256)),
        Sender.AlgNone => TestTokens.Mint(TestTokens.AdminSubject, [Scheduler.Service.Auth.Caller.AdminRole], token => token.SigningCredentials = null),
        Sender.Expired => TestTokens.Mint(TestTokens.AdminSubject, [Scheduler.Service.Auth.Caller.AdminRole], token =>
        {
            token.IssuedAt = DateTime.UtcNow.AddHours(-3);
            token.NotBefore = DateTime.UtcNow.AddHours(-3);
            token.Expires = DateTime.UtcNow.AddHours(-2);
        }),
        _ => TestTokens.Admin,
    };

    private async Task<long> ListTotalAsync(string path)
    {
        using var response = await Service.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        using var page = JsonDocument.Parse(body);
        var rows = page.RootElement.TryGetProperty("jobs", out var jobs) ? jobs : page.RootElement.GetProperty("entries");
        var total = page.RootElement.GetProperty("total").GetInt64();
        rows.GetArrayLength().Should().Be((int)Math.Min(total, 50));
        return total;
    }

    private static async Task<(long Executions, long AuditRows)> CountRowsAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        return (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM scheduled_jobs"),
            await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log"));
    }

    /// <summary>One hostile request: method, path, raw body bytes (sent as application/json), sender, Idempotency-Key.</summary>
    public sealed record HostileRequest(HttpMethod Method, string Path, byte[]? Body = null, Sender Sender = Sender.Admin, string? IdempotencyKey = null)
    {
        public override string ToString() => $"{Method} {Path}";
    }
}
