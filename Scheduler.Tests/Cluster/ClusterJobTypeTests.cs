using System.Net;
using System.Net.Http.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Cluster;

/// <summary>
/// HTTP-call types defined through the API across real processes: a type defined on one node is the cluster's within
/// seconds (the change is announced, not waited for: the periodic re-read is a minute), and a node that starts later
/// knows it from the start.
/// </summary>
public sealed class ClusterJobTypeTests
{
    private static readonly TimeSpan WithinSeconds = TimeSpan.FromSeconds(15);

    private static readonly Dictionary<string, string?> NoSettings = [];

    [SetUp]
    public Task EmptyDatabase() => TestDatabase.ResetAsync();

    [Test]
    public async Task ATypeDefinedOnNodeA_IsTriggeredOnNodeB_WithinSeconds_AndItsCallReachesTheService()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var nodeA = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", NoSettings);
        await using var nodeB = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", NoSettings);
        using var adminA = nodeA.CreateClient();
        using var adminB = nodeB.CreateClient();
        var diagnostics = () => $"node-a:\n{nodeA.Output}\nnode-b:\n{nodeB.Output}";

        using var defined = await adminA.PostAsJsonAsync("/api/job-types",
            new { name = "search_rebuild", service = "CoreApi", path = "/v1/admin/search/rebuild", body = new { scope = "all" } });
        defined.StatusCode.Should().Be(HttpStatusCode.Created, await defined.Content.ReadAsStringAsync());
        var sinceDefined = System.Diagnostics.Stopwatch.StartNew();
        // Asked as a reader (changes are rate-limited per caller; reads are not).
        using var readerB = nodeB.CreateClient(TestTokens.Reader);
        await Eventually.Until(() => readerB.GetAsync("/api/job-types/search_rebuild"), r => r.StatusCode == HttpStatusCode.OK, WithinSeconds,
            "node B to know the new type");
        await TestContext.Out.WriteLineAsync($"node B knew the type {sinceDefined.ElapsedMilliseconds} ms after node A defined it");
        using var accepted = await adminB.PostAsJsonAsync("/api/jobs/trigger", new { jobType = "search_rebuild" });
        accepted.StatusCode.Should().Be(HttpStatusCode.Accepted, await accepted.Content.ReadAsStringAsync());
        var id = (await accepted.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        var done = await Eventually.Until(async () => (await adminB.GetFromJsonAsync<JobExecution>($"/api/jobs/{id}"))!,
            e => e.Status is ExecutionStatus.Completed or ExecutionStatus.Failed, TimeSpan.FromSeconds(60), "the run to finish");

        done.Status.Should().Be(ExecutionStatus.Completed, done.Error + diagnostics());
        standIns.State.RequestsTo("POST", "/v1/admin/search/rebuild").Should().ContainSingle()
            .Which.Body.Should().Contain("\"scope\":\"all\"");
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<string>("SELECT job_class_name FROM qrtz_job_details WHERE job_name = 'search_rebuild'"))
            .Should().Contain("HttpCallJob", "its durable job is in the clustered store");

        // Changed on B, A's next run makes the new call.
        using var changed = await adminB.PutAsJsonAsync("/api/job-types/search_rebuild", new { service = "CoreApi", path = "/v1/admin/search/rebuild-v2" });
        changed.StatusCode.Should().Be(HttpStatusCode.OK, await changed.Content.ReadAsStringAsync());
        await Eventually.Until(async () => (await adminA.GetFromJsonAsync<JobTypeInfo>("/api/job-types/search_rebuild"))!,
            t => t.Call!.Path == "/v1/admin/search/rebuild-v2", WithinSeconds, "node A to learn of the change");
        using var second = await adminA.PostAsJsonAsync("/api/jobs/trigger", new { jobType = "search_rebuild" });
        second.StatusCode.Should().Be(HttpStatusCode.Accepted, await second.Content.ReadAsStringAsync());
        await Eventually.Until(() => Task.FromResult(standIns.State.RequestsTo("POST", "/v1/admin/search/rebuild-v2").Count),
            n => n == 1, TimeSpan.FromSeconds(60), "the second run to call the changed path");

        // A node started now knows the type before it serves anything.
        await nodeB.StopAsync();
        await using var nodeC = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-c", NoSettings);
        using var readerC = nodeC.CreateClient(TestTokens.Reader);
        var types = (await readerC.GetFromJsonAsync<List<JobTypeInfo>>("/api/jobs/types"))!;
        types.Should().ContainSingle(t => t.Name == "search_rebuild").Which.Source.Should().Be(JobTypeSources.Api);
    }
}
