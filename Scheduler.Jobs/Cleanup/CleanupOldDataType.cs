using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;

namespace Scheduler.Jobs.Cleanup;

/// <summary><c>cleanup_old_data</c> as the catalog lists it; settings in <see cref="CleanupOptions"/>.</summary>
public static class CleanupOldDataType
{
    /// <summary>The steps of a run, in the order they run.</summary>
    public static class Steps
    {
        public const string Interactions = "interactions";
        public const string Archive = "archive";
        public const string ArchivePurge = "archivePurge";
        public const string ExecutionLogs = "executionLogs";
        public const string AuditLog = "auditLog";
        public const string Events = "events";
        public const string DigestDeliveries = "digestDeliveries";
        public const string NotificationDeliveries = "notificationDeliveries";
        public const string ViewCounts = "viewCounts";
        public const string Trending = "trending";

        public static IReadOnlyList<string> All { get; } =
            [Interactions, Archive, ArchivePurge, ExecutionLogs, AuditLog, Events, DigestDeliveries, NotificationDeliveries, ViewCounts, Trending];
    }

    private static readonly (int, string) HistoryFloor = (CleanupOptions.RetentionFloorDays, CleanupOptions.AllowShortRetentionKey);

    public static JobParameter<CleanupOptions> RunSteps { get; } = new(
        "steps", "The steps to run, in their usual order; every step when not given.", Steps.All);

    public static JobParameter<CleanupOptions> InteractionRetentionDays { get; } =
        new("interactionRetentionDays", "User interactions older than this many days are deleted.", o => o.InteractionRetentionDays) { Floor = HistoryFloor };

    public static JobParameter<CleanupOptions> ExecutionRetentionDays { get; } =
        new("executionRetentionDays", "Executions finished longer ago than this many days are archived (failed ones: failedExecutionRetentionDays).", o => o.ExecutionRetentionDays) { Floor = HistoryFloor };

    public static JobParameter<CleanupOptions> FailedExecutionRetentionDays { get; } =
        new("failedExecutionRetentionDays", "Failed executions finished longer ago than this many days are archived.", o => o.FailedExecutionRetentionDays) { Floor = HistoryFloor };

    public static JobParameter<CleanupOptions> ArchiveRetentionDays { get; } =
        new("archiveRetentionDays", "Archived executions (other than failed) finished longer ago than this many days are deleted.", o => o.ArchiveRetentionDays) { Floor = HistoryFloor };

    public static JobParameter<CleanupOptions> FailedArchiveRetentionDays { get; } =
        new("failedArchiveRetentionDays", "Archived failed executions finished longer ago than this many days are deleted.", o => o.FailedArchiveRetentionDays) { Floor = HistoryFloor };

    public static JobParameter<CleanupOptions> ExecutionLogRetentionDays { get; } =
        new("executionLogRetentionDays", "Execution log lines older than this many days are deleted.", o => o.ExecutionLogRetentionDays) { Floor = HistoryFloor };

    public static JobParameter<CleanupOptions> AuditRetentionDays { get; } =
        new("auditRetentionDays", "Audit entries older than this many days are deleted.", o => o.AuditRetentionDays) { Floor = HistoryFloor };

    public static JobParameter<CleanupOptions> EventRetentionDays { get; } =
        new("eventRetentionDays", "Live events older than this many days are deleted.", o => o.EventRetentionDays);

    public static JobParameter<CleanupOptions> DigestDeliveryRetentionDays { get; } =
        new("digestDeliveryRetentionDays", "Records of digests sent longer ago than this many days are deleted.", o => o.DigestDeliveryRetentionDays);

    public static JobParameter<CleanupOptions> NotificationDeliveryRetentionDays { get; } =
        new("notificationDeliveryRetentionDays", "Delivered or given-up notifications older than this many days are deleted.", o => o.NotificationDeliveryRetentionDays) { Floor = HistoryFloor };

    /// <summary>The windows a run may be given, each checked against the floor when it has one.</summary>
    public static IReadOnlyList<JobParameter<CleanupOptions>> Windows { get; } =
    [
        InteractionRetentionDays, ExecutionRetentionDays, FailedExecutionRetentionDays, ArchiveRetentionDays, FailedArchiveRetentionDays,
        ExecutionLogRetentionDays, AuditRetentionDays, EventRetentionDays, DigestDeliveryRetentionDays, NotificationDeliveryRetentionDays,
    ];

    public static WorkflowType Definition { get; } = new WorkflowType<CleanupOldDataJob, CleanupOptions>
    {
        Name = JobTypes.CleanupOldData,
        Description = "Deletes old user interactions, archives old executions, deletes history past its retention (archive, logs, audit, events, deliveries), refreshes view counts and trending scores.",
        Cron = "0 0 2 * * ?",
        Timeout = TimeSpan.FromHours(1),
        Services = [ServiceNames.User, ServiceNames.Discovery],
        Parameters = [RunSteps, .. Windows],
    };
}
