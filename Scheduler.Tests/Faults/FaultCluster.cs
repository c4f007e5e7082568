using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Faults;

/// <summary>Settings and steps the fault scenarios share: real service processes with fast cluster timings.</summary>
internal static class FaultCluster
{
    /// <summary>
    /// How much longer than in ./test.sh each fault lasts: <c>FAULT_SCALE=4 ./test.sh --filter "FullyQualifiedName~Scheduler.Tests.Faults"</c>
    /// runs the longer variants (a 2-minute outage, a 12-second restart, a 20-second lease frozen through).
    /// </summary>
    public static int Scale { get; } = int.TryParse(Environment.GetEnvironmentVariable("FAULT_SCALE"), out var scale) && scale > 1 ? scale : 1;

    /// <summary>
    /// Check-ins every second, a node counted failed after two missed, run leases renewed every second. The lease is
    /// given per scenario: longer than the fault where a live node must keep its runs, shorter where it must lose them.
    /// </summary>
    public static Dictionary<string, string?> Settings(TimeSpan lease, IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Scheduler:CheckinInterval"] = "00:00:01",
            ["Scheduler:CheckinMisfireThreshold"] = "00:00:02",
            ["Recovery:HeartbeatInterval"] = "00:00:01",
            ["Recovery:StaleAfter"] = lease.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
            ["Recovery:ShutdownGrace"] = "00:00:02",
            // Held downstream calls must outlive the scenario's fault, not time out on their own.
            ["Services:Crawler:AttemptTimeout"] = "00:02:00",
            ["Services:Crawler:TotalTimeout"] = "00:03:00",
            ["Services:Crawler:BreakSamplingDuration"] = "00:05:00",
            ["Services:User:AttemptTimeout"] = "00:02:00",
            ["Services:User:TotalTimeout"] = "00:03:00",
            ["Services:User:BreakSamplingDuration"] = "00:05:00",
            ["Services:CoreApi:AttemptTimeout"] = "00:02:00",
            ["Services:CoreApi:TotalTimeout"] = "00:03:00",
            ["Services:CoreApi:BreakSamplingDuration"] = "00:05:00",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static async Task<Guid> TriggerAsync(ServiceProcess node, string jobType)
    {
        using var http = node.CreateClient();
        using var response = await http.PostAsJsonAsync("/api/jobs/trigger", new { jobType });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
    }

    public static async Task<JobExecution> WaitForAsync(ServiceProcess node, Guid id, Func<JobExecution, bool> done, TimeSpan? within = null)
    {
        using var http = node.CreateClient(TestTokens.Reader);
        return await Eventually.Until(async () => (await http.GetFromJsonAsync<JobExecution>($"/api/jobs/{id}"))!,
            done, within ?? TimeSpan.FromSeconds(30), $"execution {id} on {node.RunnerId}");
    }
}
