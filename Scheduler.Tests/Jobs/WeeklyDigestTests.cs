using System.Globalization;
using System.Text.Json;
using Dapper;
using FluentAssertions;
using Scheduler.Contracts;
using Scheduler.Contracts.Downstream;
using Scheduler.StandIns;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Jobs;

public sealed class WeeklyDigestTests : ServiceFixture
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Jobs:weekly_digest:UserPageSize"] = "2",
        ["Jobs:weekly_digest:EmailBatchSize"] = "2",
        ["Jobs:weekly_digest:RecommendationsPerUser"] = "2",
        ["Services:Email:AttemptTimeout"] = "00:00:00.5",
        ["Services:Email:TotalTimeout"] = "00:00:03",
    };

    [SetUp]
    public async Task ResetStandInsAndDeliveries()
    {
        StandIns.State.Reset();
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync("TRUNCATE digest_deliveries");
    }

    [Test]
    public async Task WeeklyDigest_PagesUsers_MailsTheirRecommendationsInBatches_AndCountsSentSkippedFailed()
    {
        StandIns.State.SeedDigestRecipients(5);
        StandIns.State.SetRecommendations(User(3), 0);
        StandIns.State.Bounce("user4@example.org");

        var done = await Service.RunAsync(JobTypes.WeeklyDigest);

        done.Status.Should().Be(ExecutionStatus.Completed);
        StandIns.State.RequestsTo("GET", "/api/users").Select(r => r.Query).Should().Equal(
            "?active=true&weeklyDigest=true&page=1&limit=2",
            "?active=true&weeklyDigest=true&page=2&limit=2",
            "?active=true&weeklyDigest=true&page=3&limit=2");
        StandIns.State.RequestsTo("GET", "/api/recommendations").Should().HaveCount(5);

        var week = IsoWeek(done.StartedAt!.Value);
        var batches = StandIns.State.RequestsTo("POST", "/api/send");
        var sent = batches.Select(b => JsonSerializer.Deserialize<SendEmailRequest>(b.Body, Web)!).ToList();
        sent.Select(b => string.Join(",", b.Messages.Select(m => m.To))).Should().Equal(
            "user1@example.org,user2@example.org", "user4@example.org,user5@example.org");
        var first = sent[0].Messages[0];
        first.Name.Should().Be("User 1");
        first.IdempotencyKey.Should().Be($"weekly_digest:{week}:{User(1)}");
        first.Content.Select(c => c.Id).Should().Equal($"rec-{User(1)}-1", $"rec-{User(1)}-2");
        batches.Select(b => b.Headers["Idempotency-Key"]).Should().OnlyHaveUniqueItems()
            .And.OnlyContain(k => k.StartsWith($"weekly_digest:{week}:batch-", StringComparison.Ordinal));

        var details = done.Result!.Details;
        Number(details["sent"]).Should().Be(3);
        Number(details["skipped"]).Should().Be(1);
        Number(details["failed"]).Should().Be(1);
        details["week"]!.ToString().Should().Be(week);
        done.Result.Errors.Should().Equal($"user {User(4)}: mailbox unavailable");
        (await RecordedAsync(week)).Should().BeEquivalentTo([User(1), User(2), User(5)]);
    }

    [Test]
    public async Task WeeklyDigest_RunTwiceInOneWeek_MailsEachUserOnce()
    {
        StandIns.State.SeedDigestRecipients(3);

        var firstRun = await Service.RunAsync(JobTypes.WeeklyDigest);
        var secondRun = await Service.RunAsync(JobTypes.WeeklyDigest);

        firstRun.Status.Should().Be(ExecutionStatus.Completed);
        secondRun.Status.Should().Be(ExecutionStatus.Completed);
        Number(secondRun.Result!.Details["sent"]).Should().Be(0);
        Number(secondRun.Result.Details["skippedAlreadySent"]).Should().Be(3);
        secondRun.Result.Details["note"]!.ToString().Should().StartWith("nobody left to mail");
        StandIns.State.RequestsTo("POST", "/api/send").Should().HaveCount(2, "only the first run posts (3 users in batches of 2)");
        StandIns.State.Deliveries.Select(d => d.To).Should().OnlyHaveUniqueItems().And.HaveCount(3);
    }

    [Test]
    public async Task WeeklyDigest_RunAgainAfterLosingItsRecord_IsDeduplicatedByTheMessageKeys()
    {
        // As if a run had sent and then died before recording who it mailed.
        StandIns.State.SeedDigestRecipients(3);
        await Service.RunAsync(JobTypes.WeeklyDigest);
        await using (var connection = await TestDatabase.OpenAsync())
        {
            await connection.ExecuteAsync("TRUNCATE digest_deliveries");
        }

        var again = await Service.RunAsync(JobTypes.WeeklyDigest);

        again.Status.Should().Be(ExecutionStatus.Completed);
        Number(again.Result!.Details["alreadyAcceptedByEmailService"]).Should().Be(3);
        StandIns.State.Deliveries.Should().HaveCount(3, "the email service sends each key once");
        (await RecordedAsync(IsoWeek(again.StartedAt!.Value))).Should().HaveCount(3, "the record is written again");
    }

    [Test]
    public async Task WeeklyDigest_WhenTheUserServiceFails_FailsNamingServiceAndStatus()
    {
        StandIns.State.SeedDigestRecipients(3);
        StandIns.State.SetFault("GET", "/api/users", new Fault(Status: 500));

        var failed = await Service.RunAsync(JobTypes.WeeklyDigest);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        failed.Error.Should().Be("user service answered 500 InternalServerError to GET /api/users");
        StandIns.State.RequestsTo("GET", "/api/users").Should().HaveCount(4, "a GET is retried: 1 + 3 attempts");
        StandIns.State.RequestsTo("POST", "/api/send").Should().BeEmpty();
    }

    [Test]
    public async Task WeeklyDigest_WhenTheEmailServiceTimesOut_FailsNamingTheService_AndRecordsNobody()
    {
        StandIns.State.SeedDigestRecipients(2);
        StandIns.State.SetFault("POST", "/api/send", new Fault(DelayMs: 30_000));

        var failed = await Service.RunAsync(JobTypes.WeeklyDigest);

        failed.Status.Should().Be(ExecutionStatus.Failed);
        failed.Error.Should().Be("email service did not answer POST /api/send within 0.5s");
        StandIns.State.RequestsTo("POST", "/api/send").Should().OnlyContain(r => r.Aborted, "each attempt was abandoned, not left running");
        (await RecordedAsync(IsoWeek(failed.StartedAt!.Value))).Should().BeEmpty();
    }

    private static string User(int n) => $"00000000-0000-0000-0000-{n:D12}";

    private static string IsoWeek(DateTimeOffset at) =>
        $"{ISOWeek.GetYear(at.UtcDateTime):D4}-W{ISOWeek.GetWeekOfYear(at.UtcDateTime):D2}";

    private static async Task<IReadOnlyList<string>> RecordedAsync(string week)
    {
        await using var connection = await TestDatabase.OpenAsync();
        return [.. await connection.QueryAsync<string>("SELECT user_id FROM digest_deliveries WHERE digest_week = @week", new { week })];
    }

    private static long Number(object? value) => ((JsonElement)value!).GetInt64();
}
