using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using Quartz;
using Scheduler.Jobs.Execution;

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

/// <summary>
/// A setting of <typeparamref name="TOptions"/> (a workflow type's options, <c>Jobs:&lt;type&gt;</c>) that a manual
/// trigger may override for one run under <see cref="Name"/>. The catalog describes it from here and the job reads it
/// from here, so the name is written once; its bounds are the setting's own <see cref="RangeAttribute"/>.
/// </summary>
public sealed class JobParameter<TOptions> where TOptions : class, new()
{
    private readonly Func<TOptions, int> _read;
    private readonly PropertyInfo _setting;

    /// <param name="name">The name in <c>parameters</c>, camelCase.</param>
    /// <param name="description">What it changes, for the dashboard's trigger form.</param>
    /// <param name="setting">The whole-number property of <typeparamref name="TOptions"/> it overrides.</param>
    public JobParameter(string name, string description, Expression<Func<TOptions, int>> setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        Name = name;
        Description = description;
        _read = setting.Compile();
        _setting = setting.Body is MemberExpression { Member: PropertyInfo property } ? property
            : throw new ArgumentException($"{name}: the setting must be a property of {typeof(TOptions).Name}.", nameof(setting));
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>
    /// A minimum above the setting's range that protects data, and the full key of the boolean setting that lowers it
    /// to the range's own minimum. Null for none.
    /// </summary>
    public (int Minimum, string LoweredBy)? Floor { get; init; }

    /// <summary>The value this run was given, or else <paramref name="settings"/>' value.</summary>
    public int ValueIn(IJobExecutionContext context, TOptions settings) => context.Parameter(Name, _read(settings));

    /// <summary>The parameter as the catalog lists it, with the built-in setting as its default.</summary>
    public JobParameter Describe()
    {
        var range = _setting.GetCustomAttribute<RangeAttribute>()
            ?? throw new InvalidOperationException($"{typeof(TOptions).Name}.{_setting.Name} has no [Range]; it bounds the {Name} parameter too.");
        var minimum = Convert.ToInt32(range.Minimum, CultureInfo.InvariantCulture);
        var maximum = Convert.ToInt32(range.Maximum, CultureInfo.InvariantCulture);
        var builtIn = _read(new TOptions());
        return Floor is { } floor
            ? new(Name, Description, _setting.Name, builtIn, floor.Minimum, maximum) { Floor = new(floor.LoweredBy, minimum) }
            : new(Name, Description, _setting.Name, builtIn, minimum, maximum);
    }
}
