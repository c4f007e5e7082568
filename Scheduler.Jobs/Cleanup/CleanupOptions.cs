using System.ComponentModel.DataAnnotations;

namespace Scheduler.Jobs.Cleanup;

/// <summary>Settings of <c>cleanup_old_data</c>, from <c>Jobs:cleanup_old_data</c>.</summary>
public sealed class CleanupOptions
{
    public const string Section = "Jobs:cleanup_old_data";

    /// <summary>User interactions older than this many days are deleted (the user service does the deleting).</summary>
    [Range(1, 36_500)]
    public int InteractionRetentionDays { get; set; } = 730;

    /// <summary>Executions finished more than this many days ago move to <c>scheduled_jobs_archive</c>.</summary>
    [Range(1, 36_500)]
    public int ExecutionRetentionDays { get; set; } = 90;

    /// <summary>Executions moved per statement (each batch is its own transaction).</summary>
    [Range(1, 100_000)]
    public int ArchiveBatchSize { get; set; } = 1000;
}
