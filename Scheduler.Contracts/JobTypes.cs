namespace Scheduler.Contracts;

/// <summary>
/// The names of the job types the scheduler ships with, as they appear in <c>scheduled_jobs.job_type</c>.
/// More HTTP-call types can be added through configuration alone (<c>Jobs:&lt;name&gt;:Kind = HttpCall</c>).
/// </summary>
public static class JobTypes
{
    /// <summary>Sends pending discoveries to the crawler in batches.</summary>
    public const string CrawlPending = "crawl_pending";

    /// <summary>Mails each active user with the digest enabled their recommendations, once per ISO week.</summary>
    public const string WeeklyDigest = "weekly_digest";

    /// <summary>Deletes old user interactions, archives old executions, refreshes view counts and trending.</summary>
    public const string CleanupOldData = "cleanup_old_data";

    /// <summary>Core API <c>POST /v1/admin/export-dead-letter</c>: replays failed exports.</summary>
    public const string ExportDlqReplay = "export_dlq_replay";

    /// <summary>Core API <c>POST /v1/admin/outbox/dead-letter</c>: drains notification and webhook dead letters.</summary>
    public const string OutboxDlqReplay = "outbox_dlq_replay";

    /// <summary>Core API <c>GET /v1/admin/queue/dlq?kind=all&amp;limit=1</c>: records the dead-letter depth of each kind (<c>scheduler_dlq_depth</c>).</summary>
    public const string DlqDepth = "dlq_depth";

    /// <summary>Core API <c>POST /v1/admin/email-scan</c>: inbound email scan.</summary>
    public const string EmailScan = "email_scan";

    /// <summary>Core API <c>POST /v1/admin/retention/cleanup</c>: applies retention policies.</summary>
    public const string RetentionCleanup = "retention_cleanup";

    /// <summary>Core API <c>POST /v1/admin/cleanup</c>: orphaned data and straggler jobs.</summary>
    public const string AdminCleanup = "admin_cleanup";

    /// <summary>Email service submission notifications (disabled until the owning team confirms the path).</summary>
    public const string SubmissionNotifications = "submission_notifications";

    /// <summary>Email service moderation updates (disabled until the owning team confirms the path).</summary>
    public const string ModerationUpdates = "moderation_updates";

    /// <summary>Discovery service view-count refresh (disabled until the owning team confirms the path).</summary>
    public const string UpdateMetrics = "update_metrics";

    /// <summary>Discovery service trending recalculation (disabled until the owning team confirms the path).</summary>
    public const string RecalculateTrending = "recalculate_trending";
}
