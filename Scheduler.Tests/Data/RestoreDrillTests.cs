using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Execution;
using Scheduler.StandIns;
using Scheduler.Tests.Faults;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Data;

/// <summary>
/// The backup and restore drill of docs/operations.md, with the real tools: state set up through the API, the service
/// stopped, <c>pg_dump -Fc</c> of its database, the database dropped, <c>pg_restore</c> into a new one, the service
/// started on it. Everything comes back; nothing recorded before the dump runs again; the occurrences missed while
/// no node was up follow each schedule's misfire policy.
/// </summary>
public sealed class RestoreDrillTests
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);
    private static readonly string[] FailureOnly = ["failure"];

    [Test]
    public async Task ADumpRestoredIntoANewDatabase_BringsEverythingBack_RunsNothingTwice_AndMissedOccurrencesFollowTheirPolicy()
    {
        await using var standIns = await StandInApp.StartAsync();
        var source = await TestDatabase.CreateEmptyDatabaseAsync("drill");
        var start = WholeSecondsFromNow(6).AddMilliseconds(500);
        Before before;
        DateTime stoppedAt;
        await using (var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-a", Settings(source)))
        {
            before = await SetUpAsync(node, standIns, start);
            await node.StopAsync();
            stoppedAt = DateTime.UtcNow;
        }

        var recorded = await ExecutionsAsync(source);
        var triggers = await FixedTriggersAsync(source, before.ScheduledRunId);
        var lastBeforeStop = recorded.Where(r => r.Schedule is not null).GroupBy(r => r.Schedule!).ToDictionary(g => g.Key, g => g.Max(r => r.ScheduledFor!.Value));
        var dump = Path.Combine(Path.GetTempPath(), $"scheduler-drill-{Guid.NewGuid():N}.dump");
        var restored = await TestDatabase.CreateEmptyDatabaseAsync("restored");
        try
        {
            await RunAsync("pg_dump", source, $"-Fc -f {dump}");
            await DropAsync(source);
            await RunAsync("pg_restore", restored, $"--no-owner --exit-on-error --single-transaction {dump}");
        }
        finally
        {
            File.Delete(dump);
        }

        // Down through at least three occurrences (and the misfire threshold) before the service is back.
        var downFor = (Interval * 3.5) - (DateTime.UtcNow - stoppedAt);
        if (downFor > TimeSpan.Zero)
        {
            await Task.Delay(downFor);
        }

        var backAt = DateTime.UtcNow;
        await using (var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-b", Settings(restored)))
        {
            await Eventually.Until(
                () => CountAsync(restored, "SELECT count(DISTINCT schedule) FROM scheduled_jobs WHERE status = 'completed' AND started_at > @backAt", new { backAt }),
                n => n == 4, TimeSpan.FromSeconds(90), "each frequent schedule running again");
            await Task.Delay(Interval * 2);
            await CheckEverythingCameBackAsync(node, before, restored, triggers);
            await node.StopAsync();
        }

        var after = await ExecutionsAsync(restored);
        TestContext.Out.WriteLine($"stopped at {stoppedAt:O}, back at {backAt:O}");
        foreach (var r in after.Where(r => r.Schedule is not null))
        {
            TestContext.Out.WriteLine($"{r.Schedule} {r.ScheduledFor:O} {r.Status} {r.Error}");
        }

        after.Where(r => r.CreatedAt <= stoppedAt).Should().BeEquivalentTo(recorded, o => o.WithStrictOrdering(),
            "every run recorded before the dump comes back as it was");
        foreach (var (schedule, last) in lastBeforeStop)
        {
            after.Where(r => r.Schedule == schedule && r.ScheduledFor <= last).Select(r => r.Id)
                .Should().Equal(recorded.Where(r => r.Schedule == schedule).Select(r => r.Id), $"no occurrence of {schedule} up to the dump is recorded again");
        }

        after.Where(r => r.Schedule is not null).GroupBy(r => (r.Schedule, r.ScheduledFor)).Should().OnlyContain(g => g.Count() == 1, "an occurrence runs at most once");

        var grid = Enumerable.Range(0, 1000).Select(i => (start + (Interval * i)).UtcDateTime).ToList();
        var missed = grid.Where(t => t > stoppedAt && t < backAt).ToList();
        missed.Should().HaveCountGreaterThanOrEqualTo(3);
        List<Execution> Since(string schedule) => [.. after.Where(r => r.Schedule == schedule && r.ScheduledFor > lastBeforeStop[schedule]).OrderBy(r => r.ScheduledFor)];

        var pulse = Since("pulse");
        pulse.Should().NotBeEmpty().And.OnlyContain(r => r.ScheduledFor!.Value.Second % 2 == 0 && r.ScheduledFor.Value.Millisecond == 0,
            "the cron keeps its grid after the restore");
        pulse.Where(r => r.ScheduledFor < backAt).Should().NotContain(r => r.Status != "skipped", "its policy skips what was missed");
        var resumed = pulse.Where(r => r.ScheduledFor > backAt).Select(r => r.ScheduledFor!.Value).Order().ToList();
        resumed.Should().Equal(Enumerable.Range(0, resumed.Count).Select(i => resumed[0].AddSeconds(2 * i)),
            "after the restore it fires every occurrence of its grid, each once");

        var once = Since("once");
        once.Where(r => r.ScheduledFor < backAt && r.Status == "completed").Should().HaveCount(1, "fire_once runs once for all that were missed");
        once.Count(r => missed.Contains(r.ScheduledFor!.Value)).Should().BeLessThanOrEqualTo(1);

        var skipper = Since("skipper");
        skipper.Where(r => missed.Contains(r.ScheduledFor!.Value)).Should().NotContain(r => r.Status != "skipped" || !r.Error!.Contains("skips missed occurrences"),
            "skip runs none of the missed occurrences");
        skipper.Where(r => r.ScheduledFor > backAt).Should().NotBeEmpty();

        var catcher = Since("catcher");
        catcher.Select(r => r.ScheduledFor!.Value).Should().Equal(grid.Where(t => t > lastBeforeStop["catcher"] && t <= catcher[^1].ScheduledFor),
            "catch_up records every occurrence, missed or not, once");
        var dropped = catcher.Where(r => r.Status == "skipped").ToList();
        dropped.Should().NotBeEmpty().And.OnlyContain(r => r.Error!.Contains("catch-up limit"));
        var caughtUpAt = dropped.Min(r => r.CreatedAt);
        catcher.Where(r => r.Status == "completed" && r.ScheduledFor < caughtUpAt).Should().HaveCount(2,
            "of the occurrences missed, the latest two run (its limit) and the older ones are recorded skipped");
    }

    private static Dictionary<string, string?> Settings(string connectionString) =>
        FaultCluster.Settings(TimeSpan.FromSeconds(20), new Dictionary<string, string?>
        {
            ["ConnectionStrings:Scheduler"] = connectionString,
            ["Schedules:MinimumInterval"] = "00:00:01",
            // A firing this late counts as missed and its schedule's misfire policy applies.
            ["Scheduler:MisfireThreshold"] = "00:00:01",
            ["Jobs:cleanup_old_data:Scheduled"] = "true",
        });

    /// <summary>What the drill sets up through the API before the dump, and what the API answered about it.</summary>
    private sealed record Before(Guid ScheduledRunId, DateTimeOffset ScheduledFor, Guid FailedId, JsonElement Override, JsonElement Paused);

    private static async Task<Before> SetUpAsync(ServiceProcess node, StandInApp standIns, DateTimeOffset start)
    {
        using var http = node.CreateClient();
        await SendAsync(http, HttpMethod.Put, "/api/schedules/cleanup_old_data", new { cron = "0 30 3 * * ?", timeZone = "Europe/Berlin" });
        await SendAsync(http, HttpMethod.Post, "/api/schedules", new { jobType = "admin_cleanup", name = "nightly", cron = "0 15 1 * * ?" });
        await SendAsync(http, HttpMethod.Post, "/api/schedules/admin_cleanup/nightly/pause", new { reason = "restore drill" });
        await SendAsync(http, HttpMethod.Post, "/api/job-types", new { name = "drill_reindex", service = "CoreApi", path = "/v1/admin/search/reindex" });
        await SendAsync(http, HttpMethod.Post, "/api/notifications", new
        {
            jobType = "email_scan", name = "ops", kind = "webhook", url = $"{standIns.BaseUrl}/hooks/ops", events = FailureOnly,
            secret = "a-secret-of-at-least-32-characters!",
        });
        var scheduled = await ReadAsync<TriggerJobResponse>(await SendAsync(http, HttpMethod.Post, "/api/jobs/trigger", new { jobType = "weekly_digest", delay = "PT2H" }));
        standIns.State.SetFault("GET", "/api/discoveries", new Fault(Status: 500));
        var failed = await ReadAsync<TriggerJobResponse>(await SendAsync(http, HttpMethod.Post, "/api/jobs/trigger", new { jobType = "crawl_pending" }));
        await FaultCluster.WaitForAsync(node, failed.Id, e => e.Status == ExecutionStatus.Failed, TimeSpan.FromSeconds(60));
        standIns.State.ClearFault("GET", "/api/discoveries");

        // One type each, so that the one-run-per-type rule plays no part.
        await SendAsync(http, HttpMethod.Post, "/api/schedules", new { jobType = "retention_cleanup", name = "pulse", cron = "0/2 * * * * ?", misfirePolicy = "skip" });
        await SendAsync(http, HttpMethod.Post, "/api/schedules", new { jobType = "email_scan", name = "once", interval = "PT3S", startAt = start, misfirePolicy = "fire_once" });
        await SendAsync(http, HttpMethod.Post, "/api/schedules", new { jobType = "export_dlq_replay", name = "skipper", interval = "PT3S", startAt = start, misfirePolicy = "skip" });
        await SendAsync(http, HttpMethod.Post, "/api/schedules", new { jobType = "outbox_dlq_replay", name = "catcher", interval = "PT3S", startAt = start, misfirePolicy = "catch_up", catchUpLimit = 2 });
        var connection = node.Client;
        await Eventually.Until(
            async () => (await connection.GetFromJsonAsync<JobExecutionPage>("/api/jobs?status=completed&limit=100"))!.Jobs.Select(j => j.Schedule).Distinct().Count(s => s is not null),
            n => n == 4, TimeSpan.FromSeconds(90), "a completed run of each frequent schedule");
        return new Before(scheduled.Id, scheduled.ScheduledFor!.Value, failed.Id,
            await ReadAsync<JsonElement>(await http.GetAsync("/api/schedules/cleanup_old_data")),
            await ReadAsync<JsonElement>(await http.GetAsync("/api/schedules/admin_cleanup/nightly")));
    }

    private static async Task CheckEverythingCameBackAsync(ServiceProcess node, Before before, string restored, IReadOnlyList<QuartzTrigger> triggers)
    {
        using var http = node.CreateClient(TestTokens.Reader);
        var overridden = await ReadAsync<JsonElement>(await http.GetAsync("/api/schedules/cleanup_old_data"));
        overridden.GetProperty("cron").GetString().Should().Be("0 30 3 * * ?");
        overridden.GetProperty("timeZone").GetString().Should().Be("Europe/Berlin");
        overridden.GetProperty("source").GetString().Should().Be(before.Override.GetProperty("source").GetString());
        overridden.GetProperty("override").GetProperty("changedBy").GetString().Should().Be(before.Override.GetProperty("override").GetProperty("changedBy").GetString());
        overridden.GetProperty("nextFireTimes")[0].GetProperty("utc").GetDateTimeOffset().Should().Be(before.Override.GetProperty("nextFireTimes")[0].GetProperty("utc").GetDateTimeOffset());

        var paused = await ReadAsync<JsonElement>(await http.GetAsync("/api/schedules/admin_cleanup/nightly"));
        paused.GetProperty("paused").GetBoolean().Should().BeTrue();
        paused.GetProperty("pause").GetProperty("reason").GetString().Should().Be("restore drill");
        paused.GetProperty("cron").GetString().Should().Be(before.Paused.GetProperty("cron").GetString());

        var type = await ReadAsync<JsonElement>(await http.GetAsync("/api/job-types/drill_reindex"));
        type.GetProperty("enabled").GetBoolean().Should().BeTrue();
        var subscriptions = await ReadAsync<JsonElement>(await http.GetAsync("/api/notifications?jobType=email_scan"));
        subscriptions.EnumerateArray().Select(s => s.GetProperty("name").GetString()).Should().Contain("ops");

        var failed = await ReadAsync<JobExecution>(await http.GetAsync($"/api/jobs/{before.FailedId}"));
        failed.Status.Should().Be(ExecutionStatus.Failed);
        var later = await ReadAsync<JobExecution>(await http.GetAsync($"/api/jobs/{before.ScheduledRunId}"));
        later.Status.Should().Be(ExecutionStatus.Scheduled);
        later.ScheduledFor.Should().Be(before.ScheduledFor);

        (await FixedTriggersAsync(restored, before.ScheduledRunId)).Should().BeEquivalentTo(triggers,
            "the daily, paused and for-later triggers come back with their next fire times and states");
        triggers.Should().Contain(t => t.Name == ExecutionSubmitter.TriggerKeyOf(before.ScheduledRunId).Name, "the run for later has its trigger");
        triggers.Should().Contain(t => t.State == "PAUSED", "the paused schedule's trigger is paused");
    }

    private sealed record Execution(Guid Id, string JobType, string? Schedule, DateTime? ScheduledFor, string Status, string? Error, DateTime CreatedAt);

    private static async Task<List<Execution>> ExecutionsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return [.. await connection.QueryAsync<Execution>(
            "SELECT id, job_type AS JobType, schedule, scheduled_for AS ScheduledFor, status, error, created_at AS CreatedAt FROM scheduled_jobs ORDER BY created_at, id")];
    }

    private sealed record QuartzTrigger(string Name, string Group, long NextFireTime, string State);

    /// <summary>The triggers that fire rarely (daily, paused, the run two hours ahead): their next fire times do not move across the drill.</summary>
    private static async Task<IReadOnlyList<QuartzTrigger>> FixedTriggersAsync(string connectionString, Guid scheduledRunId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return [.. await connection.QueryAsync<QuartzTrigger>("""
            SELECT t.trigger_name AS Name, t.trigger_group AS "Group", t.next_fire_time AS NextFireTime, t.trigger_state AS State
              FROM qrtz_triggers t
             WHERE t.job_name IN ('cleanup_old_data', 'admin_cleanup') OR t.trigger_name = @run
             ORDER BY t.trigger_group, t.trigger_name
            """, new { run = ExecutionSubmitter.TriggerKeyOf(scheduledRunId).Name })];
    }

    private static async Task<long> CountAsync(string connectionString, string sql, object args)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<long>(sql, args);
    }

    /// <summary>Drops the dumped database, as a disaster would: the restore must not need anything of it.</summary>
    private static async Task DropAsync(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var name = builder.Database;
        builder.Database = "postgres";
        builder.Pooling = false;
        await using var admin = new NpgsqlConnection(builder.ConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync($"DROP DATABASE \"{name}\" WITH (FORCE)");
    }

    /// <summary>Runs PostgreSQL's <paramref name="tool"/> as the connection's user over TCP on loopback, bounded.</summary>
    private static async Task RunAsync(string tool, string connectionString, string arguments)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(Path.Combine(PgBin, tool), $"-h {builder.Host} -p {builder.Port} -U {builder.Username} -d {builder.Database} {arguments}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["PGPASSWORD"] = builder.Password;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        process.ExitCode.Should().Be(0, $"{tool} {arguments}: {await stderr}{await stdout}");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, object body)
    {
        var response = await http.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) });
        ((int)response.StatusCode).Should().BeInRange(200, 299, $"{method} {path}: {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        using (response)
        {
            ((int)response.StatusCode).Should().BeInRange(200, 299, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<T>())!;
        }
    }

    private static DateTimeOffset WholeSecondsFromNow(int seconds)
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(seconds);
    }
}
