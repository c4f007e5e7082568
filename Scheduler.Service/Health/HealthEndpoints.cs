using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Quartz;

namespace Scheduler.Service.Health;

public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag])
            .AddCheck<SchedulerHealthCheck>("scheduler", tags: [ReadyTag]);
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
                status = e.Value.Status == HealthStatus.Unhealthy ? "fail" : "ok",
                detail = e.Value.Data.Count > 0 ? e.Value.Data : (object?)e.Value.Description,
            }),
        }, JsonSerializerOptions.Web));
    }

    private sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                await using var connection = await dataSource.OpenConnectionAsync(timeout.Token);
                await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: timeout.Token));
                return HealthCheckResult.Healthy("reachable");
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("unreachable");
            }
        }
    }

    private sealed class SchedulerHealthCheck(ISchedulerFactory schedulers) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var scheduler = await schedulers.GetScheduler(cancellationToken);
            var status = scheduler.Status;
            var started = status == SchedulerStatus.Running;
            var data = new Dictionary<string, object>
            {
                ["started"] = started,
                ["state"] = status.ToString(),
                ["instance_id"] = scheduler.SchedulerInstanceId,
            };
            return started
                ? HealthCheckResult.Healthy("started", data)
                : HealthCheckResult.Unhealthy("not started", data: data);
        }
    }
}
