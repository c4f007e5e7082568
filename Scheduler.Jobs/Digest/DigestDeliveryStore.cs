using Npgsql;
using Scheduler.Jobs.Data;

namespace Scheduler.Jobs.Digest;

/// <summary><c>digest_deliveries</c>: who received which ISO week's digest.</summary>
public sealed class DigestDeliveryStore(NpgsqlDataSource dataSource)
{
    private const string AlreadySentSql = """
        SELECT user_id FROM digest_deliveries WHERE digest_week = @week AND user_id = ANY(@userIds)
        """;

    /// <summary>Those of <paramref name="userIds"/> already sent <paramref name="week"/>'s digest.</summary>
    public async Task<IReadOnlySet<string>> AlreadySentAsync(string week, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken)
    {
        var sent = await dataSource.QueryAsync<string>(AlreadySentSql, new { week, userIds = userIds.ToArray() }, cancellationToken);
        return sent.ToHashSet(StringComparer.Ordinal);
    }

    private const string RecordSql = """
        INSERT INTO digest_deliveries (digest_week, user_id, idempotency_key, execution_id, sent_at)
        SELECT @week, sent.user_id, sent.idempotency_key, @executionId, @now
          FROM unnest(@userIds::text[], @keys::text[]) AS sent(user_id, idempotency_key)
        ON CONFLICT (digest_week, user_id) DO NOTHING
        """;

    /// <summary>Records that the email service accepted these users' digests for <paramref name="week"/>.</summary>
    public async Task RecordAsync(
        string week, IReadOnlyList<(string UserId, string IdempotencyKey)> deliveries, Guid executionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (deliveries.Count == 0)
        {
            return;
        }

        await dataSource.ExecuteAsync(RecordSql, new
        {
            week,
            userIds = deliveries.Select(d => d.UserId).ToArray(),
            keys = deliveries.Select(d => d.IdempotencyKey).ToArray(),
            executionId,
            now,
        }, cancellationToken);
    }
}
