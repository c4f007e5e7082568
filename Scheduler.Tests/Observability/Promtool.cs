using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Observability;

/// <summary>Prometheus's <c>promtool</c> (Debian package <c>prometheus</c>), which checks and unit-tests the alert rules and checks the dashboard's queries.</summary>
public static class Promtool
{
    /// <summary>Runs <c>promtool</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>; stdout and stderr together.</summary>
    public static async Task<Tool.Result> RunAsync(string workingDirectory, params string[] arguments) =>
        await Tool.RunAsync("promtool", arguments, "apt-get install -y prometheus", workingDirectory: workingDirectory);
}
