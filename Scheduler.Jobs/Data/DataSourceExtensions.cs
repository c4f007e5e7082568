using System.Data;
using Dapper;
using Npgsql;

namespace Scheduler.Jobs.Data;

/// <summary>
/// Every repository's way to the database: one statement on a pooled connection in one call, or a unit of work on
/// one connection (<see cref="UseConnectionAsync{T}"/>) or in one transaction (<see cref="UseTransactionAsync{T}"/>).
/// The connection-level overloads serve the statements inside those units.
/// </summary>
public static class DataSourceExtensions
{
    /// <summary>
    /// Joined into a statement whose loss in a database crash is harmless (a progress value, log lines written while a
    /// run goes on), it commits that statement without waiting for the WAL flush: the write is not durable for up to
    /// three WAL-writer delays (600 ms by default) and costs no fsync. Never for an outcome, a claim or a schedule.
    /// </summary>
    public const string NotDurable = "(SELECT set_config('synchronous_commit', 'off', true)) AS not_durable";

    // Stores used without the host (tests, tools) get the same mappings as the service.
    static DataSourceExtensions() => DapperTypes.Register();

    /// <summary>Runs <paramref name="work"/> on a connection from <paramref name="dataSource"/>, returned to the pool after.</summary>
    public static async Task<T> UseConnectionAsync<T>(this NpgsqlDataSource dataSource, Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(work);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await work(connection);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction, committed once it has returned; if it throws, nothing it wrote
    /// stays. The commit is not cancellable: past <paramref name="work"/>, what it did must be kept whether or not the
    /// caller has gone.
    /// </summary>
    public static Task<T> UseTransactionAsync<T>(
        this NpgsqlDataSource dataSource, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        dataSource.UseConnectionAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(CancellationToken.None);
            return result;
        }, cancellationToken);

    public static Task<IReadOnlyList<T>> QueryAsync<T>(this NpgsqlDataSource dataSource, string sql, object? args, CancellationToken cancellationToken) =>
        dataSource.UseConnectionAsync(connection => connection.QueryAsync<T>(sql, args, cancellationToken), cancellationToken);

    public static Task<T?> QuerySingleOrDefaultAsync<T>(this NpgsqlDataSource dataSource, string sql, object? args, CancellationToken cancellationToken) =>
        dataSource.UseConnectionAsync(connection => connection.QuerySingleOrDefaultAsync<T>(sql, args, cancellationToken), cancellationToken);

    public static Task<T?> ExecuteScalarAsync<T>(this NpgsqlDataSource dataSource, string sql, object? args, CancellationToken cancellationToken) =>
        dataSource.UseConnectionAsync(connection => connection.ExecuteScalarAsync<T>(sql, args, cancellationToken), cancellationToken);

    /// <summary>Runs one statement; the number of rows it changed.</summary>
    public static Task<int> ExecuteAsync(this NpgsqlDataSource dataSource, string sql, object? args, CancellationToken cancellationToken) =>
        dataSource.UseConnectionAsync(connection => connection.ExecuteAsync(sql, args, cancellationToken), cancellationToken);

    public static async Task<IReadOnlyList<T>> QueryAsync<T>(
        this NpgsqlConnection connection, string sql, object? args, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null) =>
        (await SqlMapper.QueryAsync<T>(connection, Command(sql, args, transaction, cancellationToken))).AsList();

    public static Task<T?> QuerySingleOrDefaultAsync<T>(
        this NpgsqlConnection connection, string sql, object? args, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null) =>
        SqlMapper.QuerySingleOrDefaultAsync<T>(connection, Command(sql, args, transaction, cancellationToken));

    public static Task<T> QuerySingleAsync<T>(
        this NpgsqlConnection connection, string sql, object? args, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null) =>
        SqlMapper.QuerySingleAsync<T>(connection, Command(sql, args, transaction, cancellationToken));

    public static Task<T?> ExecuteScalarAsync<T>(
        this NpgsqlConnection connection, string sql, object? args, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null) =>
        SqlMapper.ExecuteScalarAsync<T>(connection, Command(sql, args, transaction, cancellationToken));

    public static Task<int> ExecuteAsync(
        this NpgsqlConnection connection, string sql, object? args, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null) =>
        SqlMapper.ExecuteAsync(connection, Command(sql, args, transaction, cancellationToken));

    private static CommandDefinition Command(string sql, object? args, IDbTransaction? transaction, CancellationToken cancellationToken) =>
        new(sql, args, transaction, cancellationToken: cancellationToken);
}
