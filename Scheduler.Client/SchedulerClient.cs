using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Scheduler.Contracts;
using Scheduler.Contracts.Api;

namespace Scheduler.Client;

/// <summary>
/// The scheduler's API over an <see cref="HttpClient"/> whose base address is the service and whose handler adds the
/// bearer token (<see cref="SchedulerClientServiceCollectionExtensions.AddSchedulerClient"/> sets both up). Every
/// answer other than success is thrown as a <see cref="SchedulerApiException"/> carrying the problem details.
/// </summary>
public sealed class SchedulerClient(HttpClient http)
{
    private const string IdempotencyKeyHeader = "Idempotency-Key";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Triggers a run of <paramref name="jobType"/> (<c>POST /api/jobs/trigger</c>). With the same
    /// <paramref name="idempotencyKey"/> and body, a repeat answers the execution the first call created.
    /// </summary>
    /// <param name="jobType">A job type from the catalog, e.g. <see cref="JobTypes.CrawlPending"/>.</param>
    /// <param name="parameters">The run's parameters (an object serialized to JSON, e.g. <c>new { batchSize = 50 }</c>), or null for the type's defaults.</param>
    /// <param name="idempotencyKey">Makes the call repeatable, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<TriggerJobResponse> TriggerAsync(string jobType, object? parameters = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var body = new TriggerJobRequest(jobType, Parameters: parameters is null ? null : JsonSerializer.SerializeToElement(parameters, Json));
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs/trigger") { Content = JsonContent.Create(body, options: Json) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        }

