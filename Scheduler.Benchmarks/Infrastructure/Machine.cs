using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>The machine and the PostgreSQL server a run measured.</summary>
internal sealed record Machine(
    int Cores, double MemoryGiB, string Cpu, string Kernel, string Runtime, string PostgresVersion,
    IReadOnlyList<(string Name, string Value)> PostgresSettings, string DataFilesystem)
{
    private static readonly string[] Settings =
    [
        "fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "work_mem", "max_connections",
        "max_wal_size", "checkpoint_timeout", "shared_preload_libraries", "pg_stat_statements.track", "track_io_timing",
    ];

    public static async Task<Machine> DescribeAsync(PgServer server)
    {
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var settings = new List<(string, string)>();
        foreach (var name in Settings)
        {
            settings.Add((name, await server.ScalarTextAsync($"SELECT current_setting('{name}', true)")));
        }

        var dataDirectory = await server.ScalarTextAsync("SELECT current_setting('data_directory')");
        return new Machine(
            Environment.ProcessorCount,
            double.Parse(memKb, CultureInfo.InvariantCulture) / 1024 / 1024,
            cpu,
            File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            RuntimeInformation.FrameworkDescription,
            await server.ScalarTextAsync("SELECT version()"),
            settings,
            Filesystem(dataDirectory));
    }

    public JsonObject ToJson()
    {
        var settings = new JsonObject();
        foreach (var (name, value) in PostgresSettings)
        {
            settings[name] = value;
        }

        return new JsonObject
        {
            ["cores"] = Cores,
            ["memoryGiB"] = Math.Round(MemoryGiB, 1),
            ["cpu"] = Cpu,
            ["kernel"] = Kernel,
            ["runtime"] = Runtime,
            ["postgres"] = PostgresVersion,
            ["postgresSettings"] = settings,
            ["dataFilesystem"] = DataFilesystem,
        };
    }

    /// <summary>The file system type PostgreSQL's data directory is on (fsync cost depends on it).</summary>
    private static string Filesystem(string path)
    {
        var mounts = File.ReadLines("/proc/mounts")
            .Select(l => l.Split(' '))
            .Where(p => p.Length > 2 && path.StartsWith(p[1], StringComparison.Ordinal))
            .OrderByDescending(p => p[1].Length)
            .FirstOrDefault();
        return mounts is null ? "unknown" : $"{mounts[2]} ({mounts[1]})";
    }
}
