using System.ComponentModel.DataAnnotations;
using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;

namespace Scheduler.Jobs.Cleanup;

/// <summary>Settings of <c>cleanup_old_data</c>, from <c>Jobs:cleanup_old_data</c> (<see cref="CleanupOldDataType"/>).</summary>
public sealed class CleanupOptions : IValidatableObject
{
    private const string Section = $"{JobCatalog.Section}:{JobTypes.CleanupOldData}";

    /// <summary>
    /// The shortest retention, in days, of interactions and of executions, unless <see cref="AllowShortRetention"/>:
    /// a month, so that a typo (1 for 100) or a test value carried into production cannot delete nearly all the
    /// history in one night. What the cleanup deletes is not coming back.
    /// </summary>
    public const int RetentionFloorDays = 30;

    /// <summary>The full key of <see cref="AllowShortRetention"/>, as messages name it.</summary>
    public const string AllowShortRetentionKey = $"{Section}:{nameof(AllowShortRetention)}";

    /// <summary>User interactions older than this many days are deleted (the user service does the deleting).</summary>
    [Range(1, 36_500)]
    public int InteractionRetentionDays { get; set; } = 730;

    /// <summary>Executions finished more than this many days ago move to <c>scheduled_jobs_archive</c>.</summary>
    [Range(1, 36_500)]
    public int ExecutionRetentionDays { get; set; } = 90;

    /// <summary>Executions moved per statement (each batch is its own transaction).</summary>
    [Range(1, 100_000)]
    public int ArchiveBatchSize { get; set; } = 1000;

    /// <summary>Allows retention windows below <see cref="RetentionFloorDays"/> (down to 1 day), in settings and in a manual run's parameters.</summary>
    public bool AllowShortRetention { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, days) in new[] { (nameof(InteractionRetentionDays), InteractionRetentionDays), (nameof(ExecutionRetentionDays), ExecutionRetentionDays) })
        {
            if (BelowFloor(days))
            {
                yield return new ValidationResult(
                    $"must be at least {RetentionFloorDays} days; set {AllowShortRetentionKey}=true to allow a shorter retention.", [name]);
            }
        }
    }

    /// <summary>Whether <paramref name="days"/> is a retention these settings do not allow.</summary>
    public bool BelowFloor(int days) => days < RetentionFloorDays && !AllowShortRetention;
}
