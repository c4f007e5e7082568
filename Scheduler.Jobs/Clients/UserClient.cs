using System.Net;
using Scheduler.Contracts.Downstream;

namespace Scheduler.Jobs.Clients;

/// <summary>The user service.</summary>
public sealed class UserClient(HttpClient http)
{
    /// <summary><c>GET /api/users?active=true&amp;weeklyDigest=true&amp;page=P&amp;limit=N</c></summary>
    public Task<RecipientPage> GetDigestRecipientsAsync(int page, int limit, CancellationToken cancellationToken) =>
        DownstreamCall.SendAsync<RecipientPage>(http, ServiceNames.User,
            DownstreamCall.Request(HttpMethod.Get, $"/api/users?active=true&weeklyDigest=true&page={page}&limit={limit}"), cancellationToken);

    /// <summary><c>GET /api/users/{externalId}</c>; null when the service does not know the id.</summary>
    public async Task<UserIdentity?> FindByExternalIdAsync(string externalId, CancellationToken cancellationToken)
    {
        try
        {
            return await DownstreamCall.SendAsync<UserIdentity>(http, ServiceNames.User,
                DownstreamCall.Request(HttpMethod.Get, $"/api/users/{Uri.EscapeDataString(externalId)}"), cancellationToken);
        }
        catch (DownstreamServiceException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary><c>POST /api/interactions/cleanup</c>: deletes interactions recorded before <paramref name="olderThan"/>.</summary>
    public Task<InteractionCleanupResult> CleanupInteractionsAsync(DateTimeOffset olderThan, string idempotencyKey, CancellationToken cancellationToken) =>
        DownstreamCall.SendAsync<InteractionCleanupResult>(http, ServiceNames.User,
            DownstreamCall.Request(HttpMethod.Post, "/api/interactions/cleanup", idempotencyKey, new InteractionCleanupRequest(olderThan)), cancellationToken);
}
