using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;

namespace Scheduler.Jobs.HttpCalls;

/// <summary>The built-in HTTP-call types: one call each, so one row each, run by <see cref="HttpCallJob"/>.</summary>
public static class HttpCallTypes
{
    /// <summary>The built-in HTTP-call types with their defaults (schedules in UTC), before configuration.</summary>
    public static IReadOnlyList<JobDefinition> BuiltIn { get; } =
    [
        HttpCall(JobTypes.ExportDlqReplay, "Replays failed exports (core API export dead letters).",
            "0 0/15 * * * ?", ServiceNames.CoreApi, "/v1/admin/export-dead-letter"),
        HttpCall(JobTypes.OutboxDlqReplay, "Drains notification and webhook dead letters (core API outbox).",
            "0 0/15 * * * ?", ServiceNames.CoreApi, "/v1/admin/outbox/dead-letter"),
        HttpCall(JobTypes.EmailScan, "Scans the inbound mailbox (core API).",
            "0 0/5 * * * ?", ServiceNames.CoreApi, "/v1/admin/email-scan"),
        HttpCall(JobTypes.RetentionCleanup, "Applies data retention policies (core API).",
            "0 0 2 * * ?", ServiceNames.CoreApi, "/v1/admin/retention/cleanup"),
        HttpCall(JobTypes.AdminCleanup, "Cleans up orphaned data and reconciles straggler jobs (core API).",
            "0 0 4 * * ?", ServiceNames.CoreApi, "/v1/admin/cleanup"),
        // The previous generation named these; disabled until their owners confirm the paths.
        HttpCall(JobTypes.SubmissionNotifications, "Sends submission notifications (email service).",
            "0 0/10 * * * ?", ServiceNames.Email, "/api/notifications/submissions", enabled: false),
        HttpCall(JobTypes.ModerationUpdates, "Sends moderation updates (email service).",
            "0 0/10 * * * ?", ServiceNames.Email, "/api/notifications/moderation", enabled: false),
        HttpCall(JobTypes.UpdateMetrics, "Refreshes discovery view counts (discovery service).",
            "0 0 * * * ?", ServiceNames.Discovery, "/api/discoveries/view-counts/refresh", enabled: false),
        HttpCall(JobTypes.RecalculateTrending, "Recalculates trending scores (discovery service).",
            "0 30 * * * ?", ServiceNames.Discovery, "/api/discoveries/trending/recalculate", enabled: false),
    ];

    /// <summary>A type configuration declares (<c>Jobs:&lt;name&gt;:Kind = HttpCall</c>); its call and cron come from there.</summary>
    public static JobDefinition Declared(string name, JobTypeOptions options) => new()
    {
        Name = name,
        Description = $"Calls {options.Method ?? "POST"} {options.Path} on the {options.Service} service.",
        Kind = JobKind.HttpCall,
        JobClass = typeof(HttpCallJob),
        Cron = "",
        Timeout = DefaultTimeout,
        Services = [],
    };

    private static TimeSpan DefaultTimeout => TimeSpan.FromMinutes(10);

    private static JobDefinition HttpCall(string name, string description, string cron, string service, string path, bool enabled = true) => new()
    {
        Name = name,
        Description = description,
        Kind = JobKind.HttpCall,
        JobClass = typeof(HttpCallJob),
        Cron = cron,
        Enabled = enabled,
        Timeout = DefaultTimeout,
        Services = [service],
        // The core API's admin endpoints answer {"processed": n}; others say nothing until their owners do.
        Call = new HttpCallTarget(service, "POST", path, service == ServiceNames.CoreApi ? "processed" : null),
    };
}
