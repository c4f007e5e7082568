using Microsoft.Extensions.Logging;

namespace Scheduler.Jobs.Audit;

public static partial class AuditLogExtensions
{
    /// <summary>
    /// Records an action that has already happened. A failure to write the row is logged, not thrown: the caller's
    /// answer must say what was done.
    /// </summary>
    public static async Task RecordAfterTheFactAsync(this AuditLog audit, AuditRecord record, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            await audit.RecordAsync(record, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogAuditFailed(logger, ex, record.Action, record.TargetId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write the audit row for {Action} on {Target}")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string action, string? target);
}
