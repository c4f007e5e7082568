namespace Scheduler.Contracts.Downstream;

/// <summary>A user as the user service lists them for the weekly digest.</summary>
/// <param name="Id">The internal user id (a UUID).</param>
/// <param name="Email">Where the digest goes.</param>
/// <param name="Name">The name the digest greets them by.</param>
public sealed record DigestRecipient(string Id, string Email, string Name);

/// <summary>Answer of the user service's <c>GET /api/users?active=true&amp;weeklyDigest=true&amp;page=P&amp;limit=N</c>.</summary>
/// <param name="Users">This page of active users with the weekly digest enabled, in a stable order.</param>
/// <param name="Page">The page returned, from 1.</param>
/// <param name="Limit">The page size used.</param>
/// <param name="Total">How many users match in all.</param>
public sealed record RecipientPage(IReadOnlyList<DigestRecipient> Users, int Page, int Limit, int Total);

/// <summary>Answer of the user service's <c>GET /api/users/{externalId}</c>: who an identity-provider id is inside the platform.</summary>
/// <param name="Id">The internal user id (a UUID).</param>
/// <param name="ExternalId">The identity provider's id the lookup was made with.</param>
public sealed record UserIdentity(string Id, string? ExternalId = null);

/// <summary>Body of the user service's <c>POST /api/interactions/cleanup</c>.</summary>
/// <param name="OlderThan">Interactions recorded before this instant are deleted.</param>
public sealed record InteractionCleanupRequest(DateTimeOffset OlderThan);

/// <summary>Answer of the user service's <c>POST /api/interactions/cleanup</c>.</summary>
/// <param name="Deleted">How many interactions were deleted.</param>
public sealed record InteractionCleanupResult(int Deleted);
