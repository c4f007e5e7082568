using Scheduler.Contracts.Downstream;

namespace Scheduler.Jobs.Clients;

/// <summary>The email service.</summary>
public sealed class EmailClient(HttpClient http)
{
    /// <summary><c>POST /api/send</c>: a batch of messages, each with its own idempotency key.</summary>
    public Task<SendEmailResponse> SendAsync(SendEmailRequest batch, string idempotencyKey, CancellationToken cancellationToken) =>
        DownstreamCall.SendAsync<SendEmailResponse>(http, ServiceNames.Email,
            DownstreamCall.Request(HttpMethod.Post, "/api/send", idempotencyKey, batch), cancellationToken);
}
