using Dapper;
using Npgsql;

namespace Scheduler.Jobs.Data;

/// <summary>
/// A filtered, newest-first page of one table and how many rows match in all. Conditions are added only
/// for filters that are set, and every value travels as a parameter.
/// </summary>
internal sealed class PagedQuery(string table, string columns, string orderBy)
{
    private readonly List<string> _conditions = [];
    private readonly DynamicParameters _parameters = new();

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

    public async Task<(IReadOnlyList<TRow> Rows, long Total)> RunAsync<TRow>(
        NpgsqlDataSource dataSource, int page, int limit, CancellationToken cancellationToken)
    {
        var where = _conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", _conditions);
        _parameters.Add("limit", limit);
        _parameters.Add("offset", (long)(page - 1) * limit);
        var sql = $"""
            SELECT count(*) FROM {table} {where};
            SELECT {columns} FROM {table} {where}
             ORDER BY {orderBy}
             LIMIT @limit OFFSET @offset;
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, _parameters, cancellationToken: cancellationToken));
        var total = await results.ReadSingleAsync<long>();
        var rows = await results.ReadAsync<TRow>();
        return ([.. rows], total);
    }
}
