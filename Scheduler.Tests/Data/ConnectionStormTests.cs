using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Dapper;
using FluentAssertions;
using Npgsql;
using Scheduler.Service.Auth;
using Scheduler.Service.Data;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Data;

/// <summary>
/// A crowd of live-view clients that replay from the start and drop, again and again, against a real service
/// process: the node stays within its pools, PostgreSQL keeps accepting others, and the node's own upkeep and API
/// carry on.
/// </summary>
public sealed class ConnectionStormTests
{
    private const int Clients = 500;
    private static readonly TimeSpan Storm = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan CheckinInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CheckinMisfireThreshold = TimeSpan.FromSeconds(3);

    /// <summary>The heartbeat interval is a quarter of the TTL: 2 s.</summary>
    private const int HeartbeatTtlSeconds = 8;

    [Test]
    public async Task ReplayingClientsThatDrop_StayWithinThePools_WhileCheckInsHeartbeatsAndTheApiCarryOn()
    {
        // A database of its own, so that pg_stat_activity's datname names this node's connections and no one else's.
        var connectionString = await TestDatabase.CreateEmptyDatabaseAsync("storm");
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var standIns = await StandInApp.StartAsync();
        await using var node = await ServiceProcess.StartAsync(standIns.BaseUrl, "node-storm", new Dictionary<string, string?>
        {
            ["ConnectionStrings:Scheduler"] = connectionString,
            ["Scheduler:CheckinInterval"] = CheckinInterval.ToString(),
            ["Scheduler:CheckinMisfireThreshold"] = CheckinMisfireThreshold.ToString(),
            ["Heartbeat:TtlSeconds"] = HeartbeatTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Refused clients come back every second: the node's cap is tested all storm long.
            ["Events:RetryAfter"] = "00:00:01",
        });
        var allowed = ConnectionPools.DefaultApiPoolSize + ConnectionPools.DefaultBackgroundPoolSize + ConnectionPools.ListenConnections;

        await using (var seed = new NpgsqlConnection(connectionString))
        {
            // 2000 finished runs: 2000 events for every client to replay from the start.
            await seed.ExecuteAsync("""
                INSERT INTO scheduled_jobs (job_type, status, started_at, completed_at, result)
                SELECT 'crawl_pending', 'completed', now(), now(), '{"success":true,"itemsProcessed":1,"errors":[]}'
                  FROM generate_series(1, 2000)
                """);
        }

        // The observer's connection is opened before the storm and is not the node's.
        await using var observer = new NpgsqlConnection(connectionString);
        await observer.OpenAsync();
        using var stop = new CancellationTokenSource(Storm);
        var samples = new List<(TimeSpan At, int Held, long? Checkin, DateTime? Heartbeat)>();
        var clock = Stopwatch.StartNew();
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var row = await observer.QuerySingleAsync<(long Held, long? Checkin, DateTime? Heartbeat)>("""
                    SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = @database AND application_name LIKE 'scheduler-service%'),
                           (SELECT last_checkin_time FROM qrtz_scheduler_state WHERE instance_name = @runner),
                           (SELECT last_heartbeat FROM job_heartbeats WHERE name = 'jobs-runner' AND runner_id = @runner)
                    """, new { database, runner = node.RunnerId });
                samples.Add((clock.Elapsed, (int)row.Held, row.Checkin, row.Heartbeat));
                await Task.Delay(100, CancellationToken.None);
            }
        });

        // Meanwhile another client of the same PostgreSQL connects afresh, and an operator uses the API.
        var refused = new ConcurrentBag<string>();
        var others = Task.Run(async () =>
        {
            var fresh = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "another-service" }.ConnectionString;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var other = new NpgsqlConnection(fresh);
                    await other.OpenAsync();
                    await other.ExecuteScalarAsync<int>("SELECT 1");
                }
                catch (NpgsqlException ex)
                {
                    refused.Add(ex.Message);
                }

                await Task.Delay(250, CancellationToken.None);
            }
        });
        var apiAnswers = new ConcurrentBag<HttpStatusCode>();
        var operating = Task.Run(async () =>
        {
            using var admin = node.CreateClient();
            admin.Timeout = TimeSpan.FromSeconds(15);
            while (!stop.IsCancellationRequested)
            {
                using var answer = await admin.GetAsync("/api/jobs?limit=5", CancellationToken.None);
                apiAnswers.Add(answer.StatusCode);
                await Task.Delay(500, CancellationToken.None);
            }
        });

        // The storm: each client, with a token of its own, replays from the start, reads a little and drops; then comes
        // back within a moment (a reconnect loop), or after Retry-After when refused.
        var streams = new ConcurrentBag<HttpStatusCode>();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.Zero };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(node.BaseUrl), Timeout = Timeout.InfiniteTimeSpan };
        var tokens = Enumerable.Range(0, Clients).Select(i => TestTokens.Mint($"storm-reader-{i}", [Caller.ReaderRole])).ToArray();
        await Task.WhenAll(tokens.Select(token => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs/events");
                request.Headers.Authorization = TestTokens.Bearer(token);
                request.Headers.Add("Last-Event-ID", "0");
                using var drop = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                drop.CancelAfter(TimeSpan.FromMilliseconds(Random.Shared.Next(50, 1500)));
                try
                {
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, drop.Token);
                    streams.Add(response.StatusCode);
                    if (response.IsSuccessStatusCode)
                    {
                        await using var body = await response.Content.ReadAsStreamAsync(drop.Token);
                        var buffer = new byte[16 * 1024];
                        while (await body.ReadAsync(buffer, drop.Token) > 0)
                        {
                        }
                    }
                    else
                    {
                        // Refused: come back when told to, as the dashboard does.
                        await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), stop.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                    // Dropped: the point of the exercise.
                }
                catch (HttpRequestException)
                {
                    // The node closed a stream it could not serve; reconnect.
                }

                await Task.Delay(Random.Shared.Next(50, 300), CancellationToken.None);
            }
        })));
        await Task.WhenAll(sampling, others, operating);

        var peak = samples.Max(s => s.Held);
        var checkinGaps = Gaps(samples.Where(s => s.Checkin is not null).Select(s => (s.At, (object)s.Checkin!.Value)));
        var heartbeatGaps = Gaps(samples.Where(s => s.Heartbeat is not null).Select(s => (s.At, (object)s.Heartbeat!.Value)));
        await TestContext.Out.WriteLineAsync(
            $"storm: {streams.Count} streams opened ({streams.Count(s => s == HttpStatusCode.OK)} served, {streams.Count(s => s == HttpStatusCode.ServiceUnavailable)} refused 503); " +
            $"peak connections held {peak} of {allowed} allowed; longest check-in gap {checkinGaps.Max().TotalSeconds:0.0} s; " +
            $"longest heartbeat gap {heartbeatGaps.Max().TotalSeconds:0.0} s; {refused.Count} other clients refused; API answers {string.Join(", ", apiAnswers.GroupBy(a => a).Select(g => $"{(int)g.Key}×{g.Count()}"))}");

        streams.Should().Contain(HttpStatusCode.OK, "the storm reached the node");
        streams.Should().OnlyContain(s => s == HttpStatusCode.OK || s == HttpStatusCode.ServiceUnavailable, "beyond the node's cap, streams are refused with 503");
        peak.Should().BeLessThanOrEqualTo(allowed, "a node holds at most its API pool, its background pool and its LISTEN connection");
        refused.Should().BeEmpty("PostgreSQL keeps accepting other clients");
        apiAnswers.Should().NotBeEmpty().And.OnlyContain(a => a == HttpStatusCode.OK, "the API answers during the storm");
        checkinGaps.Should().NotBeEmpty().And.OnlyContain(g => g < CheckinInterval + CheckinMisfireThreshold,
            "the node checks in before the cluster would take it for failed");
        heartbeatGaps.Should().NotBeEmpty().And.OnlyContain(g => g <= 2 * TimeSpan.FromSeconds(HeartbeatTtlSeconds / 4.0),
            "the heartbeat keeps its interval");
    }

    /// <summary>Between the moments a sampled value was first seen to change.</summary>
    private static List<TimeSpan> Gaps(IEnumerable<(TimeSpan At, object Value)> samples)
    {
        var changes = new List<TimeSpan>();
        object? last = null;
        foreach (var (at, value) in samples)
        {
            if (!value.Equals(last))
            {
                changes.Add(at);
                last = value;
            }
        }

        return [.. changes.Zip(changes.Skip(1), (a, b) => b - a)];
    }
}
