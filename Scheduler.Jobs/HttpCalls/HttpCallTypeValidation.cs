using System.Text.Json;
using System.Text.RegularExpressions;
using Scheduler.Contracts.Api;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Scheduling;

namespace Scheduler.Jobs.HttpCalls;

/// <summary>
/// What an HTTP-call type defined through the API may be. The call can only go to a configured downstream service,
/// on a relative path that cannot climb out of the service's base address (no scheme, no host, no <c>//</c>, no
/// <c>..</c>, no backslash, no encoded dot or slash): the service holds the credentials, so the definition must not
/// be able to point them anywhere else.
/// </summary>
public static partial class HttpCallTypeValidation
{
    public const int DefaultTimeoutSeconds = 600;
    public const int MaxTimeoutSeconds = 86_400;
    public const int DefaultRetries = 2;
    public const int MaxRetries = 10;
    public const int MaxPathLength = 512;
    public const int MaxDescriptionLength = 500;
    public const int MaxBodyBytes = 8 * 1024;

    /// <summary>The methods a type may call with.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    /// <summary>The row <paramref name="request"/> describes for type <paramref name="name"/>, or null with every problem by field.</summary>
    public static HttpCallTypeRow? Validate(HttpCallTypeRequest request, string name, DownstreamEndpoints endpoints, DateTimeOffset now,
        out IReadOnlyDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(endpoints);
        var problems = new Dictionary<string, string[]>();
        void Problem(string field, string reason) => problems[field] = [reason];

        if (!ValidName().IsMatch(name))
        {
            Problem("name", name.Length == 0 ? "Required." : "1 to 64 characters of a-z, 0-9 and _, starting with a letter.");
        }

        var service = DownstreamEndpoints.Canonical(request.Service);
        if (string.IsNullOrWhiteSpace(request.Service))
        {
            Problem("service", $"Required: one of the configured downstream services ({string.Join(", ", ServiceNames.All)}).");
        }
        else if (service is null)
        {
            Problem("service", $"Must be one of the configured downstream services ({string.Join(", ", ServiceNames.All)}); a URL or any other name is refused.");
        }
        else if (endpoints.Unusable(service, name.Length == 0 ? "the new type" : name) is { } unusable)
        {
            Problem("service", $"The service is not configured on this deployment: {unusable}");
        }

        var method = string.IsNullOrWhiteSpace(request.Method) ? "POST" : request.Method.Trim().ToUpperInvariant();
        if (!Methods.Contains(method))
        {
            Problem("method", $"One of {string.Join(", ", Methods)}.");
        }

        if (PathProblem(request.Path) is { } pathProblem)
        {
            Problem("path", pathProblem);
        }

        var body = request.Body is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } json ? json : (JsonElement?)null;
        if (body is { } b)
        {
            var raw = b.GetRawText();
            if (b.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                Problem("body", "A JSON object or array.");
            }
            else if (raw.Length > MaxBodyBytes)
            {
                Problem("body", $"At most {MaxBodyBytes / 1024} KB of JSON.");
            }
            else if (raw.Contains("\\u0000", StringComparison.OrdinalIgnoreCase))
            {
                Problem("body", "Must not contain U+0000.");
            }
            else if (method is "GET" or "DELETE")
            {
                Problem("body", $"A {method} call carries no body.");
            }
        }

        if (request.ItemsField is { } itemsField && !ValidField().IsMatch(itemsField))
        {
            Problem("itemsField", "A property name: letters, digits and _, at most 64, starting with a letter or _.");
        }

        var timeout = request.TimeoutSeconds ?? DefaultTimeoutSeconds;
        if (timeout is < 1 or > MaxTimeoutSeconds)
        {
            Problem("timeoutSeconds", $"From 1 to {MaxTimeoutSeconds}.");
        }

        var retries = request.Retries ?? DefaultRetries;
        if (retries is < 0 or > MaxRetries)
        {
            Problem("retries", $"From 0 to {MaxRetries}.");
        }

        if (request.Description is { } description && (description.Length > MaxDescriptionLength || description.Contains('\0', StringComparison.Ordinal)))
        {
            Problem("description", $"At most {MaxDescriptionLength} characters, without U+0000.");
        }

        string? cron = null;
        var timeZone = string.IsNullOrWhiteSpace(request.Schedule?.TimeZone) ? "UTC" : request.Schedule.TimeZone.Trim();
        if (request.Schedule is { } schedule)
        {
            if (string.IsNullOrWhiteSpace(schedule.Cron))
            {
                Problem("schedule.cron", "Required with a schedule: Quartz (seconds first) or 5-field Unix cron.");
            }
            else if (ScheduleValidation.Check(schedule.Cron, timeZone, now) is { } problem)
            {
                Problem($"schedule.{problem.Field}", problem.Reason);
            }
            else
            {
                CronSyntax.TryNormalize(schedule.Cron, out var normalized, out _);
                cron = normalized;
            }
        }

        errors = problems;
        if (problems.Count > 0)
        {
            return null;
        }

        return new HttpCallTypeRow
        {
            Name = name,
            Service = service!,
            Method = method,
            Path = request.Path!,
            Body = body?.GetRawText(),
            ItemsField = request.ItemsField,
            TimeoutSeconds = timeout,
            Retries = retries,
            Recoverable = request.Recoverable ?? true,
            Description = string.IsNullOrWhiteSpace(request.Description)
                ? $"Calls {method} {request.Path} on the {ServiceNames.Display(service!)} service."
                : request.Description.Trim(),
            Enabled = true,
            Cron = cron,
            TimeZone = timeZone,
            CreatedBy = "",
            CreatedAt = now,
            ChangedBy = "",
            ChangedAt = now,
        };
    }

    /// <summary>Why <paramref name="path"/> is not a path on a service; null when it is one.</summary>
    public static string? PathProblem(string? path)
    {
        const string Shape = "A path on the service, starting with / (e.g. /v1/admin/search/reindex), not a URL";
        if (string.IsNullOrWhiteSpace(path))
        {
            return $"Required: {Shape.ToLowerInvariant()}.";
        }

        if (path.Length > MaxPathLength)
        {
            return $"At most {MaxPathLength} characters.";
        }

        if (!path.StartsWith('/') || path.StartsWith("//", StringComparison.Ordinal) || path.Contains("://", StringComparison.Ordinal))
        {
            return $"{Shape}: no scheme, no host.";
        }

        if (!PathCharacters().IsMatch(path))
        {
            return $"{Shape}: letters, digits and - . _ ~ / ? & = % + , ; : @ ! $ ' ( ) * only.";
        }

        var pathPart = path.Split('?', 2)[0];
        if (pathPart.Contains("//", StringComparison.Ordinal)
            || pathPart.Split('/').Any(segment => segment is "." or "..")
            || path.Contains("%2e", StringComparison.OrdinalIgnoreCase)
            || path.Contains("%2f", StringComparison.OrdinalIgnoreCase)
            || path.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            return $"{Shape}: no empty, '.' or '..' segment, and no encoded dot, slash or backslash.";
        }

        return Uri.TryCreate(path, UriKind.Relative, out _) ? null : $"{Shape}.";
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex ValidName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex ValidField();

    [GeneratedRegex(@"^[A-Za-z0-9\-._~/?&=%+,;:@!$'()*]+$")]
    private static partial Regex PathCharacters();
}
