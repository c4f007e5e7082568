namespace Scheduler.Contracts.Downstream;

/// <summary>The kinds of dead letter the core API keeps, as <c>GET /v1/admin/queue/dlq?kind=</c> names them.</summary>
public static class DeadLetterKinds
{
    /// <summary>Notification and webhook deliveries from the outbox that ran out of attempts.</summary>
    public const string Outbox = "outbox";

    /// <summary>Exports that ran out of attempts.</summary>
    public const string Export = "export";

    /// <summary>The listing's kind for every kind at once (not a kind of item).</summary>
    public const string All = "all";

    /// <summary>The kinds an item can have, in the order listings report their totals.</summary>
    public static IReadOnlyList<string> Each { get; } = [Outbox, Export];

    /// <summary>What <c>kind=</c> accepts: each kind, or <c>all</c>.</summary>
    public static IReadOnlyList<string> Listable { get; } = [All, Outbox, Export];
}

/// <summary>One dead letter: an outbox delivery or an export the core API gave up on.</summary>
/// <param name="Id">The item's id within its kind; what its replay call names.</param>
/// <param name="Kind">One of <see cref="DeadLetterKinds.Each"/>.</param>
/// <param name="Error">The last attempt's error, as the core API recorded it.</param>
/// <param name="Attempts">How many attempts were made before it was dead-lettered.</param>
/// <param name="CreatedAt">When the item (the delivery or export) was first queued.</param>
/// <param name="FailedAt">When it was dead-lettered (its last attempt failed).</param>
/// <param name="Topic">What the item is, e.g. <c>webhook.submission</c> or <c>export.csv</c>; free text, may be absent.</param>
public sealed record DeadLetter(string Id, string Kind, string Error, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset FailedAt, string? Topic = null);

/// <summary>
/// Answer of the core API's <c>GET /v1/admin/queue/dlq?kind=&lt;kind|all&gt;&amp;limit=N</c>, and of the scheduler's
/// <c>GET /api/dlq</c>: the newest <paramref name="Limit"/> dead letters of <paramref name="Kind"/>, and how many
/// there are of each kind, so <c>limit=1</c> reads the depth.
/// </summary>
/// <param name="Kind">The kind asked for: one of <see cref="DeadLetterKinds.Listable"/>.</param>
/// <param name="Limit">The most items returned.</param>
/// <param name="Total">How many dead letters of <paramref name="Kind"/> there are (every kind's for <c>all</c>).</param>
/// <param name="Totals">How many there are of each kind (every kind, whatever was asked for).</param>
/// <param name="Items">The newest dead letters of <paramref name="Kind"/> (by <see cref="DeadLetter.FailedAt"/>), at most <paramref name="Limit"/>.</param>
public sealed record DeadLetterListing(string Kind, int Limit, long Total, IReadOnlyDictionary<string, long> Totals, IReadOnlyList<DeadLetter> Items);
