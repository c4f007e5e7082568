using System.Text.Json;
using Dapper;
using Npgsql;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Data;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.Events;

/// <summary>
/// <c>scheduler_events</c>: execution events are appended by the database itself (a trigger on every status or
/// progress change); schedule events by <see cref="ScheduleChangedAsync(string, string, CancellationToken)"/>. Every insert NOTIFYs the channel
/// <see cref="Channel"/> at commit, so each node's relay hears every event, whichever node caused it.
/// </summary>
/// <remarks>
/// Events are read in <see cref="EventPosition"/> order (the writing transaction, then the id) and only once every
/// transaction that could still write an earlier position has ended (migration 013). Ids are taken in one order and
/// committed in another; reading by id alone would skip an event whose transaction commits after a later id's.
/// </remarks>
public sealed class SchedulerEventStore(NpgsqlDataSource dataSource)
{
    public const string Channel = "scheduler_events";

    /// <summary>How long events are kept for clients that reconnect.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private const string ScheduleChangedSql = "INSERT INTO scheduler_events (topic, kind, job_type) VALUES ('schedule', @kind, @jobType)";

    public Task ScheduleChangedAsync(string kind, string jobType, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(ScheduleChangedSql, new { kind, jobType }, cancellationToken);

    private const string NamedScheduleChangedSql = "INSERT INTO scheduler_events (topic, kind, job_type, schedule) VALUES ('schedule', @kind, @jobType, @schedule)";

    /// <summary>A named schedule's change, in the transaction that makes it: the event is delivered only if the change commits.</summary>
    public static Task ScheduleChangedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, string jobType, string schedule, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(NamedScheduleChangedSql, new { kind, jobType, schedule }, cancellationToken, transaction);

    /// <summary>
    /// Events and the executions they are about, as <c>GET /api/jobs/{id}</c> answers them now, in one query. Rows at
    /// or past the horizon (<c>Safe</c> false) are visible but not yet deliverable: an open transaction may still
    /// commit an event before them.
    /// </summary>
    private const string ReadSql = $"""
        WITH horizon AS (SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint AS xmin)
        SELECT e.tx AS Tx, e.id AS EventId, e.at AS At, e.topic AS Topic, e.kind AS Kind, e.execution_id AS ExecutionId,
               e.job_type AS JobType, e.schedule AS Schedule, e.status AS Status, e.progress::text AS Progress, e.tx < h.xmin AS Safe,
               j.*
          FROM scheduler_events e
         CROSS JOIN horizon h
          LEFT JOIN LATERAL (SELECT {ExecutionRow.Columns} FROM scheduled_jobs WHERE id = e.execution_id) j ON true
         WHERE (e.tx, e.id) > (@tx, @id) AND e.id > @floor
         ORDER BY e.tx, e.id
         LIMIT @max
        """;

    /// <summary>
    /// Up to <paramref name="max"/> events <paramref name="cursor"/> admits, in order, each with its execution; and
    /// whether later events are visible but held back behind a transaction still open (read again shortly: no
    /// notification may come when that transaction ends).
    /// </summary>
    public async Task<EventPage> ReadAsync(EventCursor cursor, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        // Split where the execution's columns begin (its Id); a row with no execution maps it to null.
        var rows = (await dataSource.UseConnectionAsync(connection => connection.QueryAsync<EventRow, ExecutionRow, EventRow>(new CommandDefinition(ReadSql,
            new { tx = cursor.After.Tx, id = cursor.After.Id, floor = cursor.Floor, max }, cancellationToken: cancellationToken),
            (row, execution) => row with { Execution = execution }, splitOn: "Id"), cancellationToken)).AsList();

        // Rows come in (tx, id) order and are safe below the horizon, so the deliverable ones are a prefix.
        var events = rows.TakeWhile(r => r.Safe).Select(r => r.ToEvent()).ToList();
        return new EventPage(events, HeldBack: events.Count < rows.Count);
    }

    private const string TxOfSql = "SELECT tx FROM scheduler_events WHERE id = @id";

    /// <summary>
    /// Where a client that last saw event <paramref name="lastEventId"/> resumes: right after it while it is kept;
    /// otherwise (pruned, or never seen) with every kept event whose id is larger.
    /// </summary>
    public async Task<EventCursor> ResumeAfterAsync(long lastEventId, CancellationToken cancellationToken)
    {
        var tx = await dataSource.QuerySingleOrDefaultAsync<long?>(TxOfSql, new { id = lastEventId }, cancellationToken);
        return tx is { } t ? new EventCursor(new EventPosition(t, lastEventId)) : new EventCursor(EventPosition.Start, Floor: lastEventId);
    }

    private const string HorizonSql = "SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint";

    /// <summary>"From now on": a position before every event not yet deliverable, after every event that is.</summary>
    public async Task<EventPosition> HorizonAsync(CancellationToken cancellationToken) =>
        new(await dataSource.ExecuteScalarAsync<long>(HorizonSql, null, cancellationToken), 0);

    private const string PruneSql = "DELETE FROM scheduler_events WHERE at < @before";

    public Task PruneAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        dataSource.ExecuteAsync(PruneSql, new { before }, cancellationToken);

    /// <summary>One row of <see cref="ReadSql"/>: the event, and the execution it is about when it has one.</summary>
    private sealed record EventRow
    {
        public long Tx { get; init; }
        public long EventId { get; init; }
        public DateTimeOffset At { get; init; }
        public string Topic { get; init; } = "";
        public string Kind { get; init; } = "";
        public Guid? ExecutionId { get; init; }
        public string JobType { get; init; } = "";
        public string? Schedule { get; init; }
        public string? Status { get; init; }
        public string? Progress { get; init; }
        public bool Safe { get; init; }
        public ExecutionRow? Execution { get; init; }

        public SchedulerEvent ToEvent() => new(Tx, EventId, At, Topic, Kind, ExecutionId, JobType, Status, Progress)
        {
            Execution = Execution?.ToContract(),
            Schedule = Schedule,
        };
    }
}

/// <summary>A place in the event log: after the event written by transaction <paramref name="Tx"/> with id <paramref name="Id"/>.</summary>
public readonly record struct EventPosition(long Tx, long Id) : IComparable<EventPosition>
{
    /// <summary>Before every event.</summary>
    public static readonly EventPosition Start = new(0, 0);

    public int CompareTo(EventPosition other) => Tx != other.Tx ? Tx.CompareTo(other.Tx) : Id.CompareTo(other.Id);

    public static bool operator <(EventPosition left, EventPosition right) => left.CompareTo(right) < 0;

    public static bool operator >(EventPosition left, EventPosition right) => left.CompareTo(right) > 0;

    public static bool operator <=(EventPosition left, EventPosition right) => left.CompareTo(right) <= 0;

    public static bool operator >=(EventPosition left, EventPosition right) => left.CompareTo(right) >= 0;
}

/// <summary>
/// A reader's place: events after <paramref name="After"/>, none with an id at or below <paramref name="Floor"/>
/// (a client resuming from an event no longer kept has seen those).
/// </summary>
public sealed record EventCursor(EventPosition After, long Floor = 0)
{
    public bool Admits(SchedulerEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Position > After && e.Id > Floor;
    }

