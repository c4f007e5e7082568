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

    /// <summary>Why <paramref name="value"/> is not acceptable, or null when it is.</summary>
    public string? Problem(JsonElement value) =>
        value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number)
            ? "Must be a whole number."
            : number < Minimum || number > Maximum
                ? string.Create(CultureInfo.InvariantCulture, $"Must be from {Minimum} to {Maximum}.")
                : null;
}
