using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Observability;

/// <summary>What a real service process writes to its console: one JSON object a line, with the trace and the execution named.</summary>
public sealed class LogTests
{
    [Test]
    public async Task JobLogs_AreJsonLines_CarryingTheTriggersTraceId_AndTheExecutionId()
    {
        await TestDatabase.ResetAsync();
        await using var standIns = await StandInApp.StartAsync();
        standIns.State.SeedDiscoveries(2);
        await using var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "log-node", new Dictionary<string, string?>());
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var caller = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = new Uri(node.BaseUrl) };
        caller.DefaultRequestHeaders.Authorization = TestTokens.Bearer(TestTokens.Admin);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/trigger") { Content = JsonContent.Create(new { jobType = JobTypes.CrawlPending }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        using var response = await caller.SendAsync(request);
        var id = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        await Eventually.Until(async () => (await caller.GetFromJsonAsync<JobExecution>($"/api/jobs/{id}"))!.Status,
            status => status == ExecutionStatus.Completed, TimeSpan.FromSeconds(30), $"execution {id} to complete");
        await node.StopAsync();

        var lines = node.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        lines.Should().NotBeEmpty();
        var jobLines = lines.Where(l => Scope(l, "ExecutionId") == id.ToString()).ToList();
        jobLines.Should().NotBeEmpty("the job's own log lines carry its execution id");
        jobLines.Select(l => Scope(l, "TraceId")).Should().Contain(traceId, "and the trace id of the request that triggered it");
        jobLines.Should().Contain(l => l.GetProperty("Message").GetString()!.StartsWith("crawl_pending ended completed", StringComparison.Ordinal));
    }

    /// <summary>A value from the line's scopes (the JSON formatter writes each scope as an object of its values).</summary>
    private static string? Scope(JsonElement line, string name) =>
        line.TryGetProperty("Scopes", out var scopes)
            ? scopes.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty(name, out _))
                .Select(s => s.GetProperty(name).ToString()).FirstOrDefault()
            : null;
}
