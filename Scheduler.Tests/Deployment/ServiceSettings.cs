using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Identity.Abstractions;
using Microsoft.Identity.Web;
using Scheduler.Jobs.Catalog;
using Scheduler.Jobs.Clients;
using Scheduler.Jobs.Execution;
using Scheduler.Jobs.Telemetry;
using Scheduler.Service.Auth;
using Scheduler.Service.Data;
using Scheduler.Service.Events;
using Scheduler.Service.Hosting;
using Scheduler.Service.Scheduling;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Deployment;

/// <summary>
/// Which environment variables the service reads, taken from its code rather than from a list kept by hand:
/// the previous service's names (<see cref="SeedEnvironmentNames"/>'s map, plus every literal name its source reads
/// with <c>GetEnvironmentVariable("…")</c> or <c>configuration["UPPER_CASE"]</c>), the host's own
/// <c>ASPNETCORE_ENVIRONMENT</c>, and <c>Section__Key</c> where the key resolves to a property of the options class
/// that section binds to (or a known connection string or logging key).
/// </summary>
public static partial class ServiceSettings
{
    /// <summary>Read by <c>WebApplication.CreateBuilder</c> itself: which environment (Production unless set).</summary>
    public static IReadOnlySet<string> HostVariables { get; } = new HashSet<string>(StringComparer.Ordinal) { "ASPNETCORE_ENVIRONMENT" };

    /// <summary>The options class each configuration section binds to. AzureAd is bound by Microsoft.Identity.Web to all three.</summary>
    private static readonly Dictionary<string, Type[]> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        [DatabaseOptions.Section] = [typeof(DatabaseOptions)],
        [SchedulerOptions.Section] = [typeof(SchedulerOptions)],
        [RecoveryOptions.Section] = [typeof(RecoveryOptions)],
        [HeartbeatOptions.Section] = [typeof(HeartbeatOptions)],
        [RateLimitOptions.Section] = [typeof(RateLimitOptions)],
        [EventsOptions.Section] = [typeof(EventsOptions)],
        [AuthOptions.Section] = [typeof(AuthOptions)],
        ["AzureAd"] = [typeof(MicrosoftIdentityApplicationOptions), typeof(MicrosoftIdentityOptions), typeof(JwtBearerOptions)],
    };

    /// <summary>What a <c>Jobs:&lt;type&gt;</c> section binds to: the common options and the built-in types' own.</summary>
    private static readonly Type[] JobSectionTypes =
        [typeof(JobTypeOptions), .. JobCatalog.Workflows.Select(w => w.OptionsType)];

    /// <summary>The names the service reads as environment variables directly (not as <c>Section__Key</c>).</summary>
    public static IReadOnlySet<string> DirectVariables()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var map = typeof(SeedEnvironmentNames).GetField("Map", BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null) as (string Variable, string Key)[]
            ?? throw new InvalidOperationException("SeedEnvironmentNames.Map not found: the test reads the seed names from it");
        names.UnionWith(map.Select(m => m.Variable));

        foreach (var project in new[] { "Scheduler.Service", "Scheduler.Jobs" })
        {
            var directory = Path.Combine(ServiceProcess.RepositoryRoot, project);
            foreach (var file in Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
                         .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            {
                var source = File.ReadAllText(file);
                names.UnionWith(EnvironmentRead().Matches(source).Select(m => m.Groups["name"].Value));
                names.UnionWith(UpperCaseConfigurationRead().Matches(source).Select(m => m.Groups["name"].Value));
            }
        }

        return names;
    }

    /// <summary>
    /// Whether the service reads <paramref name="variable"/>, and if so as what: a direct name, the host's, or the
    /// configuration key it stands for. Null when nothing reads it.
    /// </summary>
    public static string? WhatReads(string variable, IReadOnlySet<string> directVariables)
    {
        if (directVariables.Contains(variable))
        {
            return "read by name";
        }

        if (HostVariables.Contains(variable))
        {
            return "read by the ASP.NET Core host";
        }

        if (!variable.Contains("__", StringComparison.Ordinal))
        {
            return null;
        }

        var path = variable.Split("__");
        return ResolvesConfigurationKey(path) ? $"configuration key {string.Join(':', path)}" : null;
    }

    private static bool ResolvesConfigurationKey(string[] path)
    {
        var section = path[0];
        var rest = path[1..];
        if (rest.Length == 0 || rest.Any(string.IsNullOrWhiteSpace))
        {
            return false;
        }

        if (section.Equals("ConnectionStrings", StringComparison.OrdinalIgnoreCase))
        {
            return rest is [var name] && name.Equals(DatabaseOptions.ConnectionStringName, StringComparison.OrdinalIgnoreCase);
        }

        if (section.Equals("Logging", StringComparison.OrdinalIgnoreCase))
        {
            // Logging:LogLevel:<category> and Logging:Console:… (formatter name and options).
            return rest is ["LogLevel", _] or ["Console", ..];
        }

        if (section.Equals("Services", StringComparison.OrdinalIgnoreCase))
        {
            return rest.Length >= 2
                && ServiceNames.All.Contains(rest[0], StringComparer.OrdinalIgnoreCase)
                && Resolves(typeof(CoreApiEndpoint), rest.AsSpan(1));
        }

        if (section.Equals(JobCatalog.Section, StringComparison.OrdinalIgnoreCase))
        {
            return rest.Length >= 2
                && JobCatalog.Defaults.All.Any(d => d.Name.Equals(rest[0], StringComparison.Ordinal))
                && JobSectionTypes.Any(t => Resolves(t, rest.AsSpan(1)));
        }

        return Sections.TryGetValue(section, out var types) && types.Any(t => Resolves(t, rest));
    }

    /// <summary>Whether configuration binding of <paramref name="type"/> would use the key <paramref name="path"/> below it.</summary>
    private static bool Resolves(Type type, ReadOnlySpan<string> path)
    {
        if (path.IsEmpty)
        {
            return true;
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(type))
        {
            return false;
        }

        if (DictionaryValueType(type) is { } valueType)
        {
            return Resolves(valueType, path[1..]);
        }

        if (ElementType(type) is { } elementType)
        {
            return int.TryParse(path[0], out _) && Resolves(elementType, path[1..]);
        }

        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is not null
            && (property.CanWrite || !IsScalar(property.PropertyType))
            && Resolves(property.PropertyType, path[1..]);
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Uri) || type == typeof(Guid);

    private static Type? DictionaryValueType(Type type) =>
        type.GetInterfaces().Append(type)
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() is var d && (d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>)))
            .Select(i => i.GetGenericArguments()[1])
            .FirstOrDefault();

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(string)
            ? type.GetInterfaces().Append(type)
                .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
                .Select(i => i.GetGenericArguments()[0])
                .FirstOrDefault()
            : null;

    [GeneratedRegex("""GetEnvironmentVariable\("(?<name>[A-Za-z_][A-Za-z0-9_]*)"\)""")]
    private static partial Regex EnvironmentRead();

    [GeneratedRegex("""[Cc]onfiguration\["(?<name>[A-Z][A-Z0-9_]+)"\]""")]
    private static partial Regex UpperCaseConfigurationRead();
}
