using Dapper;
using FluentAssertions;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

public sealed class CronOverlapTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:crawl_pending:Scheduled"] = "true",
        ["Jobs:crawl_pending:Cron"] = "* * * * * ?",
    };

    [Test]
    public async Task ACronFiring_WhileTheTypeRuns_IsRecordedSkipped_NamingTheRunningExecution()
    {
        StandIns.State.SetFault("GET", "/api/discoveries", new Fault(DelayMs: 3000));

        var skipped = await Eventually.Until(SkippedAsync, rows => rows.Count >= 2, TimeSpan.FromSeconds(20), "skipped occurrences");
        StandIns.State.ClearFault("GET", "/api/discoveries");

        await using var connection = await TestDatabase.OpenAsync();
        var runningIds = (await connection.QueryAsync<Guid>(
            "SELECT id FROM scheduled_jobs WHERE trigger = 'cron' AND status IN ('running', 'completed')")).ToHashSet();
        foreach (var row in skipped)
        {
            row.Error.Should().MatchRegex("^skipped: execution [0-9a-f-]{36} of crawl_pending was still pending or running$");
            runningIds.Should().Contain(Guid.Parse(row.Error["skipped: execution ".Length..][..36]));
            row.ScheduledFor.Should().NotBeNull("a skipped occurrence keeps its fire time, so missed work is visible");
            row.Failure.Should().Be("overlap");
        }
    }

    private static async Task<IReadOnlyList<SkippedRow>> SkippedAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        var rows = await connection.QueryAsync<SkippedRow>("""
            SELECT error AS Error, scheduled_for AS ScheduledFor, result->'details'->>'failure' AS Failure
              FROM scheduled_jobs WHERE status = 'skipped' AND trigger = 'cron'
            """);
        return [.. rows];
    }

    private sealed record SkippedRow(string Error, DateTime? ScheduledFor, string Failure);
}
