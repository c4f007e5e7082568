using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Scheduler.Contracts.Api;
using Scheduler.Testing;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>The service's HTTP API as the benchmark drives it.</summary>
internal static class Api
{
    /// <summary>
    /// <c>POST /api/jobs/trigger</c>: the new execution's id with the wall-clock time the request was sent and the
    /// <see cref="Stopwatch"/> timestamp the answer came; null id unless the answer was 202.
    /// </summary>
    public static async Task<Triggered> TriggerAsync(ServiceProcess node, string jobType, CancellationToken cancellationToken = default)
    {
        var sentAt = DateTimeOffset.UtcNow;
        using var response = await node.Client.PostAsJsonAsync("/api/jobs/trigger", new TriggerJobRequest(jobType), cancellationToken);
        var answered = Stopwatch.GetTimestamp();
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return new Triggered(null, sentAt, answered, (int)response.StatusCode);
        }

        var body = await response.Content.ReadFromJsonAsync<TriggerJobResponse>(cancellationToken);
        return new Triggered(body!.Id, sentAt, answered, (int)response.StatusCode);
    }

    /// <summary>
    /// Triggers <paramref name="jobType"/> and waits until its run has ended (the type is no longer pending or running);
    /// a refused trigger is tried again (a run of the type may still be finishing), at most 200 times.
    /// </summary>
    public static async Task<Triggered> RunAsync(ServiceProcess node, string jobType, ActiveTypes active, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var triggered = await TriggerAsync(node, jobType, cancellationToken);
            if (triggered.Id is not null)
            {
                await active.WaitUntilIdleAsync(jobType, triggered.AnsweredTimestamp, timeout);
                return triggered;
            }

            if (attempt == 200)
            {
                throw new InvalidOperationException($"trigger {jobType} answered {triggered.Status} 200 times");
            }

            await active.WaitUntilIdleAsync(jobType, Stopwatch.GetTimestamp(), timeout);
        }
    }
}

internal sealed record Triggered(Guid? Id, DateTimeOffset SentAt, long AnsweredTimestamp, int Status);
