using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Api;

/// <summary>
/// <c>/api/job-types</c> against one service: HTTP-call types defined, changed, disabled, enabled and deleted at run
/// time, each audited; calls only to configured services on relative paths; configuration's types read-only.
/// </summary>
public sealed class HttpCallTypesApiTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:search_reindex:Kind"] = "HttpCall",
        ["Jobs:search_reindex:Service"] = "CoreApi",
        ["Jobs:search_reindex:Path"] = "/v1/admin/search/reindex",
        ["Jobs:search_reindex:Cron"] = "0 30 3 * * ?",
    };

    private static int _sequence;

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    /// <summary>A name no other test uses: the fixture's service and database live across its tests.</summary>
    private static string NewName() => $"api_call_{Interlocked.Increment(ref _sequence)}_{Guid.NewGuid().ToString("N")[..6]}";

    private async Task<JobTypeInfo> DefineAsync(object body)
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/job-types", body);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JobTypeInfo>())!;
    }

    [Test]
    public async Task Define_MakesATypeThatRunsItsCallWithItsBody_ListedWithSourceApi_AndAudited()
    {
        var name = NewName();

        var defined = await DefineAsync(new
        {
            name,
            service = "CoreApi",
            path = "/v1/admin/search/rebuild",
            body = new { scope = "all", dryRun = false },
            itemsField = "processed",
            retries = 0,
            description = "Rebuilds the search index.",
        });
        var listed = (await Service.Client.GetFromJsonAsync<List<JobTypeInfo>>("/api/jobs/types"))!.Single(t => t.Name == name);
        StandIns.State.SetAdminProcessed("/v1/admin/search/rebuild", 7);
        var done = await Service.RunAsync(name);
        var metrics = await Service.Client.GetStringAsync("/metrics");

        defined.Source.Should().Be(JobTypeSources.Api);
        listed.Source.Should().Be(JobTypeSources.Api);
        listed.Kind.Should().Be("HttpCall");
        listed.Call!.Path.Should().Be("/v1/admin/search/rebuild");
        listed.DefaultSchedule.Enabled.Should().BeFalse("no schedule was given: it runs only when triggered");
        done.Status.Should().Be(ExecutionStatus.Completed, done.Error);
        done.Result!.ItemsProcessed.Should().Be(7);
        var call = StandIns.State.RequestsTo("POST", "/v1/admin/search/rebuild").Should().ContainSingle().Subject;
        JsonDocument.Parse(call.Body).RootElement.GetProperty("scope").GetString().Should().Be("all");
        call.Headers["Idempotency-Key"].Should().Be($"{name}:{done.Id}");
        metrics.Should().Contain($"job_type=\"{name}\"", "its runs have their own series");
        var audit = (await Service.Client.GetFromJsonAsync<AuditPage>($"/api/audit?action=type.define&jobType={name}"))!;
        var entry = audit.Entries.Should().ContainSingle().Subject;
        entry.TargetType.Should().Be(AuditTargetTypes.JobType);
        entry.Actor.Should().Be(TestTokens.AdminSubject);
        entry.Details!.Value.GetProperty("after").GetProperty("path").GetString().Should().Be("/v1/admin/search/rebuild");
    }

    [TestCase("service", "https://attacker.example", "/v1/admin/x")]
    [TestCase("service", "Billing", "/v1/admin/x")]
    [TestCase("path", "CoreApi", "http://127.0.0.1:9/v1/admin/x")]
    [TestCase("path", "CoreApi", "//127.0.0.1:9/v1/admin/x")]
    [TestCase("path", "CoreApi", "/v1/admin/../../internal")]
    [TestCase("path", "CoreApi", "/v1/admin/%2e%2e/internal")]
    [TestCase("path", "CoreApi", "v1/admin/no-leading-slash")]
    public async Task Define_WithAnUnknownServiceOrAUrlInsteadOfAPath_Is400NamingTheField_AndStoresNothing(string field, string service, string path)
    {
        var name = NewName();

        using var response = await Service.Client.PostAsJsonAsync("/api/job-types", new { name, service, path });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<JsonElement>())!;
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().Equal(field);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM job_type_definitions WHERE name = @name", new { name })).Should().Be(0);
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM qrtz_job_details WHERE job_name = @name", new { name })).Should().Be(0);
    }

    [TestCase("timeoutSeconds", """{"service":"CoreApi","path":"/v1/admin/x","timeoutSeconds":0}""")]
    [TestCase("retries", """{"service":"CoreApi","path":"/v1/admin/x","retries":11}""")]
    [TestCase("method", """{"service":"CoreApi","path":"/v1/admin/x","method":"CONNECT"}""")]
    [TestCase("body", """{"service":"CoreApi","path":"/v1/admin/x","method":"GET","body":{"a":1}}""")]
    [TestCase("schedule.cron", """{"service":"CoreApi","path":"/v1/admin/x","schedule":{"cron":"every day"}}""")]
    [TestCase("schedule.timeZone", """{"service":"CoreApi","path":"/v1/admin/x","schedule":{"cron":"0 3 * * *","timeZone":"Mars/Olympus"}}""")]
    public async Task Define_OutOfBounds_Is400NamingTheField(string field, string json)
    {
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
        body["name"] = JsonSerializer.SerializeToElement(NewName());

        using var response = await Service.Client.PostAsJsonAsync("/api/job-types", body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().Equal(field);
    }

    [TestCase(JobTypes.ExportDlqReplay)]
    [TestCase("search_reindex")]
    public async Task ATypeConfigurationOwns_IsReadOnly_409NamingItsConfigurationKey_AndTheRefusalIsAudited(string name)
    {
        var definition = new { service = "CoreApi", path = "/v1/admin/elsewhere" };

        using var define = await Service.Client.PostAsJsonAsync("/api/job-types", new { name, definition.service, definition.path });
        using var change = await Service.Client.PutAsJsonAsync($"/api/job-types/{name}", definition);
        using var disable = await Service.Client.PostAsync($"/api/job-types/{name}/disable", null);
        using var delete = await Service.Client.DeleteAsync($"/api/job-types/{name}");

        foreach (var response in new[] { define, change, disable, delete })
        {
            response.StatusCode.Should().Be(HttpStatusCode.Conflict, $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri}");
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            problem.GetProperty("configurationKey").GetString().Should().Be($"Jobs:{name}");
            problem.GetProperty("detail").GetString().Should().Contain($"Jobs:{name}");
        }

        var type = (await Service.Client.GetFromJsonAsync<JobTypeInfo>($"/api/job-types/{name}"))!;
        type.Source.Should().Be(JobTypeSources.Configuration);
        type.Enabled.Should().BeTrue();
        type.Call!.Path.Should().NotBe("/v1/admin/elsewhere");
        var audit = (await Service.Client.GetFromJsonAsync<AuditPage>($"/api/audit?jobType={name}"))!;
        audit.Entries.Where(e => e.TargetType == AuditTargetTypes.JobType).Should().HaveCount(4).And.OnlyContain(e => e.Outcome == AuditOutcomes.Rejected);
    }

    [Test]
    public async Task Define_WithATakenName_Is409()
    {
        var name = NewName();
        await DefineAsync(new { name, service = "CoreApi", path = "/v1/admin/a" });

        using var again = await Service.Client.PostAsJsonAsync("/api/job-types", new { name, service = "CoreApi", path = "/v1/admin/b" });

        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await Service.Client.GetFromJsonAsync<JobTypeInfo>($"/api/job-types/{name}"))!.Call!.Path.Should().Be("/v1/admin/a");
    }

    [Test]
    public async Task Change_IsWhatTheNextRunCalls_AndIsAuditedWithBeforeAndAfter()
    {
        var name = NewName();
        await DefineAsync(new { name, service = "CoreApi", path = "/v1/admin/first" });
        (await Service.RunAsync(name)).Status.Should().Be(ExecutionStatus.Completed);

        using var change = await Service.Client.PutAsJsonAsync($"/api/job-types/{name}",
            new { service = "CoreApi", path = "/v1/admin/second", body = new { batch = 5 } });
        var second = await Service.RunAsync(name);

        change.StatusCode.Should().Be(HttpStatusCode.OK, await change.Content.ReadAsStringAsync());
        second.Status.Should().Be(ExecutionStatus.Completed, second.Error);
        StandIns.State.RequestsTo("POST", "/v1/admin/first").Should().ContainSingle("the first run, before the change");
        StandIns.State.RequestsTo("POST", "/v1/admin/second").Should().ContainSingle()
            .Which.Body.Should().Contain("\"batch\":5");
        var audit = (await Service.Client.GetFromJsonAsync<AuditPage>($"/api/audit?action=type.change&jobType={name}"))!;
        var details = audit.Entries.Should().ContainSingle().Subject.Details!.Value;
        details.GetProperty("before").GetProperty("path").GetString().Should().Be("/v1/admin/first");
        details.GetProperty("after").GetProperty("path").GetString().Should().Be("/v1/admin/second");
    }

    [Test]
    public async Task Define_WithASchedule_GivesItsDefaultCronTrigger_InItsZone()
    {
        var name = NewName();

        var defined = await DefineAsync(new { name, service = "CoreApi", path = "/v1/admin/nightly", schedule = new { cron = "15 4 * * *", timeZone = "Europe/Paris" } });
        var schedule = (await Service.Client.GetFromJsonAsync<ScheduleView>($"/api/schedules/{name}"))!;

        defined.DefaultSchedule.Should().Be(new ScheduleDefinition("0 15 4 * * ?", "Europe/Paris", true));
        schedule.Runs.Should().BeTrue();
        schedule.NextFireTimes.Should().HaveCount(5).And.OnlyContain(f => f.Local.Hour == 4 && f.Local.Minute == 15);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.QuerySingleAsync<(string Cron, string Zone)>(
            "SELECT cron_expression, time_zone_id FROM qrtz_cron_triggers WHERE trigger_name = @name", new { name }))
            .Should().Be(("0 15 4 * * ?", "Europe/Paris"));
    }

    [Test]
    public async Task Disable_RefusesTriggers_AndTakesItsScheduleAway_UntilEnabled()
    {
        var name = NewName();
        await DefineAsync(new { name, service = "CoreApi", path = "/v1/admin/switchable", schedule = new { cron = "0 3 * * *" } });

        using var disable = await Service.Client.PostAsync($"/api/job-types/{name}/disable", null);
        using var refused = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = name });
        await using var connection = await TestDatabase.OpenAsync();
        var triggersWhileDisabled = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM qrtz_cron_triggers WHERE trigger_name = @name", new { name });
        using var enable = await Service.Client.PostAsync($"/api/job-types/{name}/enable", null);
        var triggersOnceEnabled = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM qrtz_cron_triggers WHERE trigger_name = @name", new { name });
        var run = await Service.RunAsync(name);

        disable.StatusCode.Should().Be(HttpStatusCode.OK);
        (await disable.Content.ReadFromJsonAsync<JobTypeInfo>())!.Enabled.Should().BeFalse();
        refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await refused.Content.ReadAsStringAsync()).Should().Contain($"/api/job-types/{name}/enable");
        triggersWhileDisabled.Should().Be(0);
        enable.StatusCode.Should().Be(HttpStatusCode.OK);
        triggersOnceEnabled.Should().Be(1);
        run.Status.Should().Be(ExecutionStatus.Completed, run.Error);
        var actions = (await Service.Client.GetFromJsonAsync<AuditPage>($"/api/audit?jobType={name}"))!.Entries.Select(e => e.Action);
        actions.Should().Contain([AuditActions.TypeDefine, AuditActions.TypeDisable, AuditActions.TypeEnable]);
    }

    [Test]
    public async Task Delete_RemovesItsJobAndEveryTrigger_AndKeepsItsHistory()
    {
        var name = NewName();
        await DefineAsync(new { name, service = "CoreApi", path = "/v1/admin/temporary", schedule = new { cron = "0 3 * * *" } });
        var run = await Service.RunAsync(name);

        using var delete = await Service.Client.DeleteAsync($"/api/job-types/{name}");
        using var trigger = await Service.Client.PostAsJsonAsync("/api/jobs/trigger", new { jobType = name });
        using var again = await Service.Client.DeleteAsync($"/api/job-types/{name}");

        delete.StatusCode.Should().Be(HttpStatusCode.NoContent, await delete.Content.ReadAsStringAsync());
        trigger.StatusCode.Should().Be(HttpStatusCode.BadRequest, "the type is no longer in the catalog");
        again.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Service.Client.GetFromJsonAsync<List<JobTypeInfo>>("/api/jobs/types"))!.Should().NotContain(t => t.Name == name);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM qrtz_job_details WHERE job_name = @name", new { name })).Should().Be(0);
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM qrtz_triggers WHERE job_name = @name", new { name })).Should().Be(0);
        (await Service.GetExecutionAsync(run.Id)).Status.Should().Be(ExecutionStatus.Completed, "history stays");
        var audit = (await Service.Client.GetFromJsonAsync<AuditPage>($"/api/audit?action=type.delete&jobType={name}"))!;
        audit.Entries.Should().ContainSingle().Which.Details!.Value.GetProperty("before").GetProperty("path").GetString().Should().Be("/v1/admin/temporary");
    }

    [Test]
    public async Task Delete_WhileARunIsGoingOn_Is409NamingTheRun_AndDeletesNothing()
    {
        var name = NewName();
        await DefineAsync(new { name, service = "CoreApi", path = "/v1/admin/slow", retries = 0 });
        StandIns.State.SetFault("POST", "/v1/admin/slow", new Fault(DelayMs: 60_000));
        var running = await Service.TriggerAsync(name);
        await Service.WaitForStatusAsync(running, ExecutionStatus.Running);

        using var delete = await Service.Client.DeleteAsync($"/api/job-types/{name}");

        delete.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await delete.Content.ReadAsStringAsync()).Should().Contain(running.ToString());
        (await Service.Client.GetFromJsonAsync<JobTypeInfo>($"/api/job-types/{name}"))!.Name.Should().Be(name);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM qrtz_job_details WHERE job_name = @name", new { name })).Should().Be(1, "the job's removal rolled back");
        (await Service.Client.PostAsync($"/api/jobs/{running}/cancel", null)).EnsureSuccessStatusCode();
        await Service.WaitForStatusAsync(running, ExecutionStatus.Cancelled);
    }

    [Test]
    public async Task Readers_SeeTypes_ButEveryChangeIs403()
    {
        var name = NewName();
        await DefineAsync(new { name, service = "CoreApi", path = "/v1/admin/readable" });
        using var reader = Service.CreateClient(TestTokens.Reader);
        var body = new { name = NewName(), service = "CoreApi", path = "/v1/admin/x" };

        var seen = await reader.GetFromJsonAsync<JobTypeInfo>($"/api/job-types/{name}");
        using var define = await reader.PostAsJsonAsync("/api/job-types", body);
        using var change = await reader.PutAsJsonAsync($"/api/job-types/{name}", new { service = "CoreApi", path = "/v1/admin/y" });
        using var disable = await reader.PostAsync($"/api/job-types/{name}/disable", null);
        using var enable = await reader.PostAsync($"/api/job-types/{name}/enable", null);
        using var delete = await reader.DeleteAsync($"/api/job-types/{name}");

        seen!.Name.Should().Be(name);
        new[] { define, change, disable, enable, delete }.Select(r => r.StatusCode).Should().OnlyContain(s => s == HttpStatusCode.Forbidden);
        (await Service.Client.GetFromJsonAsync<JobTypeInfo>($"/api/job-types/{name}"))!.Call!.Path.Should().Be("/v1/admin/readable");
    }
}
