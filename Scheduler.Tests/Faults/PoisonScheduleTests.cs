using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Faults;

/// <summary>
/// A stored schedule no node can apply (an override written by an older version, or by hand with psql, that never
/// fires again or names an unknown zone), on real service processes: a node still starts, every node reports the
/// schedule invalid (API, <c>/readyz</c> detail, <c>scheduler_schedule_invalid</c>), and a valid change repairs it.
/// </summary>
public sealed class PoisonScheduleTests
{
    private const string PastYearsCron = "0 0 9 1 1 ? 2020";
    private const string UnknownZone = "Mars/Olympus_Mons";

    private static readonly Dictionary<string, string?> Settings = new()
    {
        [$"Jobs:{JobTypes.EmailScan}:Scheduled"] = "true",
        [$"Jobs:{JobTypes.WeeklyDigest}:Scheduled"] = "true",
        // A beat every 2 s, so each node's metrics follow the stored schedules quickly.
        ["Heartbeat:TtlSeconds"] = "8",
        ["Scheduler:CheckinInterval"] = "00:00:01",
        ["Scheduler:CheckinMisfireThreshold"] = "00:00:02",
    };

    [SetUp]
    public Task EmptyDatabase() => TestDatabase.ResetAsync();

    [Test]
    public async Task APoisonOverrideInTheDatabase_DoesNotStopANode_EveryNodeReportsIt_AndAValidChangeRepairsIt()
    {
        await using var standIns = await StandInApp.StartAsync();
        await using var nodeA = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Settings);
        await using var connection = await TestDatabase.OpenAsync();
        var emailScanTrigger = await CronTriggerAsync(connection, JobTypes.EmailScan);
        emailScanTrigger.Should().Be("0 0/5 * * * ? UTC");

        // As an older version or an operator with psql would leave them.
        await connection.ExecuteAsync($"""
            INSERT INTO schedule_overrides (job_type, cron, time_zone, enabled, changed_by, changed_at) VALUES
              ('{JobTypes.EmailScan}', '{PastYearsCron}', 'UTC', true, 'psql', now()),
              ('{JobTypes.AdminCleanup}', '0 0 4 * * ?', '{UnknownZone}', true, 'psql', now())
            """);

        // A node starting now reconciles what is stored; it also schedules a type node A does not.
        var settingsB = new Dictionary<string, string?>(Settings) { [$"Jobs:{JobTypes.CleanupOldData}:Scheduled"] = "true" };
        await using var nodeB = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", settingsB);

        (await CronTriggerAsync(connection, JobTypes.EmailScan)).Should().Be(emailScanTrigger, "the trigger it had is kept");
        (await CronTriggerAsync(connection, JobTypes.AdminCleanup)).Should().BeNull("an invalid schedule is not applied");
        (await CronTriggerAsync(connection, JobTypes.CleanupOldData)).Should().Be("0 0 2 * * ? UTC", "the types after the invalid ones are still reconciled");
        var logged = ErrorLines(nodeB.Output);
        logged.Should().Contain(m => m.Contains($"Invalid schedule for {JobTypes.EmailScan}", StringComparison.Ordinal) && m.Contains("never fires again", StringComparison.Ordinal)
            && m.Contains("its existing trigger stays: '0 0/5 * * * ?' in UTC", StringComparison.Ordinal));
        logged.Should().Contain(m => m.Contains($"Invalid schedule for {JobTypes.AdminCleanup}", StringComparison.Ordinal) && m.Contains(UnknownZone, StringComparison.Ordinal)
            && m.Contains("it has no trigger", StringComparison.Ordinal));

