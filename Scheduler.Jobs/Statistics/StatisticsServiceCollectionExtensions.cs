using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Scheduler.Jobs.Configuration;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Statistics;

public static class StatisticsServiceCollectionExtensions
{
    /// <summary>Statistics: <c>Stats</c> validated, the reads (API pool), the rollup (background pool) and the node's rollup loop.</summary>
    public static IServiceCollection AddStatistics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<StatsOptions>(configuration, StatsOptions.Section);
        services.AddSingleton<JobStatsStore>();
        services.AddKeyedSingleton(SchedulerDataSources.Background, (sp, key) => new StatsRollup(sp.GetRequiredKeyedService<NpgsqlDataSource>(key)));
        services.AddHostedService<StatsRollupService>();
        return services;
    }
}
