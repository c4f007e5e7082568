using System.Text.Json;
using FluentAssertions;
using Npgsql;
using Scheduler.Contracts;
using Scheduler.Jobs.Data;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Data;

/// <summary>Timestamps travel as UTC instants, and statuses, triggers and failure kinds as the same text in SQL and JSON.</summary>
public sealed class DapperTypesTests
{
    private sealed record Stamped(DateTimeOffset At, DateTimeOffset? Maybe);

    [Test]
    public async Task ADateTimeOffsetWithAnOffset_IsWrittenAsItsInstant_AndReadBackInUtc()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestDatabase.ConnectionString);
        var at = new DateTimeOffset(2026, 3, 1, 12, 30, 0, TimeSpan.FromHours(2));

        var row = await dataSource.QuerySingleOrDefaultAsync<Stamped>(
            "SELECT @at::timestamptz AS At, @maybe::timestamptz AS Maybe", new { at, maybe = (DateTimeOffset?)null }, CancellationToken.None);
        var text = await dataSource.ExecuteScalarAsync<string>("SELECT to_char(@at AT TIME ZONE 'UTC', 'HH24:MI')", new { at }, CancellationToken.None);

        row!.At.Should().Be(at).And.Subject!.Value.Offset.Should().Be(TimeSpan.Zero);
        row.Maybe.Should().BeNull();
        text.Should().Be("10:30");
    }

    [Test]
    public async Task AScalarTimestamp_ReadsAsADateTimeOffset_OrNull()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestDatabase.ConnectionString);

        var at = await dataSource.QuerySingleOrDefaultAsync<DateTimeOffset?>("SELECT '2026-03-01T10:30:00Z'::timestamptz", null, CancellationToken.None);
        var none = await dataSource.QuerySingleOrDefaultAsync<DateTimeOffset?>("SELECT NULL::timestamptz", null, CancellationToken.None);

        at.Should().Be(new DateTimeOffset(2026, 3, 1, 10, 30, 0, TimeSpan.Zero));
        none.Should().BeNull();
    }

    [Test]
    public void EveryStatusTriggerAndFailureKind_HasTheSameTextInJsonAsInSql()
    {
        EnumText.All<ExecutionStatus>().Should().Equal("scheduled", "pending", "running", "completed", "failed", "cancelled", "skipped");
        EnumText.All<ExecutionTrigger>().Should().Equal("manual", "cron", "retry", "recovery", "backfill", "schedule");
        EnumText.All<FailureKind>().Should().Equal(
            "error", "timeout", "cancelled", "runner_lost", "recovery_abandoned", "stuck", "shutdown", "not_submitted", "overlap", "misfire");

        foreach (var kind in Enum.GetValues<FailureKind>())
        {
            JsonSerializer.Serialize(kind, JsonSerializerOptions.Web).Should().Be($"\"{kind.ToText()}\"");
            JsonSerializer.Deserialize<FailureKind>($"\"{kind.ToText()}\"", JsonSerializerOptions.Web).Should().Be(kind);
        }

        EnumText.Parse<ExecutionStatus>("running").Should().Be(ExecutionStatus.Running);
        EnumText.TryParse<ExecutionStatus>("Running", out _).Should().BeFalse("the text is exact, as the database stores it");
    }
}
