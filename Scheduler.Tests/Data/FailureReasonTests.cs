using Dapper;
using FluentAssertions;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Data;

/// <summary>
/// <c>scheduler_failure_reason(error)</c> (migration 018) is the one normalisation of an error that statistics group
/// by and the filters match: errors that differ only in numbers, ids and URLs fall into one reason; different words
/// stay apart.
/// </summary>
public sealed class FailureReasonTests
{
    [TestCase("Crawler service answered 503 ServiceUnavailable to POST /api/crawl/pending",
              "Crawler service answered <n> ServiceUnavailable to POST /api/crawl/pending")]
    [TestCase("Core API service answered 404 NotFound to POST /v1/admin/outbox/12345/replay",
              "Core API service answered <n> NotFound to POST /v1/admin/outbox/<n>/replay")]
    [TestCase("Email service did not answer POST /send within 10.5s", "Email service did not answer POST /send within <n>s")]
    [TestCase("Discovery service could not be reached for GET http://127.0.0.1:7101/x?a=1 (Connection refused)",
              "Discovery service could not be reached for GET <url> (Connection refused)")]
    [TestCase("run 3F2B1C9E-8D7A-4B6C-9E1F-0A2B3C4D5E6F lost its lease", "run <id> lost its lease")]
    [TestCase("token abcdef1234567890 rejected; user_9f8e7d6c5b gone", "token <id> rejected; <id> gone")]
    [TestCase("line one\n  line two 42\t", "line one line two <n>")]
    [TestCase("   ", "(no error message)")]
    [TestCase(null, "(no error message)")]
    public async Task AnError_IsNormalised_WithNumbersIdsAndUrlsMasked(string? error, string reason)
    {
        await using var connection = await TestDatabase.OpenAsync();

        var normalised = await connection.ExecuteScalarAsync<string>("SELECT scheduler_failure_reason(@error)", new { error });

        normalised.Should().Be(reason);
    }

    private static readonly string[] ErrorsOfOneReplayEndpoint =
    [
        "Core API service answered 500 InternalServerError to POST /v1/admin/outbox/17/replay",
        "Core API service answered 502 BadGateway to POST /v1/admin/outbox/17/replay",
        "Core API service answered 500 InternalServerError to POST /v1/admin/outbox/981/replay",
    ];

    [Test]
    public async Task ErrorsThatDifferOnlyInTheirIds_ShareAReason_AndOtherWordsDoNot()
    {
        await using var connection = await TestDatabase.OpenAsync();

        var reasons = await connection.QueryAsync<string>(
            "SELECT DISTINCT scheduler_failure_reason(e) FROM unnest(@errors) AS e",
            new { errors = ErrorsOfOneReplayEndpoint });

        reasons.Should().BeEquivalentTo(
            "Core API service answered <n> InternalServerError to POST /v1/admin/outbox/<n>/replay",
            "Core API service answered <n> BadGateway to POST /v1/admin/outbox/<n>/replay");
    }

    [Test]
    public async Task AReason_IsCutTo200Characters()
    {
        await using var connection = await TestDatabase.OpenAsync();

        var reason = await connection.ExecuteScalarAsync<string>("SELECT scheduler_failure_reason(@error)", new { error = new string('x', 500) });

        reason.Should().HaveLength(200);
    }
}
