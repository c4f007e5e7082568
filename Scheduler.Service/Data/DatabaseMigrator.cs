using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Scheduler.Jobs.Data;

namespace Scheduler.Service.Data;

/// <summary>One SQL file of <c>database/</c>, embedded in this assembly.</summary>
public sealed partial record Migration(int Version, string Name, string Sql)
{
    /// <summary>The first line of a migration that must run outside a transaction, a statement at a time.</summary>
    public const string NoTransactionMarker = "-- migrate:no-transaction";

    public string Checksum => ChecksumOf(Sql);

    public bool RunsInTransaction => !SqlFirstLine(Sql).Equals(NoTransactionMarker, StringComparison.Ordinal);

    /// <summary>
    /// SHA-256 of the text. A file whose every line ends in CRLF is hashed in its LF form: that is what a checkout
    /// that converts line endings makes of an LF file, and it is the same migration. A file that mixes them (001,
    /// as copied from Quartz's script) is hashed as it is, so every checksum recorded so far still matches.
    /// </summary>
    internal static string ChecksumOf(string sql)
    {
        var crlf = CountOf(sql, "\r\n");
        var text = crlf > 0 && crlf == CountOf(sql, "\n") ? sql.Replace("\r\n", "\n", StringComparison.Ordinal) : sql;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The index a <c>CREATE INDEX CONCURRENTLY</c> statement builds, else null.</summary>
    internal static string? IndexBuiltConcurrently(string statement) =>
        ConcurrentIndex().Match(SqlStatements.StripLeadingComments(statement)) is { Success: true } match ? match.Groups["name"].Value : null;

    private static string SqlFirstLine(string sql)
    {
        var newline = sql.IndexOf('\n', StringComparison.Ordinal);
        return (newline < 0 ? sql : sql[..newline]).Trim();
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    [GeneratedRegex("""^CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(IF\s+NOT\s+EXISTS\s+)?(?<name>("[^"]+"|[\w$]+)(\.("[^"]+"|[\w$]+))?)""", RegexOptions.IgnoreCase)]
    private static partial Regex ConcurrentIndex();
}

/// <summary>
/// Applies the embedded migrations in order, each once, while holding a PostgreSQL advisory lock so that replicas
/// starting together never race. Each runs in its own transaction (unless marked <see cref="Migration.NoTransactionMarker"/>)
/// with a short <c>lock_timeout</c>, so that during a rolling deploy a migration stuck behind a long transaction of
/// the running version gives way, and is tried again, instead of queueing that version's traffic behind it.
/// </summary>
public sealed partial class DatabaseMigrator(
    NpgsqlDataSource dataSource,
    ILogger<DatabaseMigrator> logger,
    DatabaseOptions? options = null,
    IReadOnlyList<Migration>? migrations = null,
    TimeProvider? timeProvider = null)
{
    /// <summary>The advisory lock every migrating process takes; see <c>database/README.md</c>.</summary>
    public const long AdvisoryLockKey = 7005202501;

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    private readonly DatabaseOptions _options = options ?? new DatabaseOptions();
    private readonly IReadOnlyList<Migration> _migrations = migrations ?? Embedded;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    private const string CreateHistorySql = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version    integer     PRIMARY KEY,
          name       text        NOT NULL,
          checksum   text        NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )
        """;

    private const string AppliedSql = "SELECT version AS Version, checksum AS Checksum FROM schema_migrations";

    private const string RecordSql = "INSERT INTO schema_migrations (version, name, checksum) VALUES (@Version, @Name, @Checksum)";

    /// <summary>Session-wide on the migrating connection; <see cref="ReleaseSql"/> puts it back before the connection returns to the pool.</summary>
    private const string SetLockTimeoutSql = "SELECT set_config('lock_timeout', @timeout, false)";

    private const string TryLockSql = "SELECT pg_try_advisory_lock(@key)";

    private const string ReleaseSql = "RESET lock_timeout; SELECT pg_advisory_unlock(@key)";

    private const string IsInvalidIndexSql = "SELECT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(@name) AND NOT indisvalid)";

    /// <summary>How often a process waiting for another's migrations asks for the lock again.</summary>
    private static readonly TimeSpan LockPollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The migrations this build carries, in the order they apply.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    /// <summary>Applies what is missing and returns the names of the files it applied (none when up to date).</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Polled rather than waited for: a session blocked in pg_advisory_lock holds a snapshot, and the holder's
        // CREATE INDEX CONCURRENTLY waits for every such snapshot to end, so the two would wait on each other.
        while (!await connection.ExecuteScalarAsync<bool>(TryLockSql, new { key = AdvisoryLockKey }, cancellationToken))
        {
            await Task.Delay(LockPollInterval, cancellationToken);
        }

        try
        {
            await connection.ExecuteAsync(CreateHistorySql, null, cancellationToken);
            var applied = (await connection.QueryAsync<(int Version, string Checksum)>(AppliedSql, null, cancellationToken))
                .ToDictionary(m => m.Version, m => m.Checksum);
            var timeout = $"{(long)_options.MigrationLockTimeout.TotalMilliseconds}ms";
            await connection.ExecuteAsync(SetLockTimeoutSql, new { timeout }, cancellationToken);

            var newlyApplied = new List<string>();
            foreach (var migration in _migrations)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    if (checksum != migration.Checksum)
                    {
                        throw new InvalidOperationException(
                            $"Migration {migration.Name} was changed after it was applied (checksum differs). Migrations are append-only: add a new file instead.");
                    }

                    continue;
                }

                if (migration.RunsInTransaction)
                {
                    await WithLockRetriesAsync(migration, () => ApplyInTransactionAsync(connection, migration, cancellationToken), cancellationToken);
                }
                else
                {
                    // Each statement must be safe to repeat (IF NOT EXISTS): a statement that timed out, or a process
                    // that stopped part-way, runs the file's statements again.
                    foreach (var statement in SqlStatements.Split(migration.Sql))
                    {
                        await WithLockRetriesAsync(migration, () => RunOutsideTransactionAsync(connection, migration, statement, cancellationToken), cancellationToken);
                    }

                    await connection.ExecuteAsync(RecordSql, migration, cancellationToken);
                }

                LogApplied(migration.Name);
                newlyApplied.Add(migration.Name);
            }

            if (newlyApplied.Count == 0)
            {
                LogUpToDate(_migrations.Count);
            }

            return newlyApplied;
        }
        finally
        {
            await connection.ExecuteAsync(ReleaseSql, new { key = AdvisoryLockKey }, CancellationToken.None);
        }
    }

    private static async Task ApplyInTransactionAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(migration.Sql, null, cancellationToken, transaction);
        await connection.ExecuteAsync(RecordSql, migration, cancellationToken, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task RunOutsideTransactionAsync(NpgsqlConnection connection, Migration migration, string statement, CancellationToken cancellationToken)
    {
        if (Migration.IndexBuiltConcurrently(statement) is { } index
            && await connection.ExecuteScalarAsync<bool>(IsInvalidIndexSql, new { name = index }, cancellationToken))
        {
            // A concurrent build that was interrupted (a lock timeout while it waited for older transactions, a
            // stopped process) leaves an invalid index, which IF NOT EXISTS would then skip: build it again.
            LogDroppingInvalidIndex(migration.Name, index);
            await connection.ExecuteAsync($"DROP INDEX CONCURRENTLY IF EXISTS {index}", null, cancellationToken);
        }

        await connection.ExecuteAsync(statement, null, cancellationToken);
    }

    private async Task WithLockRetriesAsync(Migration migration, Func<Task> attempt, CancellationToken cancellationToken)
    {
        var delay = _options.MigrationRetryDelay;
        for (var attempts = 1; ; attempts++)
        {
            try
            {
                await attempt();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                if (attempts >= _options.MigrationAttempts)
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Name} was not applied: in each of {attempts} attempts it waited longer than " +
                        $"Database:MigrationLockTimeout ({_options.MigrationLockTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s) " +
                        "for a lock another session holds on a table it changes. Find that session in pg_locks and pg_stat_activity, then start again.",
                        ex);
                }

                LogLockTimeout(migration.Name, attempts, _options.MigrationAttempts, delay);
                await Task.Delay(delay, _time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private static List<Migration> LoadEmbedded()
    {
        const string prefix = "migrations/";
        var assembly = typeof(DatabaseMigrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var name = resource[prefix.Length..];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name[..underscore], out var version))
            {
                throw new InvalidOperationException($"Migration file {name} must start with a number and an underscore, e.g. 004_add_audit.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(version, name, reader.ReadToEnd()));
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two migration files share version {duplicate.Key}.");
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Name}")]
    private partial void LogApplied(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is up to date ({Count} migrations)")]
    private partial void LogUpToDate(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Migration {Name} timed out waiting for a lock (attempt {Attempt} of {Attempts}); trying again in {Delay}")]
    private partial void LogLockTimeout(string name, int attempt, int attempts, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Migration {Name}: dropping the invalid index {Index} an interrupted concurrent build left, to build it again")]
    private partial void LogDroppingInvalidIndex(string name, string index);
}
