using System.Net.Http.Json;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

/// <summary>Every operator action on an execution leaves an audit row: who, what, target, when, from where, outcome.</summary>
public sealed class AuditTrailTests : ServiceFixture
{
    [Test]
    public async Task Trigger_Conflict_Cancel_AndRetry_AreEachAudited_WithWhoAndFromWhere()
    {
        StandIns.State.SeedDiscoveries(1);
        StandIns.State.SetFault("POST", "/api/crawl/batch", new Fault(DelayMs: 30_000, Times: 1));
        var started = DateTimeOffset.UtcNow;

        using var anna = Service.CreateClient(TestTokens.AdminAs("ops_anna"));
        using var ben = Service.CreateClient(TestTokens.AdminAs("ops_ben"));
        var id = await Service.TriggerAsync(JobTypes.CrawlPending, asUser: "ops_anna");
        await Service.WaitForStatusAsync(id, ExecutionStatus.Running);
        // The body's triggeredBy names someone else: the token decides, and the audit row keeps what was claimed.
        using var conflict = await ben.PostAsJsonAsync("/api/jobs/trigger", new { jobType = JobTypes.CrawlPending, triggeredBy = "ops_anna" });
        using var cancel = await anna.PostAsJsonAsync($"/api/jobs/{id}/cancel", new { reason = "wrong day" });
        await Service.WaitForStatusAsync(id, ExecutionStatus.Cancelled);
        using var retry = await ben.PostAsJsonAsync($"/api/jobs/{id}/retry", new { requestedBy = "ops_anna" });
        var retryId = (await retry.Content.ReadFromJsonAsync<TriggerJobResponse>())!.Id;
        await Service.WaitForStatusAsync(retryId, ExecutionStatus.Completed);

        var page = (await Service.Client.GetFromJsonAsync<AuditPage>($"/api/audit?jobType=crawl_pending&from={Uri.EscapeDataString(started.AddSeconds(-1).ToString("o"))}"))!;
        var trail = page.Entries.Reverse().Select(e => (e.Action, e.Actor, e.Outcome, e.TargetId)).ToList();
        trail.Should().Equal(
            (AuditActions.JobTrigger, "ops_anna", AuditOutcomes.Accepted, id.ToString()),
            (AuditActions.JobTrigger, "ops_ben", AuditOutcomes.Conflict, null),
            (AuditActions.JobCancel, "ops_anna", AuditOutcomes.Accepted, id.ToString()),
            (AuditActions.JobRetry, "ops_ben", AuditOutcomes.Accepted, id.ToString()));
        page.Entries.Should().OnlyContain(e => e.RemoteAddress == "127.0.0.1" && e.TargetType == AuditTargetTypes.Execution);
        page.Entries.Single(e => e.Action == AuditActions.JobCancel).Details!.Value.GetProperty("reason").GetString().Should().Be("wrong day");
        page.Entries.Single(e => e.Action == AuditActions.JobRetry).Details!.Value.GetProperty("retryExecutionId").GetGuid().Should().Be(retryId);
        page.Entries.Single(e => e.Action == AuditActions.JobRetry).Details!.Value.GetProperty("ignoredRequestedBy").GetString().Should().Be("ops_anna");
        page.Entries.Single(e => e.Outcome == AuditOutcomes.Conflict).Details!.Value.GetProperty("activeExecutionId").GetGuid().Should().Be(id);
    }
}
