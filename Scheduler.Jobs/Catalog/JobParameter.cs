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
/// <param name="Setting">The <c>Jobs:&lt;type&gt;:&lt;Setting&gt;</c> key that gives its default; empty for a list of <see cref="Choices"/>.</param>
/// <param name="Default">The default: the configured setting, else the built-in value; for a list, how many choices (all of them).</param>
/// <param name="Minimum">The smallest value accepted; for a list, the fewest items.</param>
/// <param name="Maximum">The largest value accepted; for a list, the most items.</param>
public sealed record JobParameter(string Name, string Description, string Setting, int Default, int Minimum, int Maximum)
{
    /// <summary>A whole number.</summary>
    public const string IntegerType = "integer";

    /// <summary>A list of distinct <see cref="Choices"/>.</summary>
    public const string ArrayType = "array";

    /// <summary>
    /// For a list parameter (<see cref="ArrayType"/>): the values its items may take, each at most once; the run
    /// takes all of them when the parameter is not given. Null for a whole number.
    /// </summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>Its JSON type: <see cref="IntegerType"/> or <see cref="ArrayType"/>.</summary>
    public string Type => Choices is null ? IntegerType : ArrayType;

    /// <summary>
    /// A floor that protects data: <see cref="Minimum"/> is the floor, and configuration may lower it to
    /// <see cref="ParameterFloor.Lowest"/> by setting <see cref="ParameterFloor.Setting"/> to true. Null for none.
    /// </summary>
    public ParameterFloor? Floor { get; init; }

    /// <summary>Why <paramref name="value"/> is not acceptable, or null when it is.</summary>
    public string? Problem(JsonElement value)
    {
        if (Choices is { } choices)
        {
            return ChoiceProblem(value, choices);
        }

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

    private static string? ChoiceProblem(JsonElement value, IReadOnlyList<string> choices)
    {
        var expected = $"Must be a non-empty list of distinct names from: {string.Join(", ", choices)}.";
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            return expected;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return expected;
            }

            var name = item.GetString()!;
            if (!choices.Contains(name, StringComparer.Ordinal))
            {
                return $"Unknown: {name[..Math.Min(name.Length, 40)]}. {expected}";
            }

            if (!seen.Add(name))
            {
                return $"{name} is listed twice. {expected}";
            }
        }

        return null;
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
    private readonly Func<TOptions, int>? _read;
    private readonly PropertyInfo? _setting;
    private readonly IReadOnlyList<string>? _choices;

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

    /// <summary>A list of distinct names from <paramref name="choices"/> (parts of the job to run); every one when not given.</summary>
    public JobParameter(string name, string description, IReadOnlyList<string> choices)
    {
        Name = name;
        Description = description;
        _choices = choices;
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>
    /// A minimum above the setting's range that protects data, and the full key of the boolean setting that lowers it
    /// to the range's own minimum. Null for none.
    /// </summary>
    public (int Minimum, string LoweredBy)? Floor { get; init; }

    /// <summary>The value this run was given, or else <paramref name="settings"/>' value.</summary>
    public int ValueIn(IJobExecutionContext context, TOptions settings) =>
        context.Parameter(Name, (_read ?? throw new InvalidOperationException($"{Name} is a list; read it with {nameof(ChoicesIn)}."))(settings));

    /// <summary>The choices this run was given, or else all of them.</summary>
    public IReadOnlyList<string> ChoicesIn(IJobExecutionContext context) =>
        context.Parameter(Name, _choices ?? throw new InvalidOperationException($"{Name} is a whole number; read it with {nameof(ValueIn)}."));

    /// <summary>The parameter as the catalog lists it, with the built-in setting as its default.</summary>
    public JobParameter Describe()
    {
        if (_choices is { } choices)
        {
            return new(Name, Description, "", choices.Count, 1, choices.Count) { Choices = choices };
        }

        var setting = _setting!;
        var range = setting.GetCustomAttribute<RangeAttribute>()
            ?? throw new InvalidOperationException($"{typeof(TOptions).Name}.{setting.Name} has no [Range]; it bounds the {Name} parameter too.");
        var minimum = Convert.ToInt32(range.Minimum, CultureInfo.InvariantCulture);
        var maximum = Convert.ToInt32(range.Maximum, CultureInfo.InvariantCulture);
        var builtIn = _read!(new TOptions());
        return Floor is { } floor
            ? new(Name, Description, setting.Name, builtIn, floor.Minimum, maximum) { Floor = new(floor.LoweredBy, minimum) }
            : new(Name, Description, setting.Name, builtIn, minimum, maximum);
    }
}
