using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using Scheduler.Jobs.Configuration;
using Scheduler.Jobs.Data;

namespace Scheduler.Service.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// The node's connection pools (<see cref="ConnectionPools"/>): the API pool Dapper uses by default, the keyed
    /// background pool Quartz's job store and the node's own upkeep use, and the one LISTEN connection; and the
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

        var options = builder.Services.AddValidatedOptions<DatabaseOptions>(builder.Configuration, DatabaseOptions.Section);
        var pools = ConnectionPools.From(connectionString, options);
        builder.Services.AddSingleton(pools);
        builder.Services.AddSingleton(_ => pools.CreateApi());
        builder.Services.AddSingleton<DbDataSource>(sp => sp.GetRequiredService<NpgsqlDataSource>());
        builder.Services.AddKeyedSingleton(SchedulerDataSources.Background, (_, _) => pools.CreateBackground());
        builder.Services.AddKeyedSingleton<DbDataSource>(SchedulerDataSources.Background,
            (sp, key) => sp.GetRequiredKeyedService<NpgsqlDataSource>(key));
        builder.Services.AddKeyedSingleton(SchedulerDataSources.Listen, (_, _) => pools.CreateListen());
        builder.Services.AddSingleton(sp => new DatabaseMigrator(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ILogger<DatabaseMigrator>>(), options, timeProvider: sp.GetService<TimeProvider>()));

        if (options.MigrateOnStartup)
        {
            builder.Services.AddHostedService<MigrateOnStartup>();
        }

        return builder;
    }

    private sealed class MigrateOnStartup(DatabaseMigrator migrator) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => migrator.ApplyAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
