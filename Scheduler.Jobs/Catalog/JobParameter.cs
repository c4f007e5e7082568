using System.Globalization;
using System.Text.Json;

namespace Scheduler.Jobs.Catalog;

/// <summary>
/// A parameter a manual trigger may pass to a job type (<c>parameters</c> in <c>POST /api/jobs/trigger</c>), for
/// that run only; its default is the job's configured setting (<see cref="Setting"/>).
/// </summary>
/// <param name="Name">The name in <c>parameters</c>, camelCase.</param>
/// <param name="Description">What it changes, for the dashboard's trigger form.</param>
/// <param name="Setting">The <c>Jobs:&lt;type&gt;:&lt;Setting&gt;</c> key that gives its default.</param>
/// <param name="Default">The default: the configured setting, else the built-in value.</param>
/// <param name="Minimum">The smallest value accepted.</param>
/// <param name="Maximum">The largest value accepted.</param>
public sealed record JobParameter(string Name, string Description, string Setting, int Default, int Minimum, int Maximum)
{
    /// <summary>Parameters are whole numbers (the only kind the jobs take so far).</summary>
    public const string Type = "integer";

    /// <summary>
    /// A floor that protects data: <see cref="Minimum"/> is the floor, and configuration may lower it to
    /// <see cref="ParameterFloor.Lowest"/> by setting <see cref="ParameterFloor.Setting"/> to true. Null for none.
    /// </summary>
    public ParameterFloor? Floor { get; init; }

    /// <summary>Why <paramref name="value"/> is not acceptable, or null when it is.</summary>
    public string? Problem(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            return "Must be a whole number.";
        }

        if (number < Minimum && Floor is { } floor && number >= floor.Lowest)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"Must be at least {Minimum}: a shorter window deletes data that may still be needed; {floor.Setting}=true allows down to {floor.Lowest}.");
        }

        return number < Minimum || number > Maximum
            ? string.Create(CultureInfo.InvariantCulture, $"Must be from {Minimum} to {Maximum}.")
            : null;
    }
}

/// <summary>The floor of a <see cref="JobParameter"/> and the setting that lowers it.</summary>
/// <param name="Setting">The full configuration key of a boolean that, when true, lowers the minimum to <paramref name="Lowest"/>.</param>
/// <param name="Lowest">The minimum where <paramref name="Setting"/> is true.</param>
public sealed record ParameterFloor(string Setting, int Lowest);
