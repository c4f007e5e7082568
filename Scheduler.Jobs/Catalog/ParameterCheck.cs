using System.Text.Json;

namespace Scheduler.Jobs.Catalog;

/// <summary>Whether parameters given for a run (or for every run of a schedule) are ones the type declares, in range.</summary>
public static class ParameterCheck
{
    /// <summary>The problems with <paramref name="parameters"/>, by field (<c>parameters.&lt;name&gt;</c>); none when they are acceptable or absent.</summary>
    public static Dictionary<string, string[]> Problems(JobDefinition definition, JsonElement? parameters)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var errors = new Dictionary<string, string[]>();
        if (parameters is not { ValueKind: JsonValueKind.Object } given)
        {
            return errors;
        }

        foreach (var parameter in given.EnumerateObject())
        {
            var declared = definition.Parameters.FirstOrDefault(p => p.Name == parameter.Name);
            var error = declared is null
                ? definition.Parameters.Count == 0
                    ? $"{definition.Name} takes no parameters."
                    : $"Unknown parameter. {definition.Name} accepts: {string.Join(", ", definition.Parameters.Select(p => p.Name))}."
                : declared.Problem(parameter.Value);
            if (error is not null)
            {
                errors[$"parameters.{parameter.Name}"] = [error];
            }
        }

        return errors;
    }
}
