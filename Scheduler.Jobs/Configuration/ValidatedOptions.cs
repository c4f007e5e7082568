using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Scheduler.Jobs.Configuration;

/// <summary>
/// Binds an options class from a configuration section, checks its data annotations and
/// registers it. A bad value stops start-up with every offending key named, never its value.
/// </summary>
public static class ValidatedOptions
{
    /// <summary>Registers <typeparamref name="T"/> from <paramref name="sectionPath"/> and returns the validated instance for use at registration time.</summary>
    public static T AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string sectionPath)
        where T : class, new()
    {
        var section = configuration.GetSection(sectionPath);
        var value = Bind<T>(section, sectionPath);
        services.AddOptions<T>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        return value;
    }

    /// <summary>Binds and validates without registering (for named or per-job-type sections).</summary>
    public static T Bind<T>(IConfigurationSection section, string sectionPath) where T : class, new()
    {
        var value = new T();
        try
        {
            section.Bind(value);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the key and echoes the value; only the key is reported.
            throw new OptionsValidationException(sectionPath, typeof(T), [$"{sectionPath}: a value could not be converted ({KeyOf(ex)})."]);
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
        {
            var failures = results.Select(r =>
                $"{sectionPath}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}").ToList();
            throw new OptionsValidationException(sectionPath, typeof(T), failures);
        }

        return value;
    }

    private static string KeyOf(InvalidOperationException ex)
    {
        // "Failed to convert configuration value '<value>' at '<key>' to type '<type>'."
        const string marker = "' at '";
        var message = ex.Message;
        var start = message.LastIndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return "see the section's keys";
        }

        start += marker.Length;
        var end = message.IndexOf('\'', start);
        return end < 0 ? "see the section's keys" : "key " + message[start..end];
    }
}
