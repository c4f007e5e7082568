using System.Text.RegularExpressions;
using Dapper;
using FluentAssertions;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Notifications;

/// <summary>Two real service processes sending one outbox: each delivery is claimed by one node for each attempt, so a receiver gets it once.</summary>
public sealed partial class NotificationClusterTests
{
    private const int Deliveries = 40;

    [Test]
    public async Task TwoNodes_SendingOneOutbox_DeliverEachDeliveryExactlyOnce()
    {
        await TestDatabase.ResetAsync();
        await using var standIns = await StandInApp.StartAsync();
        // A slow receiver keeps claims in flight while the other node reads the outbox.
        standIns.State.SetFault("POST", "/hooks/shared", new Fault(DelayMs: 150, Status: 200));
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:PollInterval"] = "00:00:01",
            ["Notifications:BatchSize"] = "3",
        };
        await using var nodeA = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", settings);
        await using var nodeB = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", settings);

        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("""
            WITH hook AS (
              INSERT INTO notification_subscriptions (job_type, name, kind, url, events, secret, source, created_by, created_at, updated_at)
              VALUES ('email_scan', 'shared', 'webhook', @url, '{completion}', @secret, 'api', 'test', now(), now())
              RETURNING id)
            INSERT INTO notification_deliveries (subscription_id, execution_id, job_type, event, next_attempt_at, payload, created_at)
            SELECT hook.id, gen_random_uuid(), 'email_scan', 'completion', now(), '{"n":' || n || '}', now()
              FROM hook, generate_series(1, @count) AS n
            """, new { url = $"{standIns.BaseUrl}/hooks/shared", secret = Receivers.Secret, count = Deliveries });
        await Eventually.Until(() => connection.ExecuteScalarAsync<long>("SELECT count(*) FROM notification_deliveries WHERE status = 'delivered'"),
            n => n == Deliveries, TimeSpan.FromSeconds(90), $"all {Deliveries} deliveries to be delivered");
        await nodeA.StopAsync();
        await nodeB.StopAsync();

        var received = Receivers.At(standIns, "shared").GroupBy(r => r.Headers["X-Scheduler-Delivery"]).ToList();
        received.Should().HaveCount(Deliveries).And.OnlyContain(g => g.Count() == 1, "no delivery was sent twice");
        (await connection.QueryAsync<int>("SELECT attempts FROM notification_deliveries")).Should().AllBeEquivalentTo(1);
        var byA = DeliveredBy(nodeA.Output);
        var byB = DeliveredBy(nodeB.Output);
        byA.Should().NotBeEmpty("both nodes send; node-a's output:\n" + nodeA.Output);
        byB.Should().NotBeEmpty("both nodes send; node-b's output:\n" + nodeB.Output);
        byA.Intersect(byB).Should().BeEmpty();
        TestContext.Out.WriteLine($"node-a sent {byA.Count}, node-b {byB.Count}");
    }

    private static HashSet<string> DeliveredBy(string output) => [.. Delivered().Matches(output).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"Delivery ([0-9a-f-]{36}) for email_scan \(completion\) delivered")]
    private static partial Regex Delivered();
}
