using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>The user service's data.</summary>
public sealed partial class StandInState
{
    private const int DefaultInteractionsDeleted = 120;

    private readonly List<DigestRecipient> _recipients = [];
    private readonly Dictionary<string, string> _externalUsers = new(StringComparer.Ordinal);
    private int _interactionsDeleted = DefaultInteractionsDeleted;

    /// <summary>What <c>POST /api/interactions/cleanup</c> reports as deleted (default 120).</summary>
    public int InteractionsDeleted
    {
        get { lock (_gate) { return _interactionsDeleted; } }
        set { lock (_gate) { _interactionsDeleted = value; } }
    }

    /// <summary>
    /// Adds <paramref name="count"/> active users with the weekly digest on, numbered on from those already seeded:
    /// user n has id <c>00000000-0000-0000-0000-{n:D12}</c>, email <c>user{n}@example.org</c>, name <c>User {n}</c>.
    /// </summary>
    public void SeedDigestRecipients(int count)
    {
        lock (_gate)
        {
            var start = _recipients.Count;
            for (var n = start + 1; n <= start + count; n++)
            {
                _recipients.Add(new DigestRecipient($"00000000-0000-0000-0000-{n:D12}", $"user{n}@example.org", $"User {n}"));
            }
        }
    }

    /// <summary>Page <paramref name="page"/> (from 1) of the seeded recipients, in seeding order.</summary>
    public RecipientPage DigestRecipients(int page, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_gate)
        {
            var skip = (long)(page - 1) * limit;
            IReadOnlyList<DigestRecipient> users = skip >= _recipients.Count ? [] : [.. _recipients.Skip((int)skip).Take(limit)];
            return new RecipientPage(users, page, limit, _recipients.Count);
        }
    }

    /// <summary>Makes <c>GET /api/users/{externalId}</c> answer with <paramref name="internalId"/>.</summary>
    public void MapExternalUser(string externalId, string internalId)
    {
        lock (_gate)
        {
            _externalUsers[externalId] = internalId;
        }
    }

    /// <summary>The user an identity-provider id maps to, or null when none was mapped.</summary>
    public UserIdentity? FindExternalUser(string externalId)
    {
        lock (_gate)
        {
            return _externalUsers.TryGetValue(externalId, out var id) ? new UserIdentity(id, externalId) : null;
        }
    }

    private void ResetUsers()
    {
        _recipients.Clear();
        _externalUsers.Clear();
        _interactionsDeleted = DefaultInteractionsDeleted;
    }
}
