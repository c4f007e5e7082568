using System.Net.Http.Json;
using System.Text;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests;

/// <summary>The core API's Basic credentials reach the core API and nowhere else: not the logs, not the errors, not the history.</summary>
public sealed class CredentialHygieneTests
{
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
