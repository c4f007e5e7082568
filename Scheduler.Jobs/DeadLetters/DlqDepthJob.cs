using Quartz;
using Scheduler.Contracts;
using Scheduler.Contracts.Downstream;
using Scheduler.Jobs.Clients;

namespace Scheduler.Jobs.DeadLetters;

/// <summary>
/// <c>dlq_depth</c>: asks the core API how many dead letters it holds of each kind (one item, the totals) and records
/// them in the run's result, <c>details.depth</c>. The sample lives in the history, so every node, and a node that
/// restarts, reads the same latest sample (<see cref="DlqDepthStore"/>) rather than a gauge only the sampling node had.
/// </summary>
public sealed class DlqDepthJob(CoreApiClient core) : IJob
{
    /// <summary>The result's key for the totals by kind.</summary>
    public const string DepthKey = "depth";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var listing = await core.ListDeadLettersAsync(DeadLetterKinds.All, 1, cancellationToken);
        var depth = DeadLetterKinds.Each.ToDictionary(kind => kind, kind => listing.Totals.GetValueOrDefault(kind), StringComparer.Ordinal);
        context.Result = new JobResult
        {
            Success = true,
            Details = new Dictionary<string, object?>
            {
                [DepthKey] = depth,
                ["total"] = depth.Values.Sum(),
                ["note"] = "a sample of the dead-letter depth; nothing is replayed",
            },
        };
    }
}