        foreach (var node in new[] { nodeA, nodeB })
        {
            using var http = node.CreateClient(TestTokens.Reader);
            var readiness = await http.GetAsync("/readyz");
            readiness.StatusCode.Should().Be(HttpStatusCode.OK, $"{node.RunnerId}: an invalid schedule does not take a node out of service");
            var schedulesCheck = Check(await readiness.Content.ReadAsStringAsync(), "schedules");
            schedulesCheck.GetProperty("status").GetString().Should().Be("degraded");
            var invalid = schedulesCheck.GetProperty("detail").GetProperty("invalid");
            invalid.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo([JobTypes.EmailScan, JobTypes.AdminCleanup], node.RunnerId);
            invalid.GetProperty(JobTypes.EmailScan).GetString().Should().Contain("never fires again");
            invalid.GetProperty(JobTypes.AdminCleanup).GetString().Should().Contain(UnknownZone);

            var schedules = (await http.GetFromJsonAsync<List<ScheduleView>>("/api/schedules"))!.ToDictionary(s => s.JobType);
            schedules[JobTypes.EmailScan].Invalid.Should().BeTrue(node.RunnerId);
            schedules[JobTypes.EmailScan].InvalidReason.Should().Contain("never fires again").And.Contain("2020");
            schedules[JobTypes.EmailScan].NextFireTimes.Should().BeEmpty();
            schedules[JobTypes.AdminCleanup].Invalid.Should().BeTrue(node.RunnerId);
            schedules[JobTypes.AdminCleanup].InvalidReason.Should().Contain(UnknownZone);
            schedules[JobTypes.WeeklyDigest].Invalid.Should().BeFalse();
            schedules[JobTypes.WeeklyDigest].InvalidReason.Should().BeNull();
            schedules[JobTypes.WeeklyDigest].NextFireTimes.Should().HaveCount(5);

            await Eventually.Until(() => InvalidGaugeAsync(node), gauge =>
                gauge.GetValueOrDefault(JobTypes.EmailScan) == 1 && gauge.GetValueOrDefault(JobTypes.AdminCleanup) == 1 && gauge.GetValueOrDefault(JobTypes.WeeklyDigest) == 0,
                TimeSpan.FromSeconds(20), $"{node.RunnerId}'s scheduler_schedule_invalid to show both invalid schedules");
        }

        // Repair through one node: a valid change for one, a return to configuration for the other.
        using var admin = nodeA.CreateClient();
        using var change = await admin.PutAsJsonAsync($"/api/schedules/{JobTypes.EmailScan}", new { cron = "0 0/10 * * * ?" });
        using var reset = await admin.DeleteAsync($"/api/schedules/{JobTypes.AdminCleanup}/override");

        change.StatusCode.Should().Be(HttpStatusCode.OK, await change.Content.ReadAsStringAsync());
        reset.StatusCode.Should().Be(HttpStatusCode.OK, await reset.Content.ReadAsStringAsync());
        (await change.Content.ReadFromJsonAsync<ScheduleView>())!.Invalid.Should().BeFalse();
        (await CronTriggerAsync(connection, JobTypes.EmailScan)).Should().Be("0 0/10 * * * ? UTC");
        foreach (var node in new[] { nodeA, nodeB })
        {
            using var http = node.CreateClient(TestTokens.Reader);
            // Readiness is evaluated at most once a second: the repair shows at the next evaluation.
            var ready = await Eventually.Until(() => http.GetStringAsync("/readyz"),
                text => Check(text, "schedules").GetProperty("status").GetString() == "ok", TimeSpan.FromSeconds(5), $"{node.RunnerId} to report the schedules ok");
            Check(ready, "schedules").GetProperty("status").GetString().Should().Be("ok", node.RunnerId);
            (await http.GetFromJsonAsync<List<ScheduleView>>("/api/schedules"))!.Should().OnlyContain(s => !s.Invalid, node.RunnerId);
            await Eventually.Until(() => InvalidGaugeAsync(node), gauge => gauge.Count > 0 && gauge.Values.All(v => v == 0),
                TimeSpan.FromSeconds(20), $"{node.RunnerId}'s scheduler_schedule_invalid to fall back to 0");
        }
    }

    /// <summary>The type's cron trigger as Quartz stores it ("cron zone"), or null when it has none.</summary>
    private static Task<string?> CronTriggerAsync(Npgsql.NpgsqlConnection connection, string jobType) =>
        connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT cron_expression || ' ' || time_zone_id FROM qrtz_cron_triggers WHERE trigger_group = 'cron' AND trigger_name = @jobType", new { jobType });

    private static JsonElement Check(string readiness, string name)
    {
        using var document = JsonDocument.Parse(readiness);
        return document.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name).Clone();
    }

    private static async Task<Dictionary<string, double>> InvalidGaugeAsync(ServiceProcess node)
    {
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        var scrape = await http.GetStringAsync("/metrics");
        return System.Text.RegularExpressions.Regex.Matches(scrape, @"^scheduler_schedule_invalid\{[^}]*job_type=""(?<type>[a-z_]+)""[^}]*\} (?<value>\S+)", System.Text.RegularExpressions.RegexOptions.Multiline)
            .ToDictionary(m => m.Groups["type"].Value, m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The messages the node logged at Error (its console log is one JSON object a line).</summary>
    private static List<string> ErrorLines(string output) =>
    [
        .. output.Split('\n').Where(l => l.TrimStart().StartsWith('{')).Select(l =>
        {
            try
            {
                using var line = JsonDocument.Parse(l);
                return line.RootElement.GetProperty("LogLevel").GetString() == "Error" ? line.RootElement.GetProperty("Message").GetString() : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }).OfType<string>(),
    ];
}
