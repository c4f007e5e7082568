using System.ComponentModel.DataAnnotations;

namespace Scheduler.Service.Data;

/// <summary>Database settings, from <c>Database</c>; the connection string is <c>ConnectionStrings:Scheduler</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";
    public const string ConnectionStringName = "Scheduler";

    /// <summary>Apply pending migrations when the service starts (under the migration advisory lock).</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// How long a migration statement waits for a lock before giving up (PostgreSQL <c>lock_timeout</c>). Short, so
    /// that a migration queued behind a long transaction does not hold up the live traffic queued behind it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MigrationLockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts per migration (or per statement of a no-transaction migration) when the lock wait times out.</summary>
    [Range(1, 100)]
    public int MigrationAttempts { get; set; } = 6;

    /// <summary>The wait before the second attempt; doubled for each one after, up to a minute.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan MigrationRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Connections for API requests and live updates. Unset: the connection string's <c>Maximum Pool Size</c> if it
    /// names one, else <see cref="ConnectionPools.DefaultApiPoolSize"/>.
    /// </summary>
    [Range(1, 1000)]
    public int? MaxPoolSize { get; set; }

    /// <summary>
    /// Connections for Quartz (check-ins, acquisition, firing), run leases and outcomes, heartbeats, supervision and
    /// readiness, apart from API traffic. Never taken from the connection string.
    /// </summary>
    // Quartz's acquisition, its check-in and a completing job each need a connection at the same moment.
    [Range(3, 1000)]
    public int BackgroundPoolSize { get; set; } = ConnectionPools.DefaultBackgroundPoolSize;
}
