namespace Scheduler.Service.Data;

/// <summary>Database settings, from <c>Database</c>; the connection string is <c>ConnectionStrings:Scheduler</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";
    public const string ConnectionStringName = "Scheduler";

    /// <summary>Apply pending migrations when the service starts (under the migration advisory lock).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}
