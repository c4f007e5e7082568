using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Execution;

public sealed class AutomaticRetryTests : ServiceFixture
{
    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        // Only the job's own retries: the HTTP client tries each call once.
        ["Services:CoreApi:MaxRetries"] = "0",
        ["Jobs:email_scan:Retries"] = "3",
        ["Jobs:email_scan:RetryDelay"] = "00:00:01",
        ["Jobs:email_scan:RetryMaxDelay"] = "00:00:02",
        ["Jobs:export_dlq_replay:Scheduled"] = "true",
        ["Jobs:export_dlq_replay:Cron"] = "0 0 0 1 1 ? 2099",
        ["Jobs:export_dlq_replay:PauseAfterFailures"] = "2",
    };

    [SetUp]
    public void ResetStandIns() => StandIns.State.Reset();

    [Test]
    public async Task ARunFailingTwice_IsRetriedWithBackoff_EachAttemptItsOwnLinkedRow_WithOneIdempotencyKey()
    {
        StandIns.State.SetFault("POST", "/v1/admin/email-scan", new Fault(Status: 500, Times: 2));

        var first = await Service.RunAsync(JobTypes.EmailScan);
        var attempts = await Eventually.Until(() => ChainAsync(first.Id), chain => chain.Count == 3 && chain[2].Status == ExecutionStatus.Completed.ToText(),
            TimeSpan.FromSeconds(30), "the third attempt to complete");

        attempts.Select(a => (a.Attempt, a.Status, a.Trigger)).Should().Equal(
            (1, "failed", "manual"), (2, "failed", "retry"), (3, "completed", "retry"));
        attempts[1].RetryOf.Should().Be(attempts[0].Id);
        attempts[2].RetryOf.Should().Be(attempts[1].Id);
        (attempts[1].StartedAt - attempts[0].CompletedAt).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9), "the first wait is 1 s");
        (attempts[2].StartedAt - attempts[1].CompletedAt).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9), "the second wait doubles, capped at 2 s");
        StandIns.State.RequestsTo("POST", "/v1/admin/email-scan").Select(r => r.Headers["Idempotency-Key"])
            .Should().HaveCount(3).And.OnlyContain(k => k == $"{JobTypes.EmailScan}:{first.Id}", "every attempt of one run sends the same key");
    }

    [Test]
    public async Task ConsecutiveFailedRuns_PauseTheSchedule_WithTheReasonRecorded()
    {
        StandIns.State.SetFault("POST", "/v1/admin/export-dead-letter", new Fault(Status: 503));

        await Service.RunAsync(JobTypes.ExportDlqReplay);
        (await TriggerStateAsync()).Should().Be("WAITING", "one failure is not enough");
        await Service.RunAsync(JobTypes.ExportDlqReplay);

        var state = await Eventually.Until(TriggerStateAsync, s => s == "PAUSED", TimeSpan.FromSeconds(10), "the schedule to pause");
        state.Should().Be("PAUSED");
        await using var connection = await TestDatabase.OpenAsync();
        var health = await connection.QuerySingleAsync<(int Failures, string Error)>(
            "SELECT consecutive_failures, last_error FROM job_heartbeats WHERE name = 'export_dlq_replay'");
        health.Failures.Should().Be(2);
        health.Error.Should().Contain("503");
        var reason = await connection.ExecuteScalarAsync<string>(
            "SELECT row_to_json(t)::text FROM qrtz_triggers t WHERE trigger_name = 'export_dlq_replay' AND trigger_group = 'cron'");
        reason.Should().Contain("paused after 2 consecutive failed runs");
        var audit = await connection.QuerySingleAsync<(string Actor, string Details)>(
            "SELECT actor, details::text FROM audit_log WHERE action = 'schedule.pause' AND target_id = 'export_dlq_replay'");
        audit.Actor.Should().Be("scheduler");
        audit.Details.Should().Contain("paused after 2 consecutive failed runs");
    }

    private static async Task<string> TriggerStateAsync()
    {
        await using var connection = await TestDatabase.OpenAsync();
        return await connection.ExecuteScalarAsync<string>(
            "SELECT trigger_state FROM qrtz_triggers WHERE trigger_name = 'export_dlq_replay' AND trigger_group = 'cron'") ?? "";
    }

    private static async Task<IReadOnlyList<AttemptRow>> ChainAsync(Guid rootId)
    {
        await using var connection = await TestDatabase.OpenAsync();
        var rows = await connection.QueryAsync<AttemptRow>("""
            SELECT id AS Id, attempt AS Attempt, status AS Status, trigger AS Trigger, retry_of AS RetryOf,
                   started_at AS StartedAt, completed_at AS CompletedAt
              FROM scheduled_jobs WHERE id = @rootId OR root_id = @rootId ORDER BY attempt
            """, new { rootId });
        return [.. rows];
    }

    private sealed record AttemptRow(Guid Id, int Attempt, string Status, string Trigger, Guid? RetryOf, DateTime? StartedAt, DateTime? CompletedAt);
}
