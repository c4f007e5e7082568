using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Notifications;

/// <summary>
/// Notifications against one service and the stand-ins' loopback receivers: what fires on which outcome, what
/// arrives (signed, once per event), retries with the same delivery, and receivers that fail or hang.
/// <c>email_scan</c> has a configured webhook (failure, recovery) and heartbeat; the others get theirs through the API.
/// </summary>
public sealed class NotificationDeliveryTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // Each run's call is made once, so a fault of one request fails one run.
        ["Services:CoreApi:MaxRetries"] = "0",
        ["Notifications:RetryDelay"] = "00:00:00.2",
        ["Notifications:RetryMaxDelay"] = "00:00:00.5",
        ["Notifications:MaxAttempts"] = "5",
        ["Notifications:Timeout"] = "00:00:02",
        ["Jobs:email_scan:Notifications:ops:Kind"] = "webhook",
        ["Jobs:email_scan:Notifications:ops:Url"] = $"{StandIns.BaseUrl}/hooks/ops",
        ["Jobs:email_scan:Notifications:ops:Events"] = "failure, recovery",
        ["Jobs:email_scan:Notifications:ops:Secret"] = Receivers.Secret,
        ["Jobs:email_scan:Notifications:uptime:Kind"] = "heartbeat",
        ["Jobs:email_scan:Notifications:uptime:Url"] = $"{StandIns.BaseUrl}/hooks/uptime",
    };

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task AWebhook_ArrivesOncePerEvent_SignedOverItsBody_CarryingTheExecutionAsTheApiShowsIt()
    {
        var ops = (await Service.Client.GetFromJsonAsync<List<NotificationView>>("/api/notifications?jobType=email_scan"))!.Single(n => n.Name == "ops");
        StandIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(Status: 500, Times: 1));

        var failed = await Service.RunAsync(JobTypes.EmailScan);
        var recovered = await Service.RunAsync(JobTypes.EmailScan);
        var again = await Service.RunAsync(JobTypes.EmailScan);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        recovered.Status.Should().Be(ExecutionStatus.Completed);
        var deliveries = await Receivers.SettledAsync(Service, ops.Id, 2, failed.Id, recovered.Id, again.Id);
        deliveries.Select(d => (d.ExecutionId, d.Event, d.Status)).Should().BeEquivalentTo(
            [(failed.Id, "failure", "delivered"), (recovered.Id, "recovery", "delivered")], "a second success in a row is no recovery");
        var received = Receivers.At(StandIns, "ops");
        received.Should().HaveCount(2, "one call per event");
        foreach (var request in received)
        {
            request.Method.Should().Be("POST");
            request.Headers["X-Scheduler-Signature"].Should().Be(Receivers.ExpectedSignature(request));
            request.Headers.Should().ContainKey("X-Scheduler-Timestamp");
            var payload = Receivers.Payload(request);
            request.Headers["X-Scheduler-Delivery"].Should().Be(payload.DeliveryId.ToString());
            request.Headers["X-Scheduler-Event"].Should().Be(payload.Event);
            payload.NotificationId.Should().Be(ops.Id);
            deliveries.Should().Contain(d => d.Id == payload.DeliveryId && d.ExecutionId == payload.Execution.Id && d.Event == payload.Event);
        }

        var shown = await Service.Client.GetStringAsync($"/api/jobs/{failed.Id}");
        JsonNode.DeepEquals(JsonNode.Parse(shown), JsonNode.Parse(received.Single(r => Receivers.Payload(r).Event == "failure").Body)!["execution"])
            .Should().BeTrue("the body carries the execution as GET /api/jobs/{id} shows it");
    }

    [Test]
    public async Task AHeartbeat_IsPingedOnSuccessOnly()
    {
        StandIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(Status: 500, Times: 1));
        var uptime = (await Service.Client.GetFromJsonAsync<List<NotificationView>>("/api/notifications?jobType=email_scan"))!.Single(n => n.Name == "uptime");

        var failed = await Service.RunAsync(JobTypes.EmailScan);
        var succeeded = await Service.RunAsync(JobTypes.EmailScan);

        var deliveries = await Receivers.SettledAsync(Service, uptime.Id, 1, failed.Id, succeeded.Id);
        deliveries.Should().ContainSingle("a failed run sends no heartbeat")
            .Which.Should().BeEquivalentTo(new { ExecutionId = succeeded.Id, Event = "success", Status = "delivered" });
        var pings = Receivers.At(StandIns, "uptime");
        pings.Should().ContainSingle().Which.Method.Should().Be("GET");
    }

    [Test]
    public async Task AReceiverFailingThreeTimes_GetsTheSameDelivery_SameIdAndBody_OnTheFourthTry()
    {
        var hook = await Receivers.CreateWebhookAsync(Service, StandIns, JobTypes.ExportDlqReplay, "flaky", "completion");
        StandIns.State.SetFault("POST", "/hooks/flaky", new Fault(Status: 503, Times: 3));

        var run = await Service.RunAsync(JobTypes.ExportDlqReplay);

        var delivery = (await Receivers.SettledAsync(Service, hook.Id, 1, run.Id)).Single();
        delivery.Should().BeEquivalentTo(new { ExecutionId = run.Id, Event = "completion", Status = "delivered", Attempts = 4, LastStatusCode = 200 });
        delivery.DeliveredAt.Should().NotBeNull();
        var attempts = Receivers.At(StandIns, "flaky");
        attempts.Should().HaveCount(4);
        attempts.Select(a => a.Body).Distinct().Should().ContainSingle("every attempt carries the same body");
        attempts.Select(a => a.Headers["X-Scheduler-Delivery"]).Should().AllBe(delivery.Id.ToString());
        attempts.Should().OnlyContain(a => a.Headers["X-Scheduler-Signature"] == Receivers.ExpectedSignature(a));
    }

    [Test]
    public async Task AFailingReceiver_NeverFailsTheRun_AndGivesUpAfterItsAttempts_Recorded()
    {
        var hook = await Receivers.CreateWebhookAsync(Service, StandIns, JobTypes.RetentionCleanup, "down", "completion");
        StandIns.State.SetFault("POST", "/hooks/down", new Fault(Status: 500));

        var run = await Service.RunAsync(JobTypes.RetentionCleanup);

        run.Status.Should().Be(ExecutionStatus.Completed);
        var delivery = (await Receivers.SettledAsync(Service, hook.Id, 1, run.Id)).Single();
        delivery.Should().BeEquivalentTo(new { Status = "failed", Attempts = 5, LastStatusCode = 500, LastError = "the receiver answered 500" });
        Receivers.At(StandIns, "down").Should().HaveCount(5);
        (await Service.GetExecutionAsync(run.Id)).Should().BeEquivalentTo(new { run.Status, run.Error, run.CompletedAt, run.UpdatedAt },
            "the receiver's answers change nothing in the run's row");
    }

    [Test]
    public async Task AHangingReceiver_NeverDelaysTheRunsOutcome_AndItsAttemptTimesOut()
    {
        var hook = await Receivers.CreateWebhookAsync(Service, StandIns, JobTypes.AdminCleanup, "hangs", "completion");
        StandIns.State.SetFault("POST", "/hooks/hangs", new Fault(DelayMs: 120_000, Status: 200));

        var run = await Service.RunAsync(JobTypes.AdminCleanup);

        run.Status.Should().Be(ExecutionStatus.Completed);
        var timedOut = await Eventually.Until(() => Receivers.DeliveriesAsync(Service, hook.Id), d => d.Count == 1 && d[0].LastError is not null,
            TimeSpan.FromSeconds(30), "the first attempt to time out");
        timedOut[0].LastError.Should().Be("no answer within 2 s (Notifications:Timeout)");
        timedOut[0].LastStatusCode.Should().BeNull();
        Receivers.At(StandIns, "hangs").Should().NotBeEmpty().And.OnlyContain(r => r.At >= run.CompletedAt,
            "the receiver was called only after the run's outcome was written");
        (await Service.GetExecutionAsync(run.Id)).Should().BeEquivalentTo(new { run.Status, run.Error, run.CompletedAt, run.UpdatedAt });
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM notification_deliveries WHERE execution_id = @id", new { id = run.Id })).Should().Be(1);
    }

    [Test]
    public async Task ATypeWithoutNotifications_QueuesNothing()
    {
        var run = await Service.RunAsync(JobTypes.OutboxDlqReplay);

        run.Status.Should().Be(ExecutionStatus.Completed);
        await using var connection = await TestDatabase.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM notification_deliveries WHERE execution_id = @id", new { id = run.Id })).Should().Be(0);
    }
}
