using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Quartz.Diagnostics;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Service.Hosting;

/// <summary>
/// OpenTelemetry: metrics and traces from ASP.NET Core, HttpClient, the .NET runtime, Npgsql, Quartz and the
/// service's own <c>Scheduler</c> meter and activity source. Prometheus scrapes <c>/metrics</c>; OTLP export
/// starts when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Logs are JSON lines carrying the trace id and, inside
/// a job, the execution id (appsettings: <c>Logging:Console:FormatterName</c>).
/// </summary>
public static class Telemetry
{
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Logging.Configure(logging => logging.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        var runner = RunnerIdentity.From(builder.Configuration);
        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("scheduler-service", serviceInstanceId: runner.Id))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddMeter("System.Runtime")
                .AddNpgsqlInstrumentation()
                .AddMeter(QuartzInstrumentation.MeterName)
                .AddMeter(SchedulerTelemetry.Name)
                // Quartz's job duration is in seconds but comes with millisecond-style default buckets (top: 10 s).
                .AddView(QuartzInstrumentation.Instruments.JobExecutionDuration,
                    new ExplicitBucketHistogramConfiguration { Boundaries = SchedulerTelemetry.DurationBuckets })
                .AddPrometheusExporter())
            .WithTracing(tracing =>
            {
                tracing
                    .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = http => !IsProbe(http.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddSource(QuartzInstrumentation.ActivitySourceName)
                    .AddSource(SchedulerTelemetry.Name);
                if (exporting)
                {
                    // A span per statement (about 30 per run) is worth its cost only where spans go somewhere.
                    tracing.AddNpgsql();
                }
            });

        if (exporting)
        {
            otel.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Prometheus text at <c>/metrics</c>, anonymous like the probes.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics");
}
