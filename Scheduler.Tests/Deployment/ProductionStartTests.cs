using System.Diagnostics;
using System.Globalization;
using System.Net;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Deployment;

/// <summary>
/// The service started the way the prod Deployment starts it: <c>dotnet Scheduler.Service.dll</c> in Production with
/// exactly the environment the pod gets (the ConfigMap's keys, the Secret's keys with secret.example.yaml's values,
/// POD_NAME from the downward API) and nothing else from configuration. Only what cannot leave this machine is
/// changed: a fresh test database instead of the example connection string, a loopback address and free port
/// instead of 0.0.0.0:8080, and loopback instead of the other services' addresses. It must migrate, become ready,
/// answer the probes, and stop on SIGTERM within the pod's termination grace period.
/// </summary>
public sealed class ProductionStartTests
{
    [Test]
    public async Task Service_WithTheProdPodsEnvironment_StartsInProduction_PassesItsProbes_AndStopsWithinTheGracePeriod()
    {
        var rendered = await Manifests.OverlayAsync("prod");
        var secretExample = Manifests.Parse(await File.ReadAllTextAsync(Path.Combine(Manifests.K8sDirectory, "base", "secret.example.yaml"))).Single();
        var secretValues = Manifests.Map(secretExample["stringData"]);
        var secretKeys = ManifestTests.SecretKeyRefs(rendered).ToDictionary(r => r.Variable, r => r.Key, StringComparer.Ordinal);
        var podName = "scheduler-service-5d8f7c9b6-x2k4q";
        var port = FreePort();

        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var variable in ManifestTests.DeploymentVariables(rendered))
        {
            environment[variable.Name] = variable.Source switch
            {
                "field metadata.name" => podName,
                var s when s.StartsWith("Secret ", StringComparison.Ordinal) => secretValues[secretKeys[variable.Name]],
                _ => variable.Value,
            };
        }

        environment.Should().ContainKey("ConnectionStrings__Scheduler");
        environment["ConnectionStrings__Scheduler"] = await TestDatabase.CreateEmptyDatabaseAsync("deploy");
        environment["HOST"] = "127.0.0.1";
        environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        foreach (var key in environment.Keys.Where(k => k.EndsWith("_SERVICE_URL", StringComparison.Ordinal) || k == "API_BASE").ToList())
        {
            // Nothing listens there: the downstream services are not this test's business, and no call leaves the machine.
            environment[key] = "http://127.0.0.1:9";
        }

        using var process = Launch(environment);
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string Output() { lock (output) { return output.ToString(); } }

        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var ready = await Eventually.Until(async () =>
            {
                if (process.HasExited)
                {
                    Assert.Fail($"the service exited during start-up (exit {process.ExitCode}) with the prod pod's environment:\n{Output()}");
                }

                try
                {
                    using var response = await http.GetAsync("/readyz");
                    return response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return HttpStatusCode.ServiceUnavailable;
                }
            }, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the service started with the prod environment to be ready");
            ready.Should().Be(HttpStatusCode.OK);

            foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
            {
                var path = Manifests.Text(rendered.Container[probe]?["httpGet"]?["path"]);
                using var response = await http.GetAsync(path);
                response.StatusCode.Should().Be(HttpStatusCode.OK, $"{probe} GET {path} on the service as the pod runs it");
            }

            var readiness = await http.GetStringAsync("/readyz");
            readiness.Should().Contain($"\"runner_id\":\"{podName}\"", "the runner id is the pod's name (POD_NAME from the downward API)");
            Output().Should().Contain("Hosting environment: Production", "the pod runs the service as Production");

            var grace = TimeSpan.FromSeconds(rendered.PodSpec["terminationGracePeriodSeconds"]!.GetValue<long>());
            var stopwatch = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the service did not stop within terminationGracePeriodSeconds ({grace.TotalSeconds} s) of SIGTERM:\n{Output()}");
            }

            stopwatch.Elapsed.Should().BeLessThan(grace);
            process.ExitCode.Should().Be(0, $"a SIGTERM is a clean stop:\n{Output()}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    /// <summary>
    /// <c>dotnet Scheduler.Service.dll</c> with <paramref name="environment"/> and, of this test run's own environment,
    /// nothing the service would read (<c>Section__Key</c>, the names it reads directly, <c>ASPNETCORE_*</c>, <c>DOTNET_ENVIRONMENT</c>): the pod gets only what the manifests give it.
    /// </summary>
    private static Process Launch(IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet", "Scheduler.Service.dll")
        {
            WorkingDirectory = ServiceProcess.ServiceDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var direct = ServiceSettings.DirectVariables();
        foreach (var inherited in start.Environment.Keys.Where(k => k.Contains("__", StringComparison.Ordinal) || direct.Contains(k)
                     || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k == "DOTNET_ENVIRONMENT").ToList())
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the service process");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
