using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduler.Contracts.Api;
using Scheduler.Contracts.Downstream;
using Scheduler.Jobs.Audit;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Execution;

namespace Scheduler.Jobs.DeadLetters;

/// <summary>
/// The core API's dead letters as operators reach them through the scheduler: listed, and replayed one at a time with
/// the replay audited. The core API's Basic credentials stay in its typed client; nothing here repeats them.
/// </summary>
public sealed partial class DeadLetterControl(
    CoreApiClient core,
    DownstreamEndpoints endpoints,
    AuditLog audit,
    IOptions<DeadLetterOptions> options,
    ILogger<DeadLetterControl> logger)
{
    /// <summary>The most of a replay's answer kept in its audit row.</summary>
    private const int MaxAuditedAnswer = 4096;

    private const string Caller = "the dead-letter API";

    /// <summary>The newest <paramref name="limit"/> dead letters of <paramref name="kind"/> (or <c>all</c>) and each kind's total.</summary>
    public Task<DeadLetterOutcome> ListAsync(string kind, int limit, CancellationToken cancellationToken) =>
        CallAsync(async token => new DeadLetterOutcome.Listed(await core.ListDeadLettersAsync(kind, limit, token)), cancellationToken);

    /// <summary>Replays one dead letter and records who did it and what the core API answered.</summary>
    public async Task<DeadLetterOutcome> ReplayAsync(string kind, string id, Requester requester, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requester);
        // One key per request: the resilience pipeline's retries of this replay are one replay, and a later replay of
        // an item dead-lettered again under the same id is a new one.
        var key = $"dlq_replay:{kind}:{Guid.NewGuid():N}";
        var outcome = await CallAsync(async token => new DeadLetterOutcome.Replayed(
            new DeadLetterReplay(kind, id, await core.ReplayDeadLetterAsync(kind, id, key, token))), cancellationToken);

        var (result, answer) = outcome switch
        {
            DeadLetterOutcome.Replayed replayed => (AuditOutcomes.Accepted, Bounded(replayed.Replay.Response)),
            DeadLetterOutcome.NotFound notFound => (AuditOutcomes.Rejected, notFound.Detail),
            DeadLetterOutcome.Failed failed => (AuditOutcomes.Failed, failed.Detail),
            _ => (AuditOutcomes.Failed, null),
        };
        await audit.RecordAfterTheFactAsync(
            new AuditRecord(AuditActions.DlqReplay, requester.Actor, AuditTargetTypes.DeadLetter, $"{kind}/{id}", null, requester.RemoteAddress, result,
                new { kind, id, coreApiAnswer = answer }),
            logger);
        if (outcome is DeadLetterOutcome.Replayed)
        {
            LogReplayed(kind, id, requester.Actor);
        }

        return outcome;
    }

    /// <summary>Runs one call to the core API within <see cref="DeadLetterOptions.RequestTimeout"/>, its failure told apart by kind.</summary>
    private async Task<DeadLetterOutcome> CallAsync(Func<CancellationToken, Task<DeadLetterOutcome>> call, CancellationToken cancellationToken)
    {
        if (endpoints.Unusable(ServiceNames.CoreApi, Caller) is { } missing)
        {
            return new DeadLetterOutcome.Failed(DeadLetterFailure.Unavailable, $"The core API is not configured: {missing}");
        }

        var timeout = options.Value.RequestTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await call(deadline.Token);
        }
        catch (DownstreamServiceException ex)
        {
            LogCallFailed(ex.Message);
            return ex switch
            {
                { Status: System.Net.HttpStatusCode.NotFound } => new DeadLetterOutcome.NotFound(ex.Message),
                { Failure: DownstreamFailure.TimedOut } => new DeadLetterOutcome.Failed(DeadLetterFailure.TimedOut, ex.Message),
                { Failure: DownstreamFailure.Unreachable or DownstreamFailure.CircuitOpen } => new DeadLetterOutcome.Failed(DeadLetterFailure.Unavailable, ex.Message),
                { Status: System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden } =>
                    new DeadLetterOutcome.Failed(DeadLetterFailure.BadAnswer, $"{ex.Message}: the core API refused the scheduler's admin credentials (ADMIN_BASIC_USERNAME, ADMIN_BASIC_PASSWORD)"),
                _ => new DeadLetterOutcome.Failed(DeadLetterFailure.BadAnswer, ex.Message),
            };
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var detail = $"core API service did not answer within {timeout.TotalSeconds:0.###}s (DeadLetters:RequestTimeout)";
            LogCallFailed(detail);
            return new DeadLetterOutcome.Failed(DeadLetterFailure.TimedOut, detail);
        }
    }

    /// <summary>The answer as the audit row keeps it: its JSON text, cut at <see cref="MaxAuditedAnswer"/> characters.</summary>
    private static string? Bounded(JsonElement? answer)
    {
        if (answer is not { } json)
        {
            return null;
        }

        var text = json.GetRawText();
        return text.Length <= MaxAuditedAnswer ? text : text[..MaxAuditedAnswer] + "…";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dead letter {Kind}/{Id} replayed by {Actor}")]
    private partial void LogReplayed(string kind, string id, string actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A dead-letter call to the core API failed: {Detail}")]
    private partial void LogCallFailed(string detail);
}

/// <summary>Why a dead-letter call gave no answer to pass on.</summary>
public enum DeadLetterFailure
{
    /// <summary>The core API answered with an error, refused the credentials, or sent what could not be read (502).</summary>
    BadAnswer,

    /// <summary>The core API could not be reached, its circuit is open, or it is not configured (503).</summary>
    Unavailable,

    /// <summary>The core API did not answer in time (504).</summary>
    TimedOut,
}

/// <summary>What a dead-letter call came to.</summary>
public abstract record DeadLetterOutcome
{
    private DeadLetterOutcome()
    {
    }

    /// <summary>The listing, as the core API gave it.</summary>
    public sealed record Listed(DeadLetterListing Listing) : DeadLetterOutcome;

    /// <summary>The item was replayed.</summary>
    public sealed record Replayed(DeadLetterReplay Replay) : DeadLetterOutcome;

    /// <summary>The core API has no such item (404).</summary>
    public sealed record NotFound(string Detail) : DeadLetterOutcome;

    /// <summary>The call failed; <paramref name="Detail"/> says how, never with credentials.</summary>
    public sealed record Failed(DeadLetterFailure Failure, string Detail) : DeadLetterOutcome;
}
