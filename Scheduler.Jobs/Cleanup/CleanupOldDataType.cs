using Scheduler.Contracts;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;

namespace Scheduler.Jobs.Cleanup;

/// <summary><c>cleanup_old_data</c> as the catalog lists it; settings in <see cref="CleanupOptions"/>.</summary>
public static class CleanupOldDataType
{
    public static JobParameter<CleanupOptions> InteractionRetentionDays { get; } =
        new("interactionRetentionDays", "User interactions older than this many days are deleted.", o => o.InteractionRetentionDays)
        {
            Floor = (CleanupOptions.RetentionFloorDays, CleanupOptions.AllowShortRetentionKey),
        };

    public static JobParameter<CleanupOptions> ExecutionRetentionDays { get; } =
        new("executionRetentionDays", "Executions finished longer ago than this many days are archived.", o => o.ExecutionRetentionDays)
        {
            Floor = (CleanupOptions.RetentionFloorDays, CleanupOptions.AllowShortRetentionKey),
        };

    public static WorkflowType Definition { get; } = new WorkflowType<CleanupOldDataJob, CleanupOptions>
    {
        Name = JobTypes.CleanupOldData,
        Description = "Deletes old user interactions, archives old executions, refreshes view counts and trending scores.",
        Cron = "0 0 2 * * ?",
        Timeout = TimeSpan.FromHours(1),
        Services = [ServiceNames.User, ServiceNames.Discovery],
        Parameters = [InteractionRetentionDays, ExecutionRetentionDays],
    };
}
