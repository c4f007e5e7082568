using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Clients;

/// <summary>
/// The outermost handler of every downstream client: a run's call goes out only while this node holds the run's
/// lease. After a stall longer than the lease (a frozen process, a long GC pause, a partition from the database)
/// another node may already be running it, so the call is refused until a renewal shows the lease is still this
/// node's; a lease taken over refuses every further call.
/// </summary>
internal sealed class RunLeaseHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (RunLease.Current is { Held: false } lease)
        {
            throw new RunLeaseLostException(lease);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
