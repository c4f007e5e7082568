using Microsoft.Extensions.DependencyInjection;
using Scheduler.Jobs.Data;
using Npgsql;
using Quartz;
using Quartz.Extensibility;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// How far a running job is. Jobs report through Quartz's own <see cref="IJobExecutionContext.ReportProgress"/>
/// (throttled by Quartz to one write a second, the last report always written); this listener copies each write
/// to the execution's row, where the API shows it and the row's trigger turns it into a live event.
/// </summary>
public sealed class ExecutionProgress([FromKeyedServices(SchedulerDataSources.Background)] NpgsqlDataSource dataSource, TimeProvider time) : IJobListener
{
    /// <summary>
    /// Fenced by the run's lease token: a node that lost the run moves nothing. Not durable: a progress value lost in
    /// a database crash is replaced by the next one or by the outcome.
    /// </summary>
    private const string UpdateSql = $"""
        UPDATE scheduled_jobs SET progress = jsonb_build_object('percent', @percent, 'message', @message, 'at', @now)
          FROM {DataSourceExtensions.NotDurable}
         WHERE id = @id AND status = 'running' AND lease_token = @token
        """;

    public string Name => nameof(ExecutionProgress);

    public async ValueTask JobProgressChanged(IJobExecutionContext context, FireInstanceProgress progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(progress);
        if (context.GetExecutionId() is not { } id
            || !context.MergedJobDataMap.TryGetString(ExecutionData.LeaseTokenKey, out var text)
            || !long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var token))
        {
            return;
        }

        await dataSource.ExecuteAsync(UpdateSql, new { id, token, percent = progress.Percent, message = progress.Message, now = time.GetUtcNow() }, cancellationToken);
    }

    public ValueTask JobToBeExecuted(IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask JobExecutionVetoed(IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask JobWasExecuted(IJobExecutionContext context, JobExecutionException? jobException, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
