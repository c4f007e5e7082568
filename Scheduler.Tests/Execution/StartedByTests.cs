using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

/// <summary>The external (identity provider) id a trigger arrives with is recorded as the internal user id.</summary>
public sealed class StartedByTests : ServiceFixture
{
    private const string InternalId = "6f1c2b0e-7c1d-4a57-9c55-3a2f1e0d9b11";

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task Trigger_WithAnExternalUserId_RecordsTheInternalId_AndAsksTheUserServiceOnce()
    {
        StandIns.State.MapExternalUser("user_2abcResolved", InternalId);

        var first = await Service.WaitForStatusAsync(await Service.TriggerAsync(JobTypes.CrawlPending, asUser: "user_2abcResolved"), ExecutionStatus.Completed);
        var second = await Service.WaitForStatusAsync(await Service.TriggerAsync(JobTypes.CrawlPending, asUser: "user_2abcResolved"), ExecutionStatus.Completed);

        first.StartedBy.Should().Be(InternalId);
        second.StartedBy.Should().Be(InternalId);
        StandIns.State.RequestsTo("GET", "/api/users/user_2abcResolved").Should().ContainSingle("the answer is cached");
    }

    [Test]
    public async Task Trigger_WhenTheUserServiceIsDown_KeepsTheExternalId_AndStillRuns()
    {
        StandIns.State.SetFault("GET", "/api/users/user_2abcDown", new Fault(Status: 503));

        var id = await Service.TriggerAsync(JobTypes.CrawlPending, asUser: "user_2abcDown");

        (await Service.WaitForStatusAsync(id, ExecutionStatus.Completed)).StartedBy.Should().Be("user_2abcDown");
    }

    [Test]
    public async Task Trigger_WithAnIdTheUserServiceDoesNotKnow_KeepsItAsGiven()
    {
        var first = await Service.WaitForStatusAsync(await Service.TriggerAsync(JobTypes.CrawlPending, asUser: "user_2abcUnknown"), ExecutionStatus.Completed);
        var second = await Service.WaitForStatusAsync(await Service.TriggerAsync(JobTypes.CrawlPending, asUser: "user_2abcUnknown"), ExecutionStatus.Completed);

        first.StartedBy.Should().Be("user_2abcUnknown");
        second.StartedBy.Should().Be("user_2abcUnknown");
        StandIns.State.RequestsTo("GET", "/api/users/user_2abcUnknown").Should().ContainSingle("a 404 is not retried, and is remembered briefly");
    }
}
