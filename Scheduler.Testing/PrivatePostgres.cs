using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Scheduler.Testing;

/// <summary>
/// A PostgreSQL server of its own (started with scripts/postgres.sh, as ./test.sh and ./bench.sh start theirs) with
/// one empty database, which can be stopped, started again or restarted under running service processes: a
/// database outage made this way is real, not simulated.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _directory;

    private PrivatePostgres(string directory, int port, string connectionString)
    {
        _directory = directory;
        Port = port;
        ConnectionString = connectionString;
    }

    public int Port { get; }

    /// <summary>The database's connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>Starts a new server on a free loopback port and creates an empty database named <paramref name="database"/> on it.</summary>
    public static async Task<PrivatePostgres> StartAsync(string database)
    {
        var directory = Directory.CreateTempSubdirectory("scheduler-private-pg.").FullName;
        var port = Loopback.FreePort();
        await RunAsync(directory, port, "pg_start \"$1\" \"$2\" fast");
        await RunAsync(directory, port, $"pg_create_database \"$1\" \"$2\" {database}");
        var password = (await File.ReadAllTextAsync(Path.Combine(directory, "password"))).Trim();
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Password = password, Database = database,
        }.ConnectionString;
        return new PrivatePostgres(directory, port, connectionString);
    }

    /// <summary><c>pg_ctl -m fast stop</c>: every connection is cut and new ones are refused until <see cref="StartAgainAsync"/>.</summary>
    public Task StopAsync() => RunAsync(_directory, Port, "pg_stop \"$1\"");

    public Task StartAgainAsync() => RunAsync(_directory, Port, "pg_start \"$1\" \"$2\" fast");

    /// <summary>An open connection to the database, outside any pool.</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static async Task RunAsync(string directory, int port, string command)
    {
        var script = Path.Combine(Repository.Root, "scripts", "postgres.sh");
        var start = new ProcessStartInfo("bash", ["-c", $". \"{script}\"; {command}", "pg", directory, port.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run bash");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}
