using FluentAssertions;
using Scheduler.Service.Data;

namespace Scheduler.Tests.Data;

/// <summary>A no-transaction migration is sent a statement at a time: it splits where PostgreSQL would, and nowhere else.</summary>
public sealed class SqlStatementsTests
{
    [Test]
    public void Split_AtTheSemicolonsThatEndStatements()
    {
        SqlStatements.Split("CREATE INDEX a ON t (x);\nCREATE INDEX b ON t (y);\n")
            .Should().Equal("CREATE INDEX a ON t (x)", "CREATE INDEX b ON t (y)");
    }

    [Test]
    public void Split_KeepsSemicolonsInStringsIdentifiersCommentsAndDollarQuotedBodies()
    {
        var sql = """
            -- a comment; not a statement end
            INSERT INTO t VALUES ('a;b', 'it''s; fine');
            /* block; /* nested; */ still comment; */ SELECT 1 AS "odd;name";
            DO $body$ BEGIN PERFORM 1; PERFORM 2; END $body$;
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            """;

        var statements = SqlStatements.Split(sql);

        statements.Should().HaveCount(4);
        statements[0].Should().EndWith("VALUES ('a;b', 'it''s; fine')");
        statements[1].Should().EndWith("SELECT 1 AS \"odd;name\"");
        statements[2].Should().Be("DO $body$ BEGIN PERFORM 1; PERFORM 2; END $body$");
        statements[3].Should().Be("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$");
    }

    [Test]
    public void Split_DropsWhatIsOnlyCommentsAndWhitespace()
    {
        SqlStatements.Split("-- migrate:no-transaction\n\nSELECT 1;\n-- trailing note\n").Should().Equal("-- migrate:no-transaction\n\nSELECT 1");
    }
}
