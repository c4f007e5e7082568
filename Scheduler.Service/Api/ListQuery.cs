using System.ComponentModel.DataAnnotations;
using Scheduler.Jobs.Data;

namespace Scheduler.Service.Api;

/// <summary>
/// What every list's query string has: a <c>from</c>/<c>to</c> window and paging by <c>page</c> (from 1) and
/// <c>limit</c> (1 to 200, default 50), or by <c>cursor</c> (a page's <c>nextCursor</c>) instead of <c>page</c>.
/// Values arrive as text and are checked here, so a bad one is a 400 naming it rather than a binding failure.
/// </summary>
public abstract class ListQuery : IStrictQuery, IValidatableObject
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    private const int MaxPage = 1_000_000;

    [QueryTimestamp]
    public string? From { get; init; }

    [QueryTimestamp]
    public string? To { get; init; }

    [WholeNumber(1, MaxPage)]
    public string? Page { get; init; }

    [WholeNumber(1, MaxLimit)]
    public string? Limit { get; init; }

    public string? Cursor { get; init; }

    /// <summary>The kind of id the listed rows have, which a cursor must carry.</summary>
    protected abstract PageCursorId CursorIds { get; }

    public int PageNumber => QueryValues.WholeNumber(Page) ?? 1;

    public int PageSize => QueryValues.WholeNumber(Limit) ?? DefaultLimit;

    public DateTimeOffset? FromTime => QueryValues.Timestamp(From);

    public DateTimeOffset? ToTime => QueryValues.Timestamp(To);

    public PageCursor? After => string.IsNullOrEmpty(Cursor) ? null : PageCursor.TryDecode(Cursor, CursorIds, out var after) ? after : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FromTime is { } from && ToTime is { } to && from >= to)
        {
            yield return new ValidationResult("Must be later than 'from'.", [nameof(To)]);
        }

        if (string.IsNullOrEmpty(Cursor))
        {
            yield break;
        }

        if (After is null)
        {
            yield return new ValidationResult("Not a cursor this API gave out: pass a page's nextCursor as it came.", [nameof(Cursor)]);
        }
        else if (Page is not null)
        {
            yield return new ValidationResult("Give page or cursor, not both.", [nameof(Page)]);
        }
    }
}
