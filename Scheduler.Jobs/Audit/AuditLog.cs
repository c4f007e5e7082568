using System.Text.Json;
using Dapper;
using Npgsql;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Audit;

/// <summary>Every read and write of <c>audit_log</c>: who did what to which execution or schedule, and how it was answered.</summary>
public sealed class AuditLog(NpgsqlDataSource dataSource, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Columns = """
        id AS Id, at AS At, actor AS Actor, action AS Action, target_type AS TargetType, target_id AS TargetId,
        job_type AS JobType, remote_address AS RemoteAddress, outcome AS Outcome, details::text AS Details
        """;

    private const string InsertSql = """
        INSERT INTO audit_log (at, actor, action, target_type, target_id, job_type, remote_address, outcome, details)
        VALUES (@At, @Actor, @Action, @TargetType, @TargetId, @JobType, @RemoteAddress, @Outcome, @Details::jsonb)
        """;

    /// <summary>Records one action on a connection of its own.</summary>
    public Task RecordAsync(AuditRecord record, CancellationToken cancellationToken) =>
        dataSource.UseConnectionAsync(async connection =>
        {
            await RecordAsync(connection, null, record, cancellationToken);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Records one action on the caller's connection, inside <paramref name="transaction"/> when given,
    /// so the row commits or rolls back with the change it describes.
    /// </summary>
    public async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(record);
        await connection.ExecuteAsync(InsertSql, new
        {
            At = time.GetUtcNow(),
            record.Actor,
            record.Action,
            record.TargetType,
            record.TargetId,
            record.JobType,
            record.RemoteAddress,
            record.Outcome,
            Details = record.Details is null ? null : JsonSerializer.Serialize(record.Details, Json),
        }, cancellationToken, transaction);
    }

    /// <summary>One page of entries matching <paramref name="filter"/>, newest first, and how many match in all.</summary>
    public async Task<(IReadOnlyList<AuditEntry> Page, long Total, PageCursor? Next)> ListAsync(
        AuditFilter filter, int page, int limit, PageCursor? after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (rows, total, next) = await new PagedQuery("audit_log", Columns, "at", "id", PageCursorId.BigInt)
            .Where("action = @action", "action", filter.Action)
            .Where("actor = @actor", "actor", filter.Actor)
            .Where("job_type = @jobType", "jobType", filter.JobType)
            .Where("target_id = @targetId", "targetId", filter.TargetId)
            .Where("at >= @from", "from", filter.From?.ToUniversalTime())
            .Where("at < @to", "to", filter.To?.ToUniversalTime())
            .RunAsync<AuditRow>(dataSource, page, limit, after, r => new PageCursor(r.At.UtcDateTime, r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), cancellationToken);
        return ([.. rows.Select(r => r.ToContract())], total, next);
    }

    private sealed class AuditRow
    {
        public long Id { get; init; }
        public DateTimeOffset At { get; init; }
        public string Actor { get; init; } = "";
        public string Action { get; init; } = "";
        public string TargetType { get; init; } = "";
        public string? TargetId { get; init; }
        public string? JobType { get; init; }
        public string? RemoteAddress { get; init; }
        public string Outcome { get; init; } = "";
        public string? Details { get; init; }

        public AuditEntry ToContract() => new()
        {
            Id = Id,
            At = At,
            Actor = Actor,
            Action = Action,
            TargetType = TargetType,
            TargetId = TargetId,
            JobType = JobType,
            RemoteAddress = RemoteAddress,
            Outcome = Outcome,
            Details = Details is null ? null : JsonSerializer.Deserialize<JsonElement>(Details),
        };
    }
}
