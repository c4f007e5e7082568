using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using FluentAssertions;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Security;

/// <summary>
/// A full run of a real service process with verbose logging: every configured secret and every token it was
/// shown stays out of its logs, its answers, the execution history and the audit trail; the core API's Basic
/// credentials reach the core API and nowhere else, even when the core API refuses them.
/// </summary>
public sealed class SecretHygieneTests
{
    [Test]
    public async Task ConfiguredSecretsAndTokens_AppearInNoLogAnswerOrRow()
    {
        await TestDatabase.ResetAsync();
        var basicPassword = $"basic-{Guid.NewGuid():N}";
        var clientSecret = $"client-secret-{Guid.NewGuid():N}";
        var webhookSecret = $"webhook-secret-{Guid.NewGuid():N}";
        var databasePassword = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString).Password!;
        var adminToken = TestTokens.AdminAs("ops_secret_keeper");
        var forgedToken = TestTokens.Mint("ops_forger", ["Scheduler.Admin"], d => d.Audience = "another-api");
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.AdminPassword = basicPassword;
        standIns.State.SeedDiscoveries(3);
        await using var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "secret-node", new Dictionary<string, string?>
        {
            ["ADMIN_BASIC_PASSWORD"] = basicPassword,
            ["AzureAd:Instance"] = "https://login.microsoftonline.com/",
            ["AzureAd:TenantId"] = "11111111-2222-3333-4444-555555555555",
            ["AzureAd:ClientId"] = "66666666-7777-8888-9999-000000000000",
            ["AzureAd:ClientSecret"] = clientSecret,
            ["Jobs:admin_cleanup:Notifications:hygiene:Kind"] = "webhook",
            ["Jobs:admin_cleanup:Notifications:hygiene:Url"] = $"{standIns.BaseUrl}/hooks/hygiene",
            ["Jobs:admin_cleanup:Notifications:hygiene:Events"] = "completion",
            ["Jobs:admin_cleanup:Notifications:hygiene:Secret"] = webhookSecret,
            // As much as a troubleshooting operator would turn on.
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
            ["Logging:LogLevel:System.Net.Http"] = "Trace",
            ["Logging:LogLevel:Npgsql"] = "Debug",
        });
        var answers = new StringBuilder();
        using var admin = node.CreateClient(adminToken);
        using var forger = node.CreateClient(forgedToken);

        foreach (var jobType in new[] { JobTypes.CrawlPending, JobTypes.AdminCleanup })
        {
            using var triggered = await admin.PostAsJsonAsync("/api/jobs/trigger", new { jobType });
            answers.AppendLine(await triggered.Content.ReadAsStringAsync());
            var id = (await triggered.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
            await Eventually.Until(async () => (await admin.GetFromJsonAsync<JobExecution>($"/api/jobs/{id}"))!,
                e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running), TimeSpan.FromSeconds(30), $"execution {id} to finish");
        }

        await Eventually.Until(() => Task.FromResult(standIns.State.RequestsTo("POST", "/hooks/hygiene").Count), n => n == 1,
            TimeSpan.FromSeconds(30), "the webhook to be delivered");
        using var refused = await forger.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending });
        answers.AppendLine(refused.Headers.WwwAuthenticate.ToString()).AppendLine(await refused.Content.ReadAsStringAsync());
        answers.AppendLine(await admin.GetStringAsync("/api/jobs"));
        answers.AppendLine(await admin.GetStringAsync("/api/audit"));
        answers.AppendLine(await admin.GetStringAsync("/readyz"));
        answers.AppendLine(await admin.GetStringAsync("/api/notifications"));
        await node.StopAsync();

        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        await using var connection = await TestDatabase.OpenAsync();
        var rows = string.Join('\n', await connection.QueryAsync<string>(
            "SELECT row_to_json(s)::text FROM scheduled_jobs s UNION ALL SELECT row_to_json(a)::text FROM audit_log a"));
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{StandInState.DefaultAdminUsername}:{basicPassword}"));
        var secrets = new Dictionary<string, string>
        {
            ["database password"] = databasePassword,
            ["Basic password"] = basicPassword,
            ["Basic header"] = basic,
            ["client secret"] = clientSecret,
            ["webhook secret"] = webhookSecret,
            ["admin token"] = adminToken,
            ["admin token signature"] = adminToken.Split('.')[2],
            ["refused token signature"] = forgedToken.Split('.')[2],
        };
        node.Output.Should().Contain("ops_secret_keeper", "the run was logged at all");
        foreach (var (name, secret) in secrets)
        {
            node.Output.Should().NotContain(secret, $"the {name} must not be logged");
            answers.ToString().Should().NotContain(secret, $"the {name} must not be in an answer");
            rows.Should().NotContain(secret, $"the {name} must not be stored");
        }
    }

    [Test]
    public async Task AdminPassword_FromTheSeedVariable_IsSentButNeverLoggedOrStored_EvenWhenRefused()
    {
        await TestDatabase.ResetAsync();
        var secret = $"pw-{Guid.NewGuid():N}";
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{StandInState.DefaultAdminUsername}:{secret}"));
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.AdminPassword = secret;
        await using var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "hygiene-node", new Dictionary<string, string?>
        {
            ["ADMIN_BASIC_PASSWORD"] = secret,
            // The most a troubleshooting operator would turn on: every HttpClient and resilience event.
            ["Logging:LogLevel:System.Net.Http"] = "Trace",
            ["Logging:LogLevel:Polly"] = "Trace",
        });
        using var http = node.CreateClient();

        var accepted = await RunAsync(http, JobTypes.AdminCleanup);
        standIns.State.AdminPassword = "rotated-elsewhere";
        var refused = await RunAsync(http, JobTypes.AdminCleanup);
        await node.StopAsync();

        accepted.Status.Should().Be(ExecutionStatus.Completed, node.Output);
        refused.Status.Should().Be(ExecutionStatus.Failed);
        standIns.State.RequestsTo("POST", "/v1/admin/cleanup").Should().OnlyContain(r => r.Headers["Authorization"] == $"Basic {encoded}");
        node.Output.Should().Contain("Authorization: *", "request headers were logged, redacted")
            .And.NotContain(secret).And.NotContain(encoded);
        await using var connection = await TestDatabase.OpenAsync();
        var history = string.Join('\n', await connection.QueryAsync<string>("SELECT row_to_json(s)::text FROM scheduled_jobs s"));
        history.Should().NotContain(secret).And.NotContain(encoded);
    }

    private static async Task<JobExecution> RunAsync(HttpClient http, string jobType)
    {
        using var response = await http.PostAsJsonAsync("/api/jobs/trigger", new { jobType });
        var id = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        return await Eventually.Until(async () => (await http.GetFromJsonAsync<JobExecution>($"/api/jobs/{id}"))!,
            e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running), TimeSpan.FromSeconds(30), $"execution {id} to finish");
    }
}
