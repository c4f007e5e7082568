using System.Text.Json;

namespace Scheduler.Contracts.Api;

/// <summary>
/// Body of <c>POST /api/job-types</c> (defines an HTTP-call job type) and <c>PUT /api/job-types/{name}</c> (replaces
/// its definition; <c>name</c> is then taken from the route). The call goes to one of the configured downstream
/// services, never to a free URL.
/// </summary>
/// <param name="Name">The new type's name: 1 to 64 characters of a-z, 0-9 and _, starting with a letter; not taken.</param>
/// <param name="Service">One of the configured downstream services: <c>Crawler</c>, <c>Discovery</c>, <c>Email</c>, <c>User</c>, <c>CoreApi</c>.</param>
/// <param name="Method">GET, POST (the default), PUT, PATCH or DELETE.</param>
/// <param name="Path">The path on the service, e.g. <c>/v1/admin/search/reindex</c>: relative, starting with <c>/</c>, no <c>..</c>, no <c>//</c>.</param>
/// <param name="Body">An optional JSON object or array sent with the call (not with GET or DELETE), at most 8 KB.</param>
/// <param name="ItemsField">A numeric property of the service's JSON answer that counts the items handled, if it reports one.</param>
/// <param name="TimeoutSeconds">How long one run may take before it is interrupted (1 to 86400; 600 by default).</param>
/// <param name="Retries">Retries after a failed run (0 to 10; 2 by default), 30 s apart and doubling.</param>
/// <param name="Recoverable">Whether a run lost with its node runs again on another (true by default).</param>
/// <param name="Description">What it does, for the dashboard; by default "Calls METHOD PATH on the … service".</param>
/// <param name="Schedule">Its <c>default</c> schedule, if it runs on one; without it the type runs only when triggered.</param>
public sealed record HttpCallTypeRequest(
    string? Name = null,
    string? Service = null,
    string? Method = null,
    string? Path = null,
    JsonElement? Body = null,
    string? ItemsField = null,
    int? TimeoutSeconds = null,
    int? Retries = null,
    bool? Recoverable = null,
    string? Description = null,
    HttpCallScheduleRequest? Schedule = null);

/// <summary>The <c>default</c> schedule of an HTTP-call type defined through the API.</summary>
/// <param name="Cron">Quartz (seconds first) or 5-field Unix cron.</param>
/// <param name="TimeZone">IANA time zone the expression is read in; UTC by default.</param>
public sealed record HttpCallScheduleRequest(string? Cron = null, string? TimeZone = null);
