namespace Scheduler.Jobs.Notifications;

/// <summary>
/// Wakes this node's <see cref="NotificationDispatcher"/> when an outcome written here queued deliveries, so they go
/// out at once while an idle node reads the outbox only every <see cref="NotificationOptions.PollInterval"/>.
/// </summary>
public sealed class NotificationWake
{
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the first <see cref="Signal"/> after the last <see cref="Rearm"/>.</summary>
    public Task Signalled => Volatile.Read(ref _signal).Task;

    public void Signal() => Volatile.Read(ref _signal).TrySetResult();

    /// <summary>Called before each read of the outbox: a signal that comes during the read wakes the next wait.</summary>
    internal void Rearm()
    {
        if (Volatile.Read(ref _signal).Task.IsCompleted)
        {
            Volatile.Write(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }
}
