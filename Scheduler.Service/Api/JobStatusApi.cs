using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.Telemetry;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Service.Api;

/// <summary><c>GET /api/jobs/status</c>: per job type, the runbooks' heartbeat fields, its schedule, what runs now and how long runs take.</summary>
public static class JobStatusApi
{
    /// <summary>How many recent successful runs the typical duration is taken over, and how far back.</summary>
    private const int DurationSamples = 50;
    private static readonly TimeSpan DurationWindow = TimeSpan.FromDays(30);

    public static RouteGroupBuilder MapJobStatus(this RouteGroupBuilder jobs)
    {
        jobs.MapGet("/status", GetStatus)
            .WithName("GetJobStatus")
            .WithSummary("Per job type: last heartbeat, runner, last success, consecutive failures, last error, next fire time, paused, running now with an estimated completion, typical duration, runs scheduled for later; and each node's heartbeat.");
        return jobs;
    }

    public static async Task<Ok<JobStatusReport>> GetStatus([AsParameters] JobStatusServices services, CancellationToken cancellationToken)
    {
        var (catalog, heartbeats, store, manager, time, heartbeat, snapshot) = services;
        var now = time.GetUtcNow();
        var rows = await heartbeats.ListAsync(cancellationToken);
        var byType = rows.Where(r => r.Name != JobTypeHealthStore.RunnerRow).ToDictionary(r => r.Name);
        var running = (await store.RunningAsync(cancellationToken)).ToLookup(r => r.JobType);
        var scheduled = (await store.ScheduledAsync(cancellationToken)).ToDictionary(r => r.JobType);
        var durations = (await store.TypicalDurationsAsync(catalog.Names, now - DurationWindow, DurationSamples, cancellationToken)).ToDictionary(d => d.JobType);
        var triggers = await manager.CronTriggersAsync(cancellationToken);

        var jobs = new List<JobTypeStatus>();
        foreach (var definition in catalog.All)
        {
            var trigger = triggers.GetValueOrDefault(definition.Name);
            var paused = trigger?.State == TriggerState.Paused;
            byType.TryGetValue(definition.Name, out var row);
            var typical = durations.TryGetValue(definition.Name, out var d) ? new TypicalDuration(Math.Round(d.P50, 3), Math.Round(d.P95, 3), d.Samples) : null;
            var current = running[definition.Name].OrderBy(r => r.StartedAt).FirstOrDefault();
            jobs.Add(new JobTypeStatus
            {
                Name = definition.Name,
                Enabled = definition.Enabled,
                LastHeartbeat = row?.LastHeartbeat,
                RunnerId = row?.RunnerId,
                LastSuccessAt = row?.LastSuccessAt,
                ConsecutiveFailures = row?.ConsecutiveFailures ?? 0,
                LastError = row?.LastError,
                LastErrorAt = row?.LastErrorAt,
                NextFireTime = trigger?.NextFireTimeUtc,
                PreviousFireTime = trigger?.PreviousFireTimeUtc,
                Paused = paused,
                Overdue = snapshot.Types.GetValueOrDefault(definition.Name)?.Overdue is not null,
                OverdueReason = snapshot.Types.GetValueOrDefault(definition.Name)?.Overdue,
                Running = current is null ? null : new RunningExecution(
                    current.Id,
                    current.StartedAt,
                    current.RunnerId,
                    typical is null ? null : current.StartedAt.AddSeconds(typical.P50Seconds)),
                TypicalDuration = typical,
                ScheduledRuns = scheduled.TryGetValue(definition.Name, out var later) ? new ScheduledRuns(later.Count, later.Id, later.ScheduledFor) : null,
            });
        }

        var ttl = heartbeat.Value.Ttl;
        var runners = rows.Where(r => r.Name == JobTypeHealthStore.RunnerRow).Select(r =>
        {
            var age = now - r.LastHeartbeat;
            return new RunnerStatus(r.Name, r.RunnerId, r.LastHeartbeat, Math.Round(age.TotalSeconds, 1), age > ttl);
        }).ToList();
        return TypedResults.Ok(new JobStatusReport(jobs, runners, now));
    }

}

/// <summary>What <c>GET /api/jobs/status</c> reads from.</summary>
public sealed record JobStatusServices(
    JobCatalog Catalog,
    JobTypeHealthStore Heartbeats,
    ExecutionHistory Store,
    ScheduleManager Manager,
    TimeProvider Time,
    IOptions<HeartbeatOptions> Heartbeat,
    JobHealthSnapshot Snapshot);
