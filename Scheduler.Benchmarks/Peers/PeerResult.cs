using Scheduler.Benchmarks.Infrastructure;

namespace Scheduler.Benchmarks.Peers;

/// <summary>One throughput measurement: N executions, how long, what it cost the database, and whether each ran exactly once.</summary>
internal sealed record ThroughputResult(
    string System, string Mode, int Executions, TimeSpan Elapsed, DbDelta Database, int Duplicates, int Lost, string Notes)
{
    public double PerSecond => Executions / Elapsed.TotalSeconds;

    public double CommitsPerExecution => (double)Database.Commits / Executions;

    public double StatementsPerExecution => (double)Database.Statements / Executions;
}
