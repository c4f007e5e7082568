using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Scheduler.Service.Data;

namespace Scheduler.Tests.Infrastructure;

/// <summary>A <see cref="PrivatePostgres"/> as the fault tests start one: its database migrated the way production migrates.</summary>
public static class MigratedPrivatePostgres
{
    extension(PrivatePostgres)
    {
        /// <summary>Starts a new server on a free loopback port and creates and migrates a database on it.</summary>
        public static async Task<PrivatePostgres> StartAsync()
        {
            var server = await PrivatePostgres.StartAsync("scheduler");
            await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
            await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).ApplyAsync(CancellationToken.None);
            return server;
        }
    }
}
