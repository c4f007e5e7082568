using Microsoft.Extensions.Options;
using Scheduler.Jobs.Execution;

namespace Scheduler.Service.Scheduling;

/// <summary>
/// Renews this node's run leases every <see cref="RecoveryOptions.LeaseRenewalInterval"/>, on the background pool and in a
/// loop of its own, so that neither API traffic nor the supervisor's slower work can make a live node miss a renewal.
/// A lease found taken over is given up at once: its job is interrupted and writes nothing more.
/// </summary>
internal sealed partial class LeaseKeeper(RunLeases leases, TimeProvider time, IOptions<RecoveryOptions> options, ILogger<LeaseKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LeaseRenewalInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await leases.RenewAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRenewFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Lease renewal failed; trying again at the next renewal")]
    private partial void LogRenewFailed(Exception exception);
}
