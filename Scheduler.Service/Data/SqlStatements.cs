using System.Text;

namespace Scheduler.Service.Data;

/// <summary>
/// Splits a SQL script into its statements at the semicolons that end them, leaving alone those inside quotes,
/// quoted identifiers, dollar-quoted bodies and comments. PostgreSQL runs a multi-statement command as one implicit
/// transaction, so a script that must not run in one (<c>CREATE INDEX CONCURRENTLY</c>) is sent a statement at a time.
/// </summary>
internal static class SqlStatements
{
    public static IReadOnlyList<string> Split(string sql)
    {
        var statements = new List<string>();
        var current = new StringBuilder();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            int end;
            if (c == '-' && next == '-')
            {
                end = sql.IndexOf('\n', i);
                end = end < 0 ? sql.Length : end + 1;
            }
            else if (c == '/' && next == '*')
            {
                end = BlockCommentEnd(sql, i);
            }
            else if (c is '\'' or '"')
            {
                end = QuotedEnd(sql, i, c);
            }
            else if (c == '$' && DollarTag(sql, i) is { } tag)
            {
                var close = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                end = close < 0 ? sql.Length : close + tag.Length;
            }
            else if (c == ';')
            {
                Add(statements, current);
                i++;
                continue;
            }
            else
            {
                end = i + 1;
            }

            current.Append(sql, i, end - i);
            i = end;
        }

        Add(statements, current);
        return statements;
    }

    private static void Add(List<string> statements, StringBuilder current)
    {
        var text = current.ToString().Trim();
        current.Clear();
        if (StripLeadingComments(text).Length > 0)
        {
            statements.Add(text);
        }
    }

    /// <summary>The statement without the comments and blank lines before it.</summary>
    public static string StripLeadingComments(string statement)
    {
        var text = statement.TrimStart();
        while (true)
        {
            if (text.StartsWith("--", StringComparison.Ordinal))
            {
                var newline = text.IndexOf('\n', StringComparison.Ordinal);
                text = newline < 0 ? "" : text[(newline + 1)..].TrimStart();
            }
            else if (text.StartsWith("/*", StringComparison.Ordinal))
            {
                text = text[BlockCommentEnd(text, 0)..].TrimStart();
            }
            else
            {
                return text;
            }
        }
    }

    private static int BlockCommentEnd(string sql, int start)
    {
        // PostgreSQL's block comments nest.
        var depth = 0;
        for (var i = start; i + 1 < sql.Length; i++)
        {
            if (sql[i] == '/' && sql[i + 1] == '*')
            {
                depth++;
                i++;
            }
            else if (sql[i] == '*' && sql[i + 1] == '/')
            {
                depth--;
                i++;
                if (depth == 0)
                {
                    return i + 1;
                }
            }
        }

        return sql.Length;
    }

    private static int QuotedEnd(string sql, int start, char quote)
    {
        for (var i = start + 1; i < sql.Length; i++)
        {
            if (sql[i] == quote)
            {
                // A doubled quote is an escaped one.
                if (i + 1 < sql.Length && sql[i + 1] == quote)
                {
                    i++;
                    continue;
                }

                return i + 1;
            }
        }

        return sql.Length;
    }

    /// <summary><c>$$</c> or <c>$tag$</c> at <paramref name="start"/>, else null (a positional parameter such as <c>$1</c>).</summary>
    private static string? DollarTag(string sql, int start)
    {
        var i = start + 1;
        while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_'))
        {
            i++;
        }

        if (i >= sql.Length || sql[i] != '$' || (i > start + 1 && char.IsDigit(sql[start + 1])))
        {
            return null;
        }

        return sql[start..(i + 1)];
    }
}
