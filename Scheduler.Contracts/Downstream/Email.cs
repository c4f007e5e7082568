namespace Scheduler.Contracts.Downstream;

/// <summary>Body of the email service's <c>POST /api/send</c>: a batch of messages.</summary>
/// <param name="Messages">The messages to send; each carries its own idempotency key.</param>
public sealed record SendEmailRequest(IReadOnlyList<EmailMessage> Messages);

/// <summary>One email to one person.</summary>
/// <param name="IdempotencyKey">
/// Stable for this message's purpose, for example <c>weekly_digest:2026-W47:&lt;userId&gt;</c>; the email
/// service sends a key at most once, however often it is posted.
/// </param>
/// <param name="To">The recipient's address.</param>
/// <param name="Name">The recipient's name, for the greeting.</param>
/// <param name="Template">The template to render, for example <c>weekly_digest</c>.</param>
/// <param name="Subject">The subject line.</param>
/// <param name="Content">The items the template lists.</param>
public sealed record EmailMessage(
    string IdempotencyKey,
    string To,
    string Name,
    string Template,
    string Subject,
    IReadOnlyList<Recommendation> Content);

/// <summary>The email service's outcome for one message.</summary>
/// <param name="IdempotencyKey">The message's key.</param>
/// <param name="Success">Whether the message was accepted for delivery (now or earlier).</param>
/// <param name="Duplicate">True when the key had already been sent and this post changed nothing.</param>
/// <param name="Error">Why it failed, if it did.</param>
public sealed record EmailSendResult(string IdempotencyKey, bool Success, bool Duplicate = false, string? Error = null);

/// <summary>Answer of the email service's <c>POST /api/send</c>.</summary>
/// <param name="Sent">How many messages were accepted, duplicates included.</param>
/// <param name="Failed">How many were refused.</param>
/// <param name="Results">One entry per message posted.</param>
public sealed record SendEmailResponse(int Sent, int Failed, IReadOnlyList<EmailSendResult> Results);
