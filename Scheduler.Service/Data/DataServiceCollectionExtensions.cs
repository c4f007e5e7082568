using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using Scheduler.Jobs.Configuration;
using Scheduler.Jobs.Data;

namespace Scheduler.Service.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// The one <see cref="NpgsqlDataSource"/> that Dapper and Quartz's job store share, and the
    /// start-up migration (before Quartz starts, since Quartz validates the schema it finds).
    /// </summary>
    public static WebApplicationBuilder AddSchedulerStore(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new OptionsValidationException(
                $"ConnectionStrings:{DatabaseOptions.ConnectionStringName}", typeof(DatabaseOptions),
                [$"ConnectionStrings:{DatabaseOptions.ConnectionStringName} is required (environment: ConnectionStrings__{DatabaseOptions.ConnectionStringName})."]);
        }

        builder.Services.AddSingleton(_ => CreateDataSource(connectionString));
        builder.Services.AddSingleton<DbDataSource>(sp => sp.GetRequiredService<NpgsqlDataSource>());
        builder.Services.AddKeyedSingleton(SchedulerDataSources.Background, (_, _) => CreateDataSource(connectionString, SchedulerDataSources.Background, DefaultBackgroundPoolSize));
        builder.Services.AddKeyedSingleton<DbDataSource>(SchedulerDataSources.Background,
            (sp, key) => sp.GetRequiredKeyedService<NpgsqlDataSource>(key));
        var options = builder.Services.AddValidatedOptions<DatabaseOptions>(builder.Configuration, DatabaseOptions.Section);
        builder.Services.AddSingleton(sp => new DatabaseMigrator(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ILogger<DatabaseMigrator>>(), options, timeProvider: sp.GetService<TimeProvider>()));
        if (options.MigrateOnStartup)
        {
            builder.Services.AddHostedService<MigrateOnStartup>();
        }

        return builder;
    }

    /// <summary>Connections per node unless the connection string says otherwise.</summary>
    public const int DefaultMaxPoolSize = 30;

    /// <summary>Connections per node for Quartz, run leases, outcomes, heartbeats and supervision.</summary>
    public const int DefaultBackgroundPoolSize = 10;

    internal static NpgsqlDataSource CreateDataSource(string connectionString, string name = "scheduler", int maxPoolSize = DefaultMaxPoolSize)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = "scheduler-service",
        };
        if (!csb.ContainsKey("No Reset On Close"))
        {
            // The service keeps no session state on pooled connections (advisory locks are released explicitly, the
            // LISTEN connection is never returned), so the DISCARD ALL each return would send is pure cost: it was
            // about 8 statements per execution and most of an idle node's database traffic.
            csb.NoResetOnClose = true;
        }

        if (!csb.ContainsKey("Maximum Pool Size"))
        {
            // Npgsql's default of 100 is PostgreSQL's default max_connections: two replicas under a burst
            // of requests would be refused connections. A bounded pool makes a burst wait instead.
            csb.MaxPoolSize = maxPoolSize;
        }

        // Named, so the pool's metrics are labelled "scheduler" rather than with the connection string.
        return new NpgsqlDataSourceBuilder(csb.ConnectionString) { Name = name }.Build();
    }

    private sealed class MigrateOnStartup(DatabaseMigrator migrator) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => migrator.ApplyAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