    /// <summary>The cursor once <paramref name="e"/> has been delivered.</summary>
    public EventCursor Past(SchedulerEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return this with { After = e.Position };
    }
}

/// <summary>Events ready to deliver, in order; <paramref name="HeldBack"/>: later ones wait for a transaction still open.</summary>
public sealed record EventPage(IReadOnlyList<SchedulerEvent> Events, bool HeldBack);

/// <summary>One event: an execution created, started, progressed or finished, a schedule paused, resumed, changed or reset, or a job type defined through the API defined, changed, deleted, disabled or enabled.</summary>
public sealed record SchedulerEvent(long Tx, long Id, DateTimeOffset At, string Topic, string Kind, Guid? ExecutionId, string JobType, string? Status, string? Progress)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public EventPosition Position => new(Tx, Id);

    /// <summary>The execution as the API showed it when the event was read; null for schedule events and deleted executions.</summary>
    public JobExecution? Execution { get; init; }

    /// <summary>For a schedule event: the named schedule it is about; null for the type's default schedule.</summary>
    public string? Schedule { get; init; }

    /// <summary>
    /// The SSE <c>data</c> line: for an execution, <see cref="Execution"/> or, if it is gone, what the event itself
    /// recorded; for a schedule, its job type.
    /// </summary>
    public string Data() => Topic == "execution"
        ? JsonSerializer.Serialize(new
        {
            kind = Kind,
            at = At,
            execution = Execution is not null ? (object)Execution : new
            {
                id = ExecutionId,
                jobType = JobType,
                status = Status,
                progress = Progress is null ? (JsonElement?)null : JsonSerializer.Deserialize<JsonElement>(Progress),
            },
        }, Json)
        : Schedule is null
            ? JsonSerializer.Serialize(new { kind = Kind, at = At, jobType = JobType }, Json)
            : JsonSerializer.Serialize(new { kind = Kind, at = At, jobType = JobType, schedule = Schedule }, Json);
}
