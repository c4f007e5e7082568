using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Jobs;

/// <summary><c>cleanup_old_data</c> where <c>Jobs:cleanup_old_data:AllowShortRetention</c> lowers the 30-day floor.</summary>
public sealed class ShortRetentionTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:cleanup_old_data:AllowShortRetention"] = "true",
        ["Jobs:cleanup_old_data:ExecutionRetentionDays"] = "7",
        ["Jobs:cleanup_old_data:InteractionRetentionDays"] = "14",
    };

    [Test]
    public async Task Trigger_WithARetentionBelowTheFloor_RunsWithIt_WhereAllowShortRetentionIsSet()
    {
        using var response = await Service.Client.PostAsJsonAsync("/api/jobs/trigger",
            new { jobType = JobTypes.CleanupOldData, parameters = new { interactionRetentionDays = 1 } });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        var done = await Eventually.Until(() => Service.GetExecutionAsync(id), e => e.Status is not (ExecutionStatus.Pending or ExecutionStatus.Running),
            TimeSpan.FromSeconds(30), "the run to finish");

        done.Status.Should().Be(ExecutionStatus.Completed, done.Error);
        var call = StandIns.State.RequestsTo("POST", "/api/interactions/cleanup").Should().ContainSingle().Subject;
        using var body = JsonDocument.Parse(call.Body);
        body.RootElement.GetProperty("olderThan").GetDateTimeOffset().Should().BeCloseTo(done.StartedAt!.Value.AddDays(-1), TimeSpan.FromMinutes(1));
        var archive = ((JsonElement)done.Result!.Details["steps"]!).GetProperty("archive");
        archive.GetProperty("finishedBefore").GetDateTimeOffset().Should().BeCloseTo(done.StartedAt!.Value.AddDays(-7), TimeSpan.FromMinutes(1),
            "the configured 7 days, allowed by the same setting");
    }

    [Test]
    public async Task Types_ShowTheLoweredMinimum()
    {
        var types = (await Service.Client.GetFromJsonAsync<List<JobTypeInfo>>("/api/jobs/types"))!;

        var parameters = types.Single(t => t.Name == JobTypes.CleanupOldData).Parameters.ToDictionary(p => p.Name);
        parameters["executionRetentionDays"].Minimum.Should().Be(1);
        parameters["executionRetentionDays"].Default.Should().Be(7);
        parameters["interactionRetentionDays"].Default.Should().Be(14);
    }
}
