using Microsoft.Extensions.DependencyInjection;
using Scheduler.Jobs.Data;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// What a job logs through the normal logger while it runs, kept for that execution: a logger provider that copies
/// every entry written inside an execution (the recording middleware marks the async flow) into that run's
/// bounded buffer, which the middleware writes to <c>execution_logs</c> as it goes.
/// </summary>
public sealed class ExecutionLogCapture : ILoggerProvider
{
    private static readonly AsyncLocal<ExecutionLogBuffer?> Current = new();

    /// <summary>Marks the rest of this async flow as <paramref name="buffer"/>'s execution; dispose to stop.</summary>
    public static IDisposable Capture(ExecutionLogBuffer buffer)
    {
        var previous = Current.Value;
        Current.Value = buffer;
        return new Restore(previous);
    }

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName);

    public void Dispose()
    {
    }

    private sealed class Restore(ExecutionLogBuffer? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }

    private sealed class CapturingLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && Current.Value is not null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel) && Current.Value is { } buffer)
            {
                var message = formatter(state, exception);
                buffer.Add(logLevel.ToString(), exception is null ? message : $"{message} ({exception.GetType().Name}: {exception.Message})", category);
            }
        }
    }
}

/// <summary>One run's log lines, at most <see cref="MaxLines"/> lines and <see cref="MaxBytes"/> of text; past that, one line says so.</summary>
public sealed class ExecutionLogBuffer(TimeProvider time)
{
    public const int MaxLines = 500;
    public const int MaxBytes = 128 * 1024;
    public const string TruncatedMessage = "log truncated: a run keeps at most 500 lines and 128 KiB";

    private readonly Lock _gate = new();
    private readonly List<ExecutionLogLine> _pending = [];
    private int _count;
    private int _bytes;
    private bool _truncated;

    public void Add(string level, string message, string category)
    {
        var text = $"{message} [{category}]";
        lock (_gate)
        {
            if (_truncated)
            {
                return;
            }

            if (_count >= MaxLines || _bytes + text.Length > MaxBytes)
            {
                _truncated = true;
                _pending.Add(new ExecutionLogLine(_count + 1, time.GetUtcNow(), "Warning", TruncatedMessage));
                return;
            }

            _count++;
            _bytes += text.Length;
            _pending.Add(new ExecutionLogLine(_count, time.GetUtcNow(), level, text));
        }
    }

    /// <summary>The lines not taken yet.</summary>
    public IReadOnlyList<ExecutionLogLine> Take()
    {
        lock (_gate)
        {
            var taken = _pending.ToList();
            _pending.Clear();
            return taken;
        }
    }
}

/// <summary>Log lines as <see cref="ExecutionLogStore.AppendSql"/> takes them: one array per column.</summary>
internal sealed record LogColumns(int[] Seqs, DateTime[] Ats, string[] Levels, string[] Messages)
{
    public static LogColumns Of(IReadOnlyList<ExecutionLogLine> lines) => new(
        [.. lines.Select(l => l.Seq)],
        [.. lines.Select(l => l.At.UtcDateTime)],
        [.. lines.Select(l => l.Level)],
        [.. lines.Select(l => l.Message.Replace('\0', ' '))]);
}

/// <summary>One logged line of a run; <paramref name="Seq"/> orders them.</summary>
public sealed record ExecutionLogLine(int Seq, DateTimeOffset At, string Level, string Message);

/// <summary>Reads (API pool) and writes (background pool, fenced by the run's lease) <c>execution_logs</c>.</summary>
public sealed class ExecutionLogStore(NpgsqlDataSource dataSource, [FromKeyedServices(SchedulerDataSources.Background)] NpgsqlDataSource background)
{
    private const string InsertLines = """
        INSERT INTO execution_logs (execution_id, seq, at, level, message)
        SELECT @id, s, a, l, m FROM unnest(@seqs, @ats, @levels, @messages) AS t(s, a, l, m)
        """;

    private const string WhileHeld = """
         WHERE EXISTS (SELECT 1 FROM scheduled_jobs WHERE id = @id AND lease_token = @token)
        ON CONFLICT DO NOTHING
        """;

    /// <summary>Adds the lines <see cref="LogColumns"/> names to run <c>@id</c>'s log while <c>@token</c> still holds it.</summary>
    internal const string AppendSql = $"{InsertLines}\n{WhileHeld}";

    /// <summary>
    /// <see cref="AppendSql"/> for the lines written while a run goes on: not durable, since the lines a database crash
    /// would lose are a moment of a run whose outcome then says what became of it.
    /// </summary>
    private const string AppendWhileRunningSql = $"{InsertLines}, {DataSourceExtensions.NotDurable}\n{WhileHeld}";

    /// <summary>Adds lines to a run's log while <paramref name="token"/> still holds the run: a node that lost it adds nothing.</summary>
    public async Task AppendAsync(Guid id, long token, IReadOnlyList<ExecutionLogLine> lines, CancellationToken cancellationToken)
    {
        if (lines.Count == 0)
        {
            return;
        }

        var log = LogColumns.Of(lines);
        await background.ExecuteAsync(AppendWhileRunningSql, new { id, token, seqs = log.Seqs, ats = log.Ats, levels = log.Levels, messages = log.Messages }, cancellationToken);
    }

    private const string ReadSql = "SELECT seq AS Seq, at AS At, level AS Level, message AS Message FROM execution_logs WHERE execution_id = @id ORDER BY seq";

    public Task<IReadOnlyList<ExecutionLogLine>> ReadAsync(Guid id, CancellationToken cancellationToken) =>
        dataSource.QueryAsync<ExecutionLogLine>(ReadSql, new { id }, cancellationToken);
}
