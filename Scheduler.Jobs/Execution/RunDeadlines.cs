using Microsoft.Extensions.Logging;
using Quartz;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// A run's time budget (its type's timeout). Past it the run is interrupted the way an operator's interrupt does
/// it: Quartz cancels the job's own token.
/// </summary>
public sealed partial class RunDeadlines(TimeProvider time, ILogger<RunDeadlines> logger)
{
    /// <summary>Starts the clock on <paramref name="budget"/> (none when null); dispose it once the run has ended.</summary>
    public RunDeadline Start(IJobExecutionContext context, Guid executionId, TimeSpan? budget)
    {
        if (budget is not { } limit)
        {
            return new RunDeadline(null, null, default);
        }

        var deadline = new CancellationTokenSource(limit, time);
        var onDeadline = deadline.Token.UnsafeRegister(_ => _ = InterruptAsync(context, executionId), null);
        return new RunDeadline(limit, deadline, onDeadline);
    }

    private async Task InterruptAsync(IJobExecutionContext context, Guid executionId)
    {
        try
        {
            LogTimedOut(executionId);
            await context.Scheduler.InterruptFireInstance(context.FireInstanceId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogInterruptFailed(ex, executionId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} ran past its timeout; interrupting it")]
    private partial void LogTimedOut(Guid executionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not interrupt execution {ExecutionId} after its timeout")]
    private partial void LogInterruptFailed(Exception exception, Guid executionId);
}

/// <summary>One run's budget (see <see cref="RunDeadlines.Start"/>).</summary>
public sealed class RunDeadline(TimeSpan? budget, CancellationTokenSource? deadline, CancellationTokenRegistration onDeadline) : IDisposable
{
    /// <summary>The budget, when the type has one.</summary>
    public TimeSpan? Budget { get; } = budget;

    /// <summary>Whether the budget ran out.</summary>
    public bool Passed => deadline is { IsCancellationRequested: true };

    public void Dispose()
    {
        onDeadline.Dispose();
        deadline?.Dispose();
    }
}
