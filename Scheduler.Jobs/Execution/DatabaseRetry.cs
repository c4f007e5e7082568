namespace Scheduler.Jobs.Execution;

/// <summary>Trying a database step again while the database cannot be reached, as the claim and the outcome do.</summary>
internal static class DatabaseRetry
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs <paramref name="action"/>, trying again with backoff (0.25 s doubling to 5 s) while the database cannot be reached
    /// and <paramref name="keepTrying"/> says so; <paramref name="unreachable"/> hears of each failure.
    /// </summary>
    public static async Task<T> RetryWhileUnreachableAsync<T>(
        this DatabaseContact contact, TimeProvider time, Func<Task<T>> action, Func<bool> keepTrying, Action<Exception> unreachable, CancellationToken cancellationToken)
    {
        var backoff = FirstBackoff;
        while (true)
        {
            try
            {
                var result = await action();
                contact.Reached();
                return result;
            }
            catch (Exception ex) when (DatabaseContact.IsUnreachable(ex) && keepTrying() && !cancellationToken.IsCancellationRequested)
            {
                contact.Failed();
                unreachable(ex);
                await Task.Delay(backoff, time, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }
}
