using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Cluster;

/// <summary>Schedules across real processes sharing one store: a change on one node is the cluster's, and start-up reconciles once and keeps overrides.</summary>
public sealed partial class ClusterScheduleTests
{
    private static readonly Dictionary<string, string?> Scheduled = new()
    {
        ["Jobs:weekly_digest:Scheduled"] = "true",
        ["Jobs:cleanup_old_data:Scheduled"] = "true",
    };

    [SetUp]
    public Task EmptyDatabase() => TestDatabase.ResetAsync();

    [Test]
    public async Task TwoNodesStartingTogether_ScheduleEachTypeOnce_KeepTheOverride_AndReportItAsDrift()
    {
        await using (var connection = await TestDatabase.OpenAsync())
        {
            // A run-time change made before this start-up.
            await connection.ExecuteAsync("""
                INSERT INTO schedule_overrides (job_type, cron, time_zone, enabled, changed_by, changed_at)
                VALUES ('weekly_digest', '0 0 10 ? * MON', 'Europe/Berlin', true, 'ops_anna', now())
                """);
        }

        await using var standIns = await StandInApp.StartAsync();
        var startingA = ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Scheduled);
        var startingB = ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", Scheduled);
        await using var nodeA = await startingA;
        await using var nodeB = await startingB;

        await using var db = await TestDatabase.OpenAsync();
        var triggers = (await db.QueryAsync<(string Name, string Cron, string Zone)>(
            "SELECT trigger_name, cron_expression, time_zone_id FROM qrtz_cron_triggers ORDER BY trigger_name")).ToList();
        triggers.Should().BeEquivalentTo([("cleanup_old_data", "0 0 2 * * ?", "UTC"), ("weekly_digest", "0 0 10 ? * MON", "Europe/Berlin")],
            "each type once; the override kept, not overwritten by configuration");
        var scheduledLines = Scheduled_().Matches(nodeA.Output + nodeB.Output).Select(m => m.Groups[1].Value).ToList();
        scheduledLines.Should().BeEquivalentTo(["cleanup_old_data", "weekly_digest"], "the node that reconciled first scheduled each type; the other found nothing to change");
        (nodeA.Output + nodeB.Output).Should().Contain("Schedule drift: weekly_digest");
        using var reader = nodeB.CreateClient(TestTokens.Reader);
        var view = (await reader.GetFromJsonAsync<ScheduleView>("/api/schedules/weekly_digest"))!;
        view.Source.Should().Be("override");
        view.Drift.Should().BeTrue();
        view.Override!.ChangedBy.Should().Be("ops_anna");
    }

    [Test]
    public async Task AChangeOnOneNode_IsWhatTheOtherNodeSees_AndResettingItOnTheOtherWorks()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var nodeA = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Scheduled);
        await using var nodeB = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", Scheduled);
        using var adminA = nodeA.CreateClient();
        using var adminB = nodeB.CreateClient();

        (await adminA.PutAsJsonAsync("/api/schedules/cleanup_old_data", new { cron = "30 3 * * *", timeZone = "Europe/Paris" })).EnsureSuccessStatusCode();
        var seenOnB = (await adminB.GetFromJsonAsync<ScheduleView>("/api/schedules/cleanup_old_data"))!;
        (await adminB.DeleteAsync("/api/schedules/cleanup_old_data/override")).EnsureSuccessStatusCode();
        var seenOnA = (await adminA.GetFromJsonAsync<ScheduleView>("/api/schedules/cleanup_old_data"))!;

        seenOnB.Cron.Should().Be("0 30 3 * * ?");
        seenOnB.TimeZone.Should().Be("Europe/Paris");
        seenOnB.Source.Should().Be("override");
        seenOnB.NextFireTimes[0].Local.Hour.Should().Be(3);
        seenOnA.Source.Should().Be("configuration");
        seenOnA.Cron.Should().Be("0 0 2 * * ?");
    }

    [GeneratedRegex(@"\bScheduled (\w+): ")]
    private static partial Regex Scheduled_();
}
