using Microsoft.Extensions.Configuration;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// This process's runner id: the Quartz instance id, the <c>runner_id</c> on the rows it writes.
/// <c>JOB_RUNNER_ID</c>, else <c>POD_NAME</c>, else host name and process id, so that two
/// processes on one host never share an id.
/// </summary>
public sealed record RunnerIdentity(string Id)
{
    public static RunnerIdentity From(IConfiguration configuration)
    {
        var id = FirstNonEmpty(configuration["JOB_RUNNER_ID"], configuration["POD_NAME"])
            ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        return new RunnerIdentity(id);
    }

    private static string? FirstNonEmpty(params string?[] values) =>
        values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
}
