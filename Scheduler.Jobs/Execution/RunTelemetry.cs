using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Quartz;
using Scheduler.Contracts;
using Scheduler.Jobs.Telemetry;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// What a run tells about itself beyond its row: a span continuing the trace of the request that triggered it, the
/// lateness of a cron firing, and on its end the duration and status metrics and one log line.
/// </summary>
public sealed partial class RunTelemetry(SchedulerTelemetry telemetry, TimeProvider time, ILogger<RunTelemetry> logger)
{
    /// <summary>Starts observing a claimed run; dispose it once the run has ended.</summary>
    public RunObservation Start(IJobExecutionContext context, ClaimedRun claimed)
    {
        var jobType = context.JobDetail.Key.Name;
        var scope = logger.BeginScope(new Dictionary<string, object> { ["ExecutionId"] = claimed.Id, ["JobType"] = jobType });
        var activity = StartActivity(context, jobType, claimed.Id, claimed.Trigger);
        var started = time.GetTimestamp();
        if (claimed.Trigger is ExecutionTrigger.Cron or ExecutionTrigger.Schedule && context.ScheduledFireTimeUtc is { } scheduled)
        {
            telemetry.Started(jobType, time.GetUtcNow() - scheduled);
        }

        return new RunObservation(this, jobType, claimed.Trigger, started, activity, scope);
    }

    /// <summary>A span for the run, continuing the trace of the request that triggered it (kept in the job data as <c>traceparent</c>).</summary>
    private static Activity? StartActivity(IJobExecutionContext context, string jobType, Guid id, ExecutionTrigger trigger)
    {
        ActivityContext.TryParse(context.MergedJobDataMap.TryGetString(ExecutionData.TraceParentKey, out var parent) ? parent : null, null, out var parentContext);
        var activity = SchedulerTelemetry.Activities.StartActivity($"job {jobType}", ActivityKind.Internal, parentContext);
        activity?.SetTag("scheduler.job_type", jobType);
        activity?.SetTag("scheduler.execution_id", id.ToString());
        activity?.SetTag("scheduler.trigger", trigger.ToText());
        return activity;
    }

    internal TimeSpan Since(long started) => time.GetElapsedTime(started);

    internal void Ended(RunObservation run, ExecutionStatus status, FailureKind? failureKind, string? error, JobResult? result)
    {
        var duration = run.Elapsed;
        var statusText = status.ToText();
        telemetry.Ended(run.JobType, status, run.Trigger, duration, result?.ItemsProcessed ?? 0, failureKind);
        if (error is null)
        {
            LogEnded(run.JobType, statusText, duration.TotalSeconds);
        }
        else
        {
            LogEndedWithError(run.JobType, statusText, duration.TotalSeconds, error);
        }

        run.Activity?.SetTag("scheduler.status", statusText);
        if (error is not null)
        {
            run.Activity?.SetStatus(ActivityStatusCode.Error, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{JobType} ended {Status} after {DurationSeconds:0.###} s")]
    private partial void LogEnded(string jobType, string status, double durationSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{JobType} ended {Status} after {DurationSeconds:0.###} s: {Error}")]
    private partial void LogEndedWithError(string jobType, string status, double durationSeconds, string error);
}

/// <summary>One run under observation (see <see cref="RunTelemetry.Start"/>).</summary>
public sealed class RunObservation(RunTelemetry telemetry, string jobType, ExecutionTrigger trigger, long started, Activity? activity, IDisposable? scope) : IDisposable
{
    public string JobType { get; } = jobType;

    public ExecutionTrigger Trigger { get; } = trigger;

    internal Activity? Activity { get; } = activity;

    /// <summary>How long the run has taken so far.</summary>
    public TimeSpan Elapsed => telemetry.Since(started);

    /// <summary>Counts the run's end in the metrics, logs it, and marks the span.</summary>
    public void Ended(ExecutionStatus status, FailureKind? failureKind, string? error, JobResult? result = null) => telemetry.Ended(this, status, failureKind, error, result);

    /// <summary>
    /// Another node took the run over: its end is the new owner's to count (this node counted the lost lease,
    /// <c>scheduler_lease_lost_total</c>), so only the span says so.
    /// </summary>
    public void TakenOver() => Activity?.SetStatus(ActivityStatusCode.Error, "its lease was taken over by another node");

    public void Dispose()
    {
        Activity?.Dispose();
        scope?.Dispose();
    }
}
