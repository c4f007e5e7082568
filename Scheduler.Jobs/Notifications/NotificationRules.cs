using System.Text.RegularExpressions;
using Scheduler.Contracts.Api;

namespace Scheduler.Jobs.Notifications;

/// <summary>
/// What a notification must be, whether configuration or the API defines it: a name, a kind, an absolute http(s)
/// URL on an allowed host, webhook events and a secret. Errors are keyed by the request's field names and never echo
/// a value (configuration reports them by key, and a value may be a secret).
/// </summary>
public static partial class NotificationRules
{
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 256;

    /// <summary>
    /// The problems with a notification's definition, by field; empty when it is valid. <paramref name="secretSet"/>:
    /// whether a secret is given or (for a replacement) already stored.
    /// </summary>
    public static Dictionary<string, string[]> Check(
        string? name, string? kind, string? url, IReadOnlyList<string>? events, string? secret, bool secretSet, IReadOnlyCollection<string> allowedHosts)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(name))
        {
            errors["name"] = ["Required."];
        }
        else if (!ValidName().IsMatch(name))
        {
            errors["name"] = ["1 to 64 characters of a-z, 0-9, _ and -, starting with a letter."];
        }

        if (UrlProblem(url, allowedHosts) is { } urlProblem)
        {
            errors["url"] = [urlProblem];
        }

        switch (kind)
        {
            case NotificationKinds.Webhook:
                if (events is null || events.Count == 0)
                {
                    errors["events"] = [$"A webhook needs one or more of: {string.Join(", ", NotificationEvents.Subscribable)}."];
                }
                else if (events.Any(e => !NotificationEvents.Subscribable.Contains(e)))
                {
                    errors["events"] = [$"Holds an unknown event. Valid events: {string.Join(", ", NotificationEvents.Subscribable)}."];
                }

                if (secret is not null && secret.Length is < MinSecretLength or > MaxSecretLength)
                {
                    errors["secret"] = [$"{MinSecretLength} to {MaxSecretLength} characters."];
                }
                else if (!secretSet)
                {
                    errors["secret"] = ["Required for a webhook: its body is signed with it (HMAC-SHA256)."];
                }

                break;
            case NotificationKinds.Heartbeat:
                if (events is { Count: > 0 })
                {
                    errors["events"] = ["A heartbeat fires on every successful run; give no events."];
                }

                if (secret is not null)
                {
                    errors["secret"] = ["A heartbeat is a plain GET; it takes no secret."];
                }

                break;
            case null or "":
                errors["kind"] = [$"Required: one of {string.Join(", ", NotificationKinds.All)}."];
                break;
            default:
                errors["kind"] = [$"Unknown kind. Valid kinds: {string.Join(", ", NotificationKinds.All)}."];
                break;
        }

        return errors;
    }

    /// <summary>Why <paramref name="url"/> may not be notified, or null when it may.</summary>
    public static string? UrlProblem(string? url, IReadOnlyCollection<string> allowedHosts)
    {
        if (string.IsNullOrEmpty(url))
        {
            return "Required.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            return "Must be an absolute http or https URL.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "Must not carry credentials (user:password@); webhooks are authenticated by their signature.";
        }

        return HostAllowed(uri.Host, allowedHosts) ? null : $"The host is not in Notifications:AllowedHosts ({string.Join(", ", allowedHosts)}).";
    }

    /// <summary>Whether <paramref name="host"/> matches <paramref name="allowedHosts"/> (any host when it is empty).</summary>
    public static bool HostAllowed(string host, IReadOnlyCollection<string> allowedHosts) =>
        allowedHosts.Count == 0 || allowedHosts.Any(pattern => pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase));

    /// <summary>A host name, an IP address, or <c>*.</c> and a domain.</summary>
    public static bool IsHostPattern(string pattern) => HostPattern().IsMatch(pattern);

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex ValidName();

    [GeneratedRegex(@"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:]+\]?$")]
    private static partial Regex HostPattern();
}
