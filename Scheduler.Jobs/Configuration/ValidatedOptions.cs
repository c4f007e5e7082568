using System.ComponentModel.DataAnnotations;
using System.Reflection;
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
        catch (InvalidOperationException)
        {
            // The binder's message echoes the value, which may be a secret: only the key is reported.
            var key = UnconvertibleKey(section, typeof(T)) is { } path ? "key " + path : "see the section's keys";
            throw new OptionsValidationException(sectionPath, typeof(T), [$"{sectionPath}: a value could not be converted ({key})."]);
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

    /// <summary>
    /// The first key under <paramref name="section"/> whose value does not convert to its property's type, found by
    /// binding each property on its own (the binder's exception carries the key only inside its message text).
    /// </summary>
    private static string? UnconvertibleKey(IConfigurationSection section, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var child = section.GetSection(property.Name);
            if (!child.Exists())
            {
                continue;
            }

            try
            {
                child.Get(property.PropertyType);
            }
            catch (InvalidOperationException)
            {
                return child.Value is null ? UnconvertibleKey(child, property.PropertyType) ?? child.Path : child.Path;
            }
        }

        return null;
    }
}
