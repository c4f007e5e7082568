using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>The core API's admin endpoints: their Basic credentials, what they report, and the dead letters they keep.</summary>
public sealed partial class StandInState
{
    public const string DefaultAdminUsername = "admin";
    public const string DefaultAdminPassword = "stand-in-password";
    private const int DefaultAdminProcessed = 1;

    /// <summary>The dead letters every start and reset begins with: two outbox deliveries and one export.</summary>
    public static IReadOnlyList<DeadLetter> SeededDeadLetters { get; } =
    [
        new("ob-1001", DeadLetterKinds.Outbox, "webhook https://hooks.example.org/submissions answered 500", 5,
            DateTimeOffset.Parse("2026-01-05T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse("2026-01-05T09:10:00Z", System.Globalization.CultureInfo.InvariantCulture), "webhook.submission"),
        new("ob-1002", DeadLetterKinds.Outbox, "smtp 421 service not available", 5,
            DateTimeOffset.Parse("2026-01-05T08:30:00Z", System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse("2026-01-05T09:40:00Z", System.Globalization.CultureInfo.InvariantCulture), "email.moderation"),
        new("ex-2001", DeadLetterKinds.Export, "export storage quota exceeded", 3,
            DateTimeOffset.Parse("2026-01-05T07:00:00Z", System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse("2026-01-05T07:45:00Z", System.Globalization.CultureInfo.InvariantCulture), "export.csv"),
    ];

    private readonly List<DeadLetter> _deadLetters = [.. SeededDeadLetters];
    private int _deadLetterSequence;
    private readonly Dictionary<string, int> _adminProcessed = new(StringComparer.OrdinalIgnoreCase);
    private string _adminUsername = DefaultAdminUsername;
    private string _adminPassword = DefaultAdminPassword;

    /// <summary>The Basic user name <c>POST /v1/admin/…</c> accepts (default <c>admin</c>).</summary>
    public string AdminUsername
    {
        get { lock (_gate) { return _adminUsername; } }
        set { lock (_gate) { _adminUsername = value; } }
    }

    /// <summary>The Basic password <c>POST /v1/admin/…</c> accepts (default <c>stand-in-password</c>).</summary>
    public string AdminPassword
    {
        get { lock (_gate) { return _adminPassword; } }
        set { lock (_gate) { _adminPassword = value; } }
    }

    /// <summary>
    /// Makes <c>POST <paramref name="path"/></c> answer <c>{"processed": n}</c> (default 1);
    /// <paramref name="path"/> is the whole request path, e.g. <c>/v1/admin/cleanup</c>.
    /// </summary>
    public void SetAdminProcessed(string path, int n)
    {
        lock (_gate)
        {
            _adminProcessed[path] = n;
        }
    }

    internal bool IsAdmin(string username, string password)
    {
        lock (_gate)
        {
            return username == _adminUsername && password == _adminPassword;
        }
    }

    internal int AdminProcessed(string path)
    {
        lock (_gate)
        {
            return _adminProcessed.GetValueOrDefault(path, DefaultAdminProcessed);
        }
    }

    /// <summary>Every dead letter held now, newest first.</summary>
    public IReadOnlyList<DeadLetter> DeadLetters
    {
        get { lock (_gate) { return [.. _deadLetters.OrderByDescending(d => d.FailedAt).ThenByDescending(d => d.Id, StringComparer.Ordinal)]; } }
    }

    /// <summary>Adds <paramref name="count"/> dead letters of <paramref name="kind"/>, failed now, with <paramref name="error"/>; returns them.</summary>
    public IReadOnlyList<DeadLetter> AddDeadLetters(string kind, int count, string error = "stand-in failure", int attempts = 5)
    {
        if (!DeadLetterKinds.Each.Contains(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, $"one of {string.Join(", ", DeadLetterKinds.Each)}");
        }

        lock (_gate)
        {
            var now = TimeProvider.System.GetUtcNow();
            var added = Enumerable.Range(0, count)
                .Select(_ => new DeadLetter($"{(kind == DeadLetterKinds.Outbox ? "ob" : "ex")}-{++_deadLetterSequence + 9000}", kind, error, attempts, now.AddMinutes(-30), now, kind + ".stand-in"))
                .ToList();
            _deadLetters.AddRange(added);
            return added;
        }
    }

    /// <summary>Removes every dead letter (the seeded ones too).</summary>
    public void ClearDeadLetters()
    {
        lock (_gate)
        {
            _deadLetters.Clear();
        }
    }

    internal DeadLetterListing ListDeadLetters(string kind, int limit)
    {
        lock (_gate)
        {
            var totals = DeadLetterKinds.Each.ToDictionary(k => k, k => (long)_deadLetters.Count(d => d.Kind == k), StringComparer.Ordinal);
            var matching = DeadLetters.Where(d => kind == DeadLetterKinds.All || d.Kind == kind).ToList();
            return new DeadLetterListing(kind, limit, matching.Count, totals, [.. matching.Take(limit)]);
        }
    }

    /// <summary>Replays (removes) the item; false when there is no such item of that kind.</summary>
    internal bool ReplayDeadLetter(string kind, string id)
    {
        lock (_gate)
        {
            return _deadLetters.RemoveAll(d => d.Kind == kind && d.Id == id) > 0;
        }
    }

    private void ResetCoreApi()
    {
        _deadLetters.Clear();
        _deadLetters.AddRange(SeededDeadLetters);
        _adminProcessed.Clear();
        _adminUsername = DefaultAdminUsername;
        _adminPassword = DefaultAdminPassword;
    }
}
