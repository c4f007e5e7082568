using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using Scheduler.Jobs.Data;

namespace Scheduler.Service.Data;

/// <summary>
/// The node's connections to PostgreSQL, and all of them: the API pool, the background pool and the one LISTEN
/// connection. Nothing else opens a connection (the start-up migration and schedule reconciliation borrow one from
/// the API pool), so a node never holds more than <see cref="Total"/>, whatever its clients do. Each pool has its own
/// <c>application_name</c>, so <c>pg_stat_activity</c> tells them apart.
/// </summary>
public sealed class ConnectionPools
{
    public const int DefaultApiPoolSize = 30;
    public const int DefaultBackgroundPoolSize = 10;
    public const int ListenConnections = 1;

    public const string ApiApplicationName = "scheduler-service";
    public const string BackgroundApplicationName = "scheduler-service-background";
    public const string ListenApplicationName = "scheduler-service-listen";

    private const string MaxPoolSizeKeyword = "Maximum Pool Size";

    private readonly string _connectionString;

    private ConnectionPools(string connectionString, int apiPoolSize, int backgroundPoolSize)
    {
        _connectionString = connectionString;
        ApiPoolSize = apiPoolSize;
        BackgroundPoolSize = backgroundPoolSize;
    }

    public int ApiPoolSize { get; }

    public int BackgroundPoolSize { get; }

    /// <summary>The most connections this node ever holds.</summary>
    public int Total => ApiPoolSize + BackgroundPoolSize + ListenConnections;

    /// <summary>
    /// The pools' sizes from <paramref name="options"/> and the connection string. A <c>Maximum Pool Size</c> in the
    /// connection string sizes the API pool only (as <c>Database:MaxPoolSize</c> does); set both, they must agree.
    /// </summary>
    public static ConnectionPools From(string connectionString, DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int? fromConnectionString = ExplicitMaxPoolSize(connectionString);
        var failures = new List<string>();
        if (fromConnectionString is { } given && options.MaxPoolSize is { } configured && given != configured)
        {
            failures.Add($"{DatabaseOptions.Section}:{nameof(DatabaseOptions.MaxPoolSize)}: differs from the connection string's {MaxPoolSizeKeyword}; set one of them.");
        }

        var api = options.MaxPoolSize ?? fromConnectionString ?? DefaultApiPoolSize;
        if (api is < 1 or > 1000)
        {
            failures.Add($"ConnectionStrings:{DatabaseOptions.ConnectionStringName}: {MaxPoolSizeKeyword} must be between 1 and 1000.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(DatabaseOptions.Section, typeof(DatabaseOptions), failures);
        }

        return new ConnectionPools(connectionString, api, options.BackgroundPoolSize);
    }

    public NpgsqlDataSource CreateApi() => Create("scheduler", ApiApplicationName, ApiPoolSize);

    public NpgsqlDataSource CreateBackground() => Create(SchedulerDataSources.Background, BackgroundApplicationName, BackgroundPoolSize);

    public NpgsqlDataSource CreateListen() => Create(SchedulerDataSources.Listen, ListenApplicationName, ListenConnections, listen: true);

    private NpgsqlDataSource Create(string name, string applicationName, int size, bool listen = false)
    {
        var csb = new NpgsqlConnectionStringBuilder(_connectionString)
        {
            ApplicationName = applicationName,
            MaxPoolSize = size,
        };
        csb.MinPoolSize = Math.Min(csb.MinPoolSize, size);
        if (!IsExplicit(csb, "No Reset On Close"))
        {
            // The service keeps no session state on pooled connections (advisory locks are released explicitly, the
            // LISTEN connection is never returned), so the DISCARD ALL each return would send is pure cost: it was
            // about 8 statements per execution and most of an idle node's database traffic.
            csb.NoResetOnClose = true;
        }

        if (!IsExplicit(csb, "Max Auto Prepare"))
        {
            // Every statement the service and Quartz send is one of a fixed set: prepared once per connection, each
            // later use skips parsing and planning.
            csb.MaxAutoPrepare = 64;
        }

        if (listen && !IsExplicit(csb, "Keepalive"))
        {
            // The LISTEN connection only waits; a keepalive query every 30 s notices a connection that died silently.
            csb.KeepAlive = 30;
        }

        // Named, so the pool's metrics are labelled with the pool rather than with the connection string.
        return new NpgsqlDataSourceBuilder(csb.ConnectionString) { Name = name }.Build();
    }

    private static int? ExplicitMaxPoolSize(string connectionString)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        return IsExplicit(csb, MaxPoolSizeKeyword) ? csb.MaxPoolSize : null;
    }

    /// <summary>
    /// Whether the connection string itself sets <paramref name="keyword"/>. Npgsql's own <c>ContainsKey</c> answers
    /// true for every keyword it knows, set or not; its normalised string names only what was given.
    /// </summary>
    private static bool IsExplicit(NpgsqlConnectionStringBuilder csb, string keyword) =>
        new DbConnectionStringBuilder { ConnectionString = csb.ConnectionString }.ContainsKey(keyword);
}
