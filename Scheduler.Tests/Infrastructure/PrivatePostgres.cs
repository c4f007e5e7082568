using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Scheduler.Service.Data;

namespace Scheduler.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of a test's own (the same scripts/postgres.sh ./test.sh uses), so the test can stop it,
/// start it again or restart it under running service processes: the database outage is real, not simulated.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _directory;

    private PrivatePostgres(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The migrated database's connection string.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>Starts a new server on a free loopback port and creates and migrates a database on it.</summary>
    public static async Task<PrivatePostgres> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("scheduler-fault-pg.").FullName;
        var server = new PrivatePostgres(directory, FreePort());
        await server.RunAsync("pg_start \"$1\" \"$2\" fast");
        await server.RunAsync("pg_create_database \"$1\" \"$2\" scheduler");
        var password = (await File.ReadAllTextAsync(Path.Combine(directory, "password"))).Trim();
        server.ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = server.Port, Username = "postgres", Password = password, Database = "scheduler",
        }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).ApplyAsync(CancellationToken.None);
        return server;
    }

    /// <summary><c>pg_ctl -m fast stop</c>: every connection is cut and new ones are refused until <see cref="StartAgainAsync"/>.</summary>
    public Task StopAsync() => RunAsync("pg_stop \"$1\"");

    public Task StartAgainAsync() => RunAsync("pg_start \"$1\" \"$2\" fast");

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

    private async Task RunAsync(string command)
    {
        var script = Path.Combine(ServiceProcess.RepositoryRoot, "scripts", "postgres.sh");
        var start = new ProcessStartInfo("bash", ["-c", $". \"{script}\"; {command}", "pg", _directory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
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

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
