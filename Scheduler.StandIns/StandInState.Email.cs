using Scheduler.Contracts.Downstream;

namespace Scheduler.StandIns;

/// <summary>The email service's data: an idempotent mail provider that delivers each key at most once.</summary>
public sealed partial class StandInState
{
    private const string BounceError = "mailbox unavailable";

    private readonly Dictionary<string, EmailMessage> _deliveredByKey = new(StringComparer.Ordinal);
    private readonly List<EmailMessage> _deliveries = [];
    private readonly HashSet<string> _bounces = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every message actually delivered, in order; duplicates and bounces are not here.</summary>
    public IReadOnlyList<EmailMessage> Deliveries
    {
        get { lock (_gate) { return [.. _deliveries]; } }
    }

    /// <summary>How many messages were actually delivered to <paramref name="email"/> (case-insensitive).</summary>
    public int DeliveriesTo(string email)
    {
        lock (_gate)
        {
            return _deliveries.Count(m => string.Equals(m.To, email, StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>Makes messages to <paramref name="email"/> fail with <c>mailbox unavailable</c> from now on (a key already delivered stays a duplicate).</summary>
    public void Bounce(string email)
    {
        lock (_gate)
        {
            _bounces.Add(email);
        }
    }

    /// <summary>
    /// Sends a batch in order: a key delivered before is a successful duplicate and is not delivered again;
    /// a new key to a bounced address fails; any other message is delivered.
    /// </summary>
    public SendEmailResponse Send(SendEmailRequest request)
    {
        lock (_gate)
        {
            var results = request.Messages.Select(SendOne).ToList();
            return new SendEmailResponse(results.Count(r => r.Success), results.Count(r => !r.Success), results);
        }
    }

    private EmailSendResult SendOne(EmailMessage message)
    {
        if (_deliveredByKey.ContainsKey(message.IdempotencyKey))
        {
            return new EmailSendResult(message.IdempotencyKey, Success: true, Duplicate: true);
        }

        if (_bounces.Contains(message.To))
        {
            return new EmailSendResult(message.IdempotencyKey, Success: false, Error: BounceError);
        }

        _deliveredByKey.Add(message.IdempotencyKey, message);
        _deliveries.Add(message);
        return new EmailSendResult(message.IdempotencyKey, Success: true);
    }

    private void ResetEmail()
    {
        _deliveredByKey.Clear();
        _deliveries.Clear();
        _bounces.Clear();
    }
}
