using System.ComponentModel.DataAnnotations;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Jobs.Cleanup;

/// <summary>Settings of <c>cleanup_old_data</c>, from <c>Jobs:cleanup_old_data</c> (<see cref="CleanupOldDataType"/>).</summary>
public sealed class CleanupOptions : IValidatableObject
{
    private const string Section = $"{JobCatalog.Section}:{JobTypes.CleanupOldData}";

    /// <summary>
    /// The shortest retention, in days, of every window that deletes history (interactions, executions, the archive,
    /// execution logs, the audit log, notification deliveries), unless <see cref="AllowShortRetention"/>: a month, so
    /// that a typo (1 for 100) or a test value carried into production cannot delete nearly all the history in one
    /// night. What the cleanup deletes is not coming back.
    /// </summary>
    public const int RetentionFloorDays = 30;

    /// <summary>
    /// The shortest <see cref="DigestDeliveryRetentionDays"/>: a digest week, and a week more for a late retry,
    /// recovery or backfill of that week's run, which must still find who was mailed.
    /// </summary>
    public const int DigestDeliveryFloorDays = 14;

    /// <summary>The full key of <see cref="AllowShortRetention"/>, as messages name it.</summary>
    public const string AllowShortRetentionKey = $"{Section}:{nameof(AllowShortRetention)}";

    /// <summary>User interactions older than this many days are deleted (the user service does the deleting).</summary>
    [Range(1, 36_500)]
    public int InteractionRetentionDays { get; set; } = 730;

    /// <summary>Executions finished more than this many days ago move to <c>scheduled_jobs_archive</c> (failed ones: <see cref="FailedExecutionRetentionDays"/>).</summary>
    [Range(1, 36_500)]
    public int ExecutionRetentionDays { get; set; } = 90;

    /// <summary>Failed executions stay in <c>scheduled_jobs</c> this long, for investigation and bulk retry, before they are archived.</summary>
    [Range(1, 36_500)]
    public int FailedExecutionRetentionDays { get; set; } = 180;

    /// <summary>Archived executions that finished more than this many days ago are deleted (completed, cancelled and skipped ones).</summary>
    [Range(1, 36_500)]
    public int ArchiveRetentionDays { get; set; } = 365;

    /// <summary>Archived failed executions are deleted this many days after they finished.</summary>
    [Range(1, 36_500)]
    public int FailedArchiveRetentionDays { get; set; } = 730;

    /// <summary>Lines runs logged (<c>execution_logs</c>, of live and archived runs alike) are deleted after this many days.</summary>
    [Range(1, 36_500)]
    public int ExecutionLogRetentionDays { get; set; } = 90;

    /// <summary>Audit entries are deleted after this many days: a year by default, what auditors usually ask for.</summary>
    [Range(1, 36_500)]
    public int AuditRetentionDays { get; set; } = 365;

    /// <summary>
    /// Live events (<c>scheduler_events</c>) older than this many days are deleted. Each node already prunes events
    /// past the live stream's hour of replay; this bounds the table when that pruning has not run.
    /// </summary>
    [Range(1, 36_500)]
    public int EventRetentionDays { get; set; } = 7;

    /// <summary>Records of who received which week's digest are deleted after this many days; at least <see cref="DigestDeliveryFloorDays"/>.</summary>
    [Range(DigestDeliveryFloorDays, 36_500, ErrorMessage = "must be at least 14 days: longer than a digest week, so that a late run of a week still finds who was mailed and mails nobody twice.")]
    public int DigestDeliveryRetentionDays { get; set; } = 90;

    /// <summary>Delivered or given-up notification deliveries are deleted after this many days; pending ones never are.</summary>
    [Range(1, 36_500)]
    public int NotificationDeliveryRetentionDays { get; set; } = 90;

    /// <summary>Executions moved per statement (each batch is its own transaction).</summary>
    [Range(1, 100_000)]
    public int ArchiveBatchSize { get; set; } = 1000;

    /// <summary>Rows deleted per statement by each retention step (each batch is its own transaction).</summary>
    [Range(1, 100_000)]
    public int DeleteBatchSize { get; set; } = 5000;

    /// <summary>Allows retention windows below <see cref="RetentionFloorDays"/> (down to 1 day), in settings and in a manual run's parameters.</summary>
    public bool AllowShortRetention { get; set; }

    /// <summary>The windows that delete history, by setting name, which <see cref="RetentionFloorDays"/> protects.</summary>
    public IEnumerable<(string Setting, int Days)> HistoryWindows() =>
    [
        (nameof(InteractionRetentionDays), InteractionRetentionDays),
        (nameof(ExecutionRetentionDays), ExecutionRetentionDays),
        (nameof(FailedExecutionRetentionDays), FailedExecutionRetentionDays),
        (nameof(ArchiveRetentionDays), ArchiveRetentionDays),
        (nameof(FailedArchiveRetentionDays), FailedArchiveRetentionDays),
        (nameof(ExecutionLogRetentionDays), ExecutionLogRetentionDays),
        (nameof(AuditRetentionDays), AuditRetentionDays),
        (nameof(NotificationDeliveryRetentionDays), NotificationDeliveryRetentionDays),
    ];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, days) in HistoryWindows())
        {
            if (BelowFloor(days))
            {
                yield return new ValidationResult(
                    $"must be at least {RetentionFloorDays} days; set {AllowShortRetentionKey}=true to allow a shorter retention.", [name]);
            }
        }

        if (FailedExecutionRetentionDays < ExecutionRetentionDays)
        {
            yield return new ValidationResult(
                $"must not be shorter than {nameof(ExecutionRetentionDays)} ({ExecutionRetentionDays}): failed runs are kept at least as long as the others.", [nameof(FailedExecutionRetentionDays)]);
        }

        if (FailedArchiveRetentionDays < ArchiveRetentionDays)
        {
            yield return new ValidationResult(
                $"must not be shorter than {nameof(ArchiveRetentionDays)} ({ArchiveRetentionDays}): failed runs are kept at least as long as the others.", [nameof(FailedArchiveRetentionDays)]);
        }
    }

    /// <summary>Whether <paramref name="days"/> is a retention these settings do not allow.</summary>
    public bool BelowFloor(int days) => days < RetentionFloorDays && !AllowShortRetention;
}
