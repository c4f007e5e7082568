using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Dapper;
using Npgsql;

namespace Scheduler.Jobs.Data;

/// <summary>
/// A filtered, newest-first page of one table and how many rows match in all. Conditions are added only for
/// filters that are set, and every value travels as a parameter. Pages are by number (OFFSET, as the previous
/// service's API had them) or, for deep paging, after a <see cref="PageCursor"/> (keyset: one index range
/// however deep). The total is <c>count(*)</c> unless the caller has a cheaper exact one.
/// </summary>
internal sealed class PagedQuery(string table, string columns, string timeColumn, string idColumn, PageCursorId idKind)
{
    private readonly List<string> _conditions = [];
    private readonly DynamicParameters _parameters = new();
    private string? _totalSql;

    /// <summary>Adds <paramref name="condition"/> (which names <c>@<paramref name="name"/></c>) when <paramref name="value"/> is set.</summary>
    public PagedQuery Where(string condition, string name, object? value)
    {
        if (value is not null)
        {
            _conditions.Add(condition);
            _parameters.Add(name, value);
        }

        return this;
    }

    /// <summary>
    /// Counts with <paramref name="totalSql"/> (one bigint) instead of <c>count(*)</c>; it may name the text
    /// parameters in <paramref name="textParameters"/>, null when their filter is not set.
    /// </summary>
    public PagedQuery CountWith(string? totalSql, params (string Name, string? Value)[] textParameters)
    {
        _totalSql = totalSql;
        if (totalSql is not null)
        {
            foreach (var (name, value) in textParameters)
            {
                _parameters.Add(name, value, System.Data.DbType.String);
            }
        }

        return this;
    }

    public async Task<(IReadOnlyList<TRow> Rows, long Total, PageCursor? Next)> RunAsync<TRow>(
        NpgsqlDataSource dataSource, int page, int limit, PageCursor? after, Func<TRow, PageCursor> cursorOf, CancellationToken cancellationToken)
    {
        var where = _conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", _conditions);
        var pageWhere = where;
        if (after is not null)
        {
            var keyset = $"({timeColumn}, {idColumn}) < (@afterTime, @afterId::{(idKind == PageCursorId.Uuid ? "uuid" : "bigint")})";
            pageWhere = where.Length == 0 ? $"WHERE {keyset}" : $"{where} AND {keyset}";
            _parameters.Add("afterTime", after.At);
            _parameters.Add("afterId", after.Id);
        }

        _parameters.Add("limit", limit);
        _parameters.Add("offset", after is null ? (long)(page - 1) * limit : 0L);
        var sql = $"""
            {_totalSql ?? $"SELECT count(*) FROM {table} {where}"};
            SELECT {columns} FROM {table} {pageWhere}
             ORDER BY {timeColumn} DESC, {idColumn} DESC
             LIMIT @limit OFFSET @offset;
            """;

        return await dataSource.UseConnectionAsync(async connection =>
        {
            await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, _parameters, cancellationToken: cancellationToken));
            var total = await results.ReadSingleAsync<long>();
            List<TRow> rows = [.. await results.ReadAsync<TRow>()];
            return ((IReadOnlyList<TRow>)rows, total, rows.Count == limit ? cursorOf(rows[^1]) : null);
        }, cancellationToken);
    }
}

/// <summary>Where a keyset page ends: the last row's time and id. Opaque to clients (<see cref="Encode"/>).</summary>
public sealed record PageCursor(DateTime At, string Id)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{At.Ticks}|{Id}")));

    /// <summary>
    /// Reads a cursor this API issued for a table whose ids are <paramref name="idKind"/>; false for anything else,
    /// including text that decodes but carries an id of another kind or a time outside what the columns hold.
    /// </summary>
    public static bool TryDecode(string text, PageCursorId idKind, out PageCursor? cursor)
    {
        cursor = null;
        if (!Base64Url.IsValid(text))
        {
            return false;
        }

        var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split('|', 2);
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks < MinTicks || ticks > MaxTicks
            || !IsId(parts[1], idKind))
        {
            return false;
        }

        cursor = new PageCursor(new DateTime(ticks, DateTimeKind.Utc), parts[1]);
        return true;
    }

    // Rows are written by this service: no time before 2000 or after 9000 is one of theirs, and both ends stay
    // clear of DateTime.MinValue and MaxValue, which Npgsql sends as -infinity and infinity.
    private static readonly long MinTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
    private static readonly long MaxTicks = new DateTime(9000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private static bool IsId(string id, PageCursorId idKind) => idKind switch
    {
        PageCursorId.Uuid => Guid.TryParseExact(id, "D", out _),
        PageCursorId.BigInt => id.Length <= 19 && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0,
        _ => false,
    };
}

/// <summary>The kind of id a paged table's rows have, which its cursors must carry.</summary>
public enum PageCursorId
{
    Uuid,
    BigInt,
}
