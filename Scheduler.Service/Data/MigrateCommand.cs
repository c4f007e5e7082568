using Microsoft.Extensions.Options;
using Scheduler.Jobs.Configuration;
using Scheduler.Service.Hosting;

namespace Scheduler.Service.Data;

/// <summary><c>dotnet Scheduler.Service.dll migrate</c>: applies pending migrations and exits (0 on success).</summary>
internal static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationManager();
        configuration.AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args);
        configuration.AddSeedEnvironmentNames();

        var connectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await Console.Error.WriteLineAsync($"migrate: ConnectionStrings__{DatabaseOptions.ConnectionStringName} is not set.");
            return 2;
        }

        DatabaseOptions options;
        ConnectionPools pools;
        try
        {
            options = ValidatedOptions.Bind<DatabaseOptions>(configuration.GetSection(DatabaseOptions.Section), DatabaseOptions.Section);
            pools = ConnectionPools.From(connectionString, options);
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"migrate: {ex.Message}");
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
        // The migration holds one connection (under the advisory lock) and opens no other.
        await using var dataSource = pools.CreateApi();
        var migrator = new DatabaseMigrator(dataSource, loggerFactory.CreateLogger<DatabaseMigrator>(), options);
        try
        {
            var applied = await migrator.ApplyAsync(CancellationToken.None);
            Console.WriteLine(applied.Count == 0
                ? "migrate: database is up to date"
                : $"migrate: applied {string.Join(", ", applied)}");
            return 0;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"migrate: failed: {ex.Message}");
            return 1;
        }
    }
}
