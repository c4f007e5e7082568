using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Microsoft.Extensions.Options;
using Quartz;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.Telemetry;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Service.Health;

public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag])
            .AddCheck<SchedulerHealthCheck>("scheduler", tags: [ReadyTag])
            .AddCheck<JobsHeartbeatHealthCheck>("jobs", tags: [ReadyTag])
            .AddCheck<SchedulesHealthCheck>("schedules", tags: [ReadyTag]);
        CachedHealthChecks.Decorate(builder.Services);
        builder.Services.AddHostedService<HeartbeatService>();
        return builder;
    }

    /// <summary><c>/health</c> (liveness, never touches the database) and <c>/readyz</c> (readiness).</summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (TimeProvider time) => TypedResults.Ok(new
        {
            status = "healthy",
            service = "scheduler-service",
            timestamp = time.GetUtcNow(),
        })).WithName("Liveness").WithSummary("Liveness: the process is up. Never touches the database.");

        var readiness = new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReadiness,
        };
        app.MapHealthChecks("/readyz", readiness);
        app.MapHealthChecks("/health/ready", readiness);
        return app;
    }

    private static Task WriteReadiness(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status == HealthStatus.Unhealthy ? "not_ready" : "ready",
            service = "scheduler-service",
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status switch { HealthStatus.Unhealthy => "fail", HealthStatus.Degraded => "degraded", _ => "ok" },
                detail = e.Value.Data.Count > 0 ? e.Value.Data : (object?)e.Value.Description,
            }),
        }, JsonSerializerOptions.Web));
    }

    /// <summary>Through the background pool: a storm of API requests does not fail readiness, and probes cannot starve the API.</summary>
    private sealed class DatabaseHealthCheck([FromKeyedServices(SchedulerDataSources.Background)] NpgsqlDataSource dataSource) : IHealthCheck
    {
        private const string PingSql = "SELECT 1";

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                await dataSource.ExecuteScalarAsync<int>(PingSql, null, timeout.Token);
                return HealthCheckResult.Healthy("reachable");
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("unreachable");
            }
        }
    }

    /// <summary>
    /// The runbooks' <c>jobs</c> check: this node's heartbeat as the database has it, with <c>age_seconds</c>,
    /// <c>runner_id</c> and <c>threshold</c>. Stale fails readiness only where <c>JOBS_ENABLED</c> or
    /// <c>JOB_HEARTBEAT_REQUIRED</c> says jobs must run.
    /// </summary>
    private sealed class JobsHeartbeatHealthCheck(
        [FromKeyedServices(SchedulerDataSources.Background)] JobTypeHealthStore heartbeats, JobHealthSnapshot snapshot, RunnerIdentity runner, TimeProvider time, IOptions<HeartbeatOptions> options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var settings = options.Value;
            var now = time.GetUtcNow();
            DateTimeOffset? last;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                last = await heartbeats.LastBeatAsync(runner.Id, timeout.Token);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                // The database check reports the outage; the age is what this node last managed to write.
                last = snapshot.LastHeartbeat;
            }

            var age = now - (last ?? snapshot.StartedAt);
            // A node that has not beaten yet is as old as its uptime: fresh at start-up, stale if it never beats.
            var stale = age > settings.Ttl;
            var data = new Dictionary<string, object>
            {
                ["age_seconds"] = Math.Round(Math.Max(0, age.TotalSeconds), 1),
                ["runner_id"] = runner.Id,
                ["threshold"] = settings.TtlSeconds,
                ["required"] = settings.Enforced,
                ["last_heartbeat"] = last?.ToString("o", System.Globalization.CultureInfo.InvariantCulture) ?? "never",
            };
            return !stale ? HealthCheckResult.Healthy("fresh", data)
                : settings.Enforced ? HealthCheckResult.Unhealthy("stale", data: data)
                : HealthCheckResult.Healthy("stale, not required (JOBS_ENABLED and JOB_HEARTBEAT_REQUIRED are off)", data);
        }
    }

    /// <summary>
    /// Schedules this node cannot apply (never fire again, unknown zone), worked out from what is stored, so every node
    /// reports the same. Degraded, never unhealthy: taking nodes out of service would not repair a schedule, and the
    /// other types still run. <c>detail.invalid</c> maps each such type to why.
    /// </summary>
    private sealed class SchedulesHealthCheck(ScheduleManager schedules) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            IReadOnlyList<EffectiveSchedule> effective;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                effective = await schedules.EffectiveAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                // The database check reports the outage.
                return HealthCheckResult.Healthy("unknown: the stored schedules could not be read");
            }

            var invalid = effective.Where(s => s.Problem is not null).ToDictionary(s => s.Definition.Name, s => s.Problem!.Reason, StringComparer.Ordinal);
            var data = new Dictionary<string, object>
            {
                ["scheduled"] = effective.Count(s => s.Runs && s.Problem is null),
                ["invalid"] = invalid,
            };
            return invalid.Count == 0
                ? HealthCheckResult.Healthy("every schedule is valid", data)
                : HealthCheckResult.Degraded($"{invalid.Count} invalid schedule(s) not applied: {string.Join(", ", invalid.Keys)}", data: data);
        }
    }

    private sealed class SchedulerHealthCheck(ISchedulerFactory schedulers) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var scheduler = await schedulers.GetScheduler(cancellationToken);
            var status = await scheduler.GetStatus(cancellationToken);
            var started = status == SchedulerStatus.Running;
            var data = new Dictionary<string, object>
            {
                ["started"] = started,
                ["state"] = status.ToString(),
                ["instance_id"] = await scheduler.GetSchedulerInstanceId(cancellationToken),
            };
            if (!started)
            {
                return HealthCheckResult.Unhealthy("not started", data: data);
            }

            // The cluster's view of this node: a node whose check-ins the others see as failed has had its work taken over.
            var self = (await scheduler.QueryClusterNodes(cancellationToken)).FirstOrDefault(n => n.IsCurrentNode);
            if (self is not null)
            {
                data["cluster_state"] = self.State.ToString();
                data["last_checkin"] = self.LastCheckInUtc?.ToString("o", System.Globalization.CultureInfo.InvariantCulture) ?? "none";
            }

            return self is { State: ClusterNodeState.Failed }
                ? HealthCheckResult.Unhealthy("check-ins overdue: the cluster treats this node as failed", data: data)
                : HealthCheckResult.Healthy("started", data);
        }
    }
}
