using System.Text.Json;

namespace Scheduler.Contracts.Api;

/// <summary>Answer of the scheduler's <c>POST /api/dlq/{kind}/{id}/replay</c>: the item was handed back to the core API's queue.</summary>
/// <param name="Kind">The item's kind.</param>
/// <param name="Id">The item's id.</param>
/// <param name="Response">The core API's JSON answer to the replay, as it gave it (null when it sent none).</param>
public sealed record DeadLetterReplay(string Kind, string Id, JsonElement? Response);
