using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Scheduler.Jobs.Clients;

namespace Scheduler.Jobs.Execution;

/// <summary>
/// Turns the identity provider's user id a trigger arrives with into the platform's internal user
/// id (the user service's <c>GET /api/users/{externalId}</c>), cached briefly. When the user service
/// is down, slow or does not know the id, the external id is kept and the trigger still succeeds.
/// </summary>
public sealed partial class StartedByResolver(UserClient users, IMemoryCache cache, ILogger<StartedByResolver> logger)
{
    /// <summary>How long a resolved id is remembered.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);

    /// <summary>How long an id the user service does not know is remembered as unknown.</summary>
    public static readonly TimeSpan CacheUnknownFor = TimeSpan.FromMinutes(1);

    /// <summary>How long a trigger waits for the user service before keeping the external id.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    public async Task<string?> ResolveAsync(string? externalId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(externalId) || Guid.TryParse(externalId, out _))
        {
            return externalId;
        }

        var cacheKey = $"started-by:{externalId}";
        if (cache.TryGetValue(cacheKey, out string? known) && known is not null)
        {
            return known;
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Budget);
        try
        {
            var user = await users.FindByExternalIdAsync(externalId, budget.Token);
            if (user is null || string.IsNullOrWhiteSpace(user.Id))
            {
                LogUnknown(externalId);
                cache.Set(cacheKey, externalId, CacheUnknownFor);
                return externalId;
            }

            cache.Set(cacheKey, user.Id, CacheFor);
            return user.Id;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is DownstreamServiceException or OperationCanceledException or InvalidOperationException)
        {
            // InvalidOperationException: no user service configured (no base address).
            LogUnresolved(externalId, ex.Message);
            return externalId;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User service does not know {ExternalId}; recording it as given")]
    private partial void LogUnknown(string externalId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not resolve {ExternalId} through the user service ({Reason}); recording it as given")]
    private partial void LogUnresolved(string externalId, string reason);
}
