using System.Data;
using Dapper;

namespace Scheduler.Jobs.Data;

/// <summary>
/// How Dapper maps the service's own types, set once for the process: UTC timestamps as <see cref="DateTimeOffset"/>.
/// Every time column is <c>timestamptz</c>, which Npgsql reads as a UTC <see cref="DateTime"/>; rows may declare
/// <see cref="DateTimeOffset"/> instead. Written, a <see cref="DateTimeOffset"/> goes as its UTC instant (Npgsql refuses
/// one with a non-zero offset for <c>timestamptz</c>).
/// </summary>
public static class DapperTypes
{
    private static int _registered;

    /// <summary>Registers the mappings; only the first call does anything.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }

        // Dapper's built-in map for DateTimeOffset parameters would bypass the handler.
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
        SqlMapper.AddTypeHandler(typeof(DateTimeOffset), new UtcDateTimeOffsetHandler());
    }

    /// <summary>
    /// Not a <c>TypeHandler&lt;DateTimeOffset&gt;</c>: Dapper hands this handler the <c>DateTimeOffset?</c> reads too,
    /// NULL included, which only the untyped interface can answer with null.
    /// </summary>
    private sealed class UtcDateTimeOffsetHandler : SqlMapper.ITypeHandler
    {
        public void SetValue(IDbDataParameter parameter, object value) =>
            parameter.Value = value is DateTimeOffset at ? at.ToUniversalTime() : value;

        public object? Parse(Type destinationType, object value) => value switch
        {
            DBNull => null,
            DateTime at => new DateTimeOffset(at.Kind == DateTimeKind.Utc ? at : DateTime.SpecifyKind(at, DateTimeKind.Utc)),
            DateTimeOffset at => at.ToUniversalTime(),
            _ => throw new DataException($"A {value.GetType().Name} is not a timestamp"),
        };
    }
}
