using System.Text.Json;
using Dapper;
using Npgsql;

namespace Scheduler.Jobs.Events;

/// <summary>
/// <c>scheduler_events</c>: execution events are appended by the database itself (a trigger on every status or
/// progress change); schedule events by <see cref="ScheduleChangedAsync"/>. Every insert NOTIFYs the channel
/// <see cref="Channel"/> at commit, so each node's relay hears every event, whichever node caused it.
/// </summary>
public sealed class SchedulerEventStore(NpgsqlDataSource dataSource)
{
    public const string Channel = "scheduler_events";

    /// <summary>How long events are kept for clients that reconnect.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private const string Columns = """
        id AS Id, at AS At, topic AS Topic, kind AS Kind, execution_id AS ExecutionId, job_type AS JobType,
        status AS Status, progress::text AS Progress
        """;

    public async Task ScheduleChangedAsync(string kind, string jobType, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO scheduler_events (topic, kind, job_type) VALUES ('schedule', @kind, @jobType)",
            new { kind, jobType }, cancellationToken: cancellationToken));
    }

    /// <summary>Events after <paramref name="afterId"/>, oldest first, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<SchedulerEvent>> AfterAsync(long afterId, int max, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<SchedulerEvent>(new CommandDefinition(
            $"SELECT {Columns} FROM scheduler_events WHERE id > @afterId ORDER BY id LIMIT @max", new { afterId, max }, cancellationToken: cancellationToken))];
    }

    public async Task<long> LatestIdAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT coalesce(max(id), 0) FROM scheduler_events", cancellationToken: cancellationToken));
    }

    public async Task PruneAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM scheduler_events WHERE at < @before", new { before }, cancellationToken: cancellationToken));
    }
}

/// <summary>One event: an execution created, started, progressed or finished, or a schedule paused, resumed, changed or reset.</summary>
public sealed record SchedulerEvent(long Id, DateTime At, string Topic, string Kind, Guid? ExecutionId, string JobType, string? Status, string? Progress)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The SSE <c>data</c> line: for an execution, <paramref name="current"/> (the execution as the API shows it now)
    /// or, if it is gone, what the event itself recorded; for a schedule, its job type.
    /// </summary>
    public string Data(Contracts.Api.JobExecution? current = null) => Topic == "execution"
        ? JsonSerializer.Serialize(new
        {
            kind = Kind,
            at = new DateTimeOffset(DateTime.SpecifyKind(At, DateTimeKind.Utc)),
            execution = current is not null ? (object)current : new
            {
                id = ExecutionId,
                jobType = JobType,
                status = Status,
                progress = Progress is null ? (JsonElement?)null : JsonSerializer.Deserialize<JsonElement>(Progress),
            },
        }, Json)
        : JsonSerializer.Serialize(new { kind = Kind, at = new DateTimeOffset(DateTime.SpecifyKind(At, DateTimeKind.Utc)), jobType = JobType }, Json);
}
