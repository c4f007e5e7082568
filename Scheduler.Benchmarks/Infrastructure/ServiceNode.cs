using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Scheduler.Benchmarks.Infrastructure;

/// <summary>
/// One node: <c>dotnet Scheduler.Service.dll</c> as its own process with its settings in the environment, as a
/// container runs it. Its output goes to a log file in the work directory (none of it through this process).
/// </summary>
internal sealed class ServiceNode : IAsyncDisposable
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly Process _process;

    private ServiceNode(Process process, string runnerId, string baseUrl, string logFile, DateTimeOffset spawnedAt, string token)
    {
        _process = process;
        RunnerId = runnerId;
        BaseUrl = baseUrl;
        LogFile = logFile;
        SpawnedAt = spawnedAt;
        Client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string RunnerId { get; }

    public string BaseUrl { get; }

    public string LogFile { get; }

    public HttpClient Client { get; }

    public DateTimeOffset SpawnedAt { get; }

    public DateTimeOffset ReadyAt { get; private set; }

    /// <summary>Process start to the first 200 from <c>/readyz</c>.</summary>
    public TimeSpan StartupTime => ReadyAt - SpawnedAt;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Runs <c>dotnet Scheduler.Service.dll migrate</c> against <paramref name="connectionString"/> and waits for it.</summary>
    public static async Task MigrateAsync(string serviceDirectory, string connectionString)
    {
        var start = new ProcessStartInfo("dotnet", ["Scheduler.Service.dll", "migrate"])
        {
            WorkingDirectory = serviceDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ConnectionStrings__Scheduler"] = connectionString;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the migrate command");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"migrate exited {process.ExitCode}: {await output}{await errors}");
        }
    }

    public static async Task<ServiceNode> StartAsync(BenchContext bench, string runnerId, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        var logFile = Path.Combine(bench.Options.WorkDirectory, $"node-{runnerId}.log");
        // exec: the shell becomes the service, so the pid is the service's and kill -9 reaches it directly.
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec dotnet Scheduler.Service.dll >>\"$BENCH_NODE_LOG\" 2>&1"])
        {
            WorkingDirectory = bench.Options.ServiceDirectory,
            UseShellExecute = false,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["BENCH_NODE_LOG"] = logFile;
        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["HOST"] = "127.0.0.1";
        start.Environment["JOB_RUNNER_ID"] = runnerId;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var spawnedAt = DateTimeOffset.UtcNow;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the service process");
        var node = new ServiceNode(process, runnerId, $"http://127.0.0.1:{port}", logFile, spawnedAt, bench.Tokens.Admin);
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"node {runnerId} exited during start-up; see {logFile}:\n{Tail(logFile)}");
            }

            try
            {
                using var response = await Probe.GetAsync(new Uri($"{node.BaseUrl}/readyz"));
                if (response.IsSuccessStatusCode)
                {
                    node.ReadyAt = DateTimeOffset.UtcNow;
                    bench.StartupTimes.Add(node.StartupTime.TotalMilliseconds);
                    return node;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(20);
        }

        await node.DisposeAsync();
        throw new TimeoutException($"node {runnerId} was not ready within 90 s; see {logFile}");
    }

    /// <summary>Resident memory (VmRSS) in MiB, or NaN once the process is gone.</summary>
    public double ResidentMiB()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return kb is null ? double.NaN : double.Parse(kb, CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>SIGKILL: the node dies mid-whatever, with no chance to record anything.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        _process.Kill(entireProcessTree: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod; SIGKILL if it has not exited within a minute.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Client.Dispose();
        _process.Dispose();
    }

    private static string Tail(string file)
    {
        try
        {
            return string.Join('\n', File.ReadLines(file).TakeLast(30));
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
