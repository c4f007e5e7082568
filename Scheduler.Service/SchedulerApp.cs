using Scheduler.Jobs;
using Scheduler.Jobs.Notifications;
using Scheduler.Jobs.Statistics;
using Scheduler.Service.Auth;
using Scheduler.Service.Api;
using Scheduler.Service.Dashboard;
using Scheduler.Service.Data;
using Scheduler.Service.Events;
using Scheduler.Service.Health;
using Scheduler.Service.Hosting;
using Scheduler.Service.Scheduling;

namespace Scheduler.Service;

/// <summary>The service, assembled. Read top to bottom, this is its table of contents.</summary>
public static class SchedulerApp
{
    /// <param name="args">Command-line arguments.</param>
    /// <param name="configure">Last word on configuration (tests and tools add their settings here).</param>
    public static WebApplication Create(string[] args, Action<ConfigurationManager>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddSeedEnvironmentNames();
        configure?.Invoke(builder.Configuration);

        builder.AddServiceDefaults();
        builder.AddTelemetry();
        builder.AddBrowserCors();
        builder.AddApiAuth();
        builder.AddSchedulerStore();
        builder.Services.AddJobs(builder.Configuration);
        builder.Services.AddNotifications(builder.Configuration);
        builder.Services.AddStatistics(builder.Configuration);
        builder.AddOutboundTokens();
        builder.AddScheduling();
        builder.AddEventsApi();
        builder.AddHealth();
        builder.AddApiReference();
        builder.AddDashboard();

        var app = builder.Build();
        app.UseServiceDefaults();
        app.UseBrowserCors();
        app.UseApiAuth();
        app.MapHealthEndpoints();
        app.MapMetrics();
        app.MapJobsApi();
        app.MapEventsApi();
        app.MapSchedulesApi();
        app.MapHttpCallTypesApi();
        app.MapAuditApi();
        app.MapNotificationsApi();
        app.MapDeadLettersApi();
        app.MapDashboard();
        app.MapApiReference();
        return app;
    }
}
