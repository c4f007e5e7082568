using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Configuration;

namespace Scheduler.Jobs.Notifications;

/// <summary>The settings of one notification under <c>Jobs:&lt;type&gt;:Notifications:&lt;name&gt;</c>.</summary>
public sealed class ConfiguredNotificationOptions
{
    /// <summary><c>webhook</c> or <c>heartbeat</c>.</summary>
    public string? Kind { get; set; }

    public string? Url { get; set; }

    /// <summary>Webhooks: comma-separated, any of failure, recovery, completion.</summary>
    public string? Events { get; set; }

    /// <summary>Webhooks: the HMAC-SHA256 key. Best given as an environment variable or a mounted secret.</summary>
    public string? Secret { get; set; }

    public bool Enabled { get; set; } = true;

    public string? Description { get; set; }
}

/// <summary>A notification configuration defines, as the store keeps it.</summary>
public sealed record ConfiguredNotification(
    string JobType, string Name, string Kind, string Url, IReadOnlyList<string> Events, string? Secret, bool Enabled, string? Description)
{
    public const string Subsection = "Notifications";

    /// <summary>The key that defines it, which 409 answers name.</summary>
    public string Key => KeyOf(JobType, Name);

    public static string KeyOf(string jobType, string name) => $"{JobCatalog.Section}:{jobType}:{Subsection}:{name}";

    /// <summary>
    /// Every notification under <c>Jobs:&lt;type&gt;:Notifications</c> of the catalog's types, checked as the API
    /// checks one. Every bad key is reported at once, by key, never by value.
    /// </summary>
    public static IReadOnlyList<ConfiguredNotification> Load(IConfiguration configuration, JobCatalog catalog, NotificationOptions options)
    {
        var failures = new List<string>();
        var found = new List<ConfiguredNotification>();
        foreach (var definition in catalog.All)
        {
            foreach (var section in configuration.GetSection($"{JobCatalog.Section}:{definition.Name}:{Subsection}").GetChildren())
            {
                var path = section.Path;
                ConfiguredNotificationOptions settings;
                try
                {
                    settings = ValidatedOptions.Bind<ConfiguredNotificationOptions>(section, path);
                }
                catch (OptionsValidationException ex)
                {
                    failures.AddRange(ex.Failures);
                    continue;
                }

                var events = (settings.Events ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var errors = NotificationRules.Check(section.Key, settings.Kind, settings.Url, events, settings.Secret, settings.Secret is not null, options.AllowedHosts);
                // "name" is the section's own key; the rest are its settings, named as configuration spells them.
                failures.AddRange(errors.Select(e => e.Key == "name"
                    ? $"{path}: a notification's name is {e.Value[0]}"
                    : $"{path}:{char.ToUpperInvariant(e.Key[0])}{e.Key[1..]}: {e.Value[0]}"));
                if (errors.Count == 0)
                {
                    found.Add(new ConfiguredNotification(definition.Name, section.Key, settings.Kind!, settings.Url!, events, settings.Secret, settings.Enabled, settings.Description));
                }
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(ConfiguredNotification.Subsection, typeof(ConfiguredNotificationOptions), failures);
        }

        return found;
    }
}
