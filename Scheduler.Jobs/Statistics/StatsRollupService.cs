using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Statistics;

/// <summary>
/// Rolls each hour up once it has been over for <see cref="StatsOptions.RollupDelay"/>, on whichever node gets there
/// first. Between hours it does not touch the database: it remembers the watermark it last saw, so an idle node costs
/// about one statement an hour.
/// </summary>
internal sealed partial class StatsRollupService(
    [FromKeyedServices(SchedulerDataSources.Background)] StatsRollup rollup,
    TimeProvider time,
    IOptions<StatsOptions> options,
    ILogger<StatsRollupService> logger) : BackgroundService
{
    private DateTimeOffset? _rolledUntil;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.RollupInterval, time);
        do
        {
            var until = StatsRange.Floor(time.GetUtcNow() - settings.RollupDelay, StatsBucketUnit.Hour);
            if (_rolledUntil >= until)
            {
                continue;
            }

            try
            {
                var rolled = await rollup.RollUpAsync(until, settings.RollupChunk, stoppingToken);
                // Another node held the watermark: it is rolling these hours; look again at the next tick.
                _rolledUntil = rolled;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRollupFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Rolling up statistics failed; trying again at the next check")]
    private partial void LogRollupFailed(Exception exception);
}