        return await SendAsync<TriggerJobResponse>(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Schedules a run of <paramref name="jobType"/> for <paramref name="runAt"/> (<c>POST /api/jobs/trigger</c> with
    /// <c>runAt</c>): recorded at once as <c>scheduled</c>, it runs when due on whichever node is up, and
    /// <see cref="CancelAsync"/> stops it until then.
    /// </summary>
    /// <param name="jobType">A job type from the catalog.</param>
    /// <param name="runAt">When it is due: in the future, at most the service's <c>Runs:MaxDelay</c> (90 days) ahead.</param>
    /// <param name="parameters">The run's parameters, or null for the type's defaults.</param>
    /// <param name="idempotencyKey">Makes the call repeatable, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<TriggerJobResponse> ScheduleAsync(
        string jobType, DateTimeOffset runAt, object? parameters = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var body = new TriggerJobRequest(
            jobType,
            Parameters: parameters is null ? null : JsonSerializer.SerializeToElement(parameters, Json),
            RunAt: runAt.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture));
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs/trigger") { Content = JsonContent.Create(body, options: Json) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        }

        return await SendAsync<TriggerJobResponse>(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One execution (<c>GET /api/jobs/{id}</c>); 404 when there is none.</summary>
    public Task<JobExecution> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        GetAsync<JobExecution>($"api/jobs/{id}", cancellationToken);

    /// <summary>A page of executions, newest first (<c>GET /api/jobs</c>).</summary>
    public Task<JobExecutionPage> ListAsync(JobListFilter? filter = null, CancellationToken cancellationToken = default) =>
        GetAsync<JobExecutionPage>("api/jobs" + (filter ?? new JobListFilter()).ToQueryString(), cancellationToken);

    /// <summary>
    /// Executions that ended in a range (default: the last 24 h), per job type and overall: counts, success rate,
    /// durations, a series and the top failure reasons (<c>GET /api/jobs/stats</c>).
    /// </summary>
    public Task<JobStatsReport> GetStatsAsync(JobStatsFilter? filter = null, CancellationToken cancellationToken = default) =>
        GetAsync<JobStatsReport>("api/jobs/stats" + (filter ?? new JobStatsFilter()).ToQueryString(), cancellationToken);

    /// <summary>Per job type: heartbeat, schedule, what runs now, typical duration; and each node's heartbeat (<c>GET /api/jobs/status</c>).</summary>
    public Task<JobStatusReport> StatusAsync(CancellationToken cancellationToken = default) =>
        GetAsync<JobStatusReport>("api/jobs/status", cancellationToken);

    /// <summary>
    /// Cancels a scheduled or pending execution, or asks the node running it to stop (<c>POST /api/jobs/{id}/cancel</c>): the
    /// execution as it is now (<c>cancelled</c>, or still <c>running</c> while it is being interrupted).
    /// </summary>
    public Task<JobExecution> CancelAsync(Guid id, string? reason = null, CancellationToken cancellationToken = default) =>
        PostAsync<JobExecution>($"api/jobs/{id}/cancel", new ExecutionActionRequest(Reason: reason), cancellationToken);

    /// <summary>Runs a failed or cancelled execution again as a new, linked execution (<c>POST /api/jobs/{id}/retry</c>).</summary>
    public Task<TriggerJobResponse> RetryAsync(Guid id, string? reason = null, CancellationToken cancellationToken = default) =>
        PostAsync<TriggerJobResponse>($"api/jobs/{id}/retry", new RetryJobRequest(Reason: reason), cancellationToken);

    /// <summary>Runs a failed or cancelled execution again, now or later (<c>runAt</c>, <c>delay</c>) (<c>POST /api/jobs/{id}/retry</c>).</summary>
    public Task<TriggerJobResponse> RetryAsync(Guid id, RetryJobRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<TriggerJobResponse>($"api/jobs/{id}/retry", request, cancellationToken);

    /// <summary>Every job type's schedule (<c>GET /api/schedules</c>).</summary>
    public Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<ScheduleView>>("api/schedules", cancellationToken);

    /// <summary>One job type's schedule (<c>GET /api/schedules/{jobType}</c>).</summary>
    public Task<ScheduleView> GetScheduleAsync(string jobType, CancellationToken cancellationToken = default) =>
        GetAsync<ScheduleView>($"api/schedules/{Uri.EscapeDataString(jobType)}", cancellationToken);

    /// <summary>Pauses a schedule with a reason, until resumed or until <paramref name="until"/> (<c>POST /api/schedules/{jobType}/pause</c>).</summary>
    public Task<ScheduleView> PauseScheduleAsync(string jobType, string reason, DateTimeOffset? until = null, CancellationToken cancellationToken = default) =>
        PostAsync<ScheduleView>($"api/schedules/{Uri.EscapeDataString(jobType)}/pause", new PauseRequest(reason, until), cancellationToken);

    /// <summary>Resumes a paused schedule (<c>POST /api/schedules/{jobType}/resume</c>).</summary>
    public Task<ScheduleView> ResumeScheduleAsync(string jobType, CancellationToken cancellationToken = default) =>
        PostAsync<ScheduleView>($"api/schedules/{Uri.EscapeDataString(jobType)}/resume", null, cancellationToken);

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync<T>(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> PostAsync<T>(string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        return await SendAsync<T>(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await SchedulerApiException.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
            ?? throw new SchedulerApiException(response.StatusCode, new SchedulerProblem { Title = "The service answered with an empty body" });
    }
}

/// <summary>Filters and paging for <see cref="SchedulerClient.ListAsync"/>; what is left null is not filtered on.</summary>
public sealed record JobListFilter
{
    /// <summary>Only this job type.</summary>
    public string? Type { get; init; }

    /// <summary>Only executions in this status.</summary>
    public ExecutionStatus? Status { get; init; }

    /// <summary>Only executions started by this caller id (or <c>scheduler</c> for cron runs).</summary>
    public string? StartedBy { get; init; }

    /// <summary>Only failed runs whose normalised error is this (a <see cref="FailureReason.Reason"/> of the statistics).</summary>
    public string? Reason { get; init; }

    /// <summary>Created at or after.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Created before.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>The 1-based page (default 1).</summary>
    public int? Page { get; init; }

    /// <summary>The page size (default 50, at most 200).</summary>
    public int? Limit { get; init; }

    /// <summary>A previous page's <see cref="JobExecutionPage.NextCursor"/>, for the page after it.</summary>
    public string? Cursor { get; init; }

    internal string ToQueryString()
    {
        var query = new StringBuilder();
        Add(query, "type", Type);
        Add(query, "status", Status?.ToText());
        Add(query, "startedBy", StartedBy);
        Add(query, "reason", Reason);
        Add(query, "from", From?.ToString("O", CultureInfo.InvariantCulture));
        Add(query, "to", To?.ToString("O", CultureInfo.InvariantCulture));
        Add(query, "page", Page?.ToString(CultureInfo.InvariantCulture));
        Add(query, "limit", Limit?.ToString(CultureInfo.InvariantCulture));
        Add(query, "cursor", Cursor);
        return query.ToString();
    }

    internal static void Add(StringBuilder query, string name, string? value)
    {
        if (value is not null)
        {
            query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }
    }
}

/// <summary>The range and breakdown of <see cref="SchedulerClient.GetStatsAsync"/>; what is left null takes the service's default.</summary>
public sealed record JobStatsFilter
{
    /// <summary>Runs that ended at or after (default: 24 h before <see cref="To"/>).</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Runs that ended before (default: now).</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Only this job type.</summary>
    public string? Type { get; init; }

    /// <summary><c>minute</c>, <c>hour</c> or <c>day</c> (default: by the range's length).</summary>
    public string? Bucket { get; init; }

    internal string ToQueryString()
    {
        var query = new StringBuilder();
        JobListFilter.Add(query, "from", From?.ToString("O", CultureInfo.InvariantCulture));
        JobListFilter.Add(query, "to", To?.ToString("O", CultureInfo.InvariantCulture));
        JobListFilter.Add(query, "type", Type);
        JobListFilter.Add(query, "bucket", Bucket);
        return query.ToString();
    }
}
