use super::{Open, Tail, open_end, statement_tail};

/// The bypass found on SQLite: one statement to a lexer that reads `$x$` as a dollar quote,
/// three to SQLite, which reads `[$x$]` as an identifier.
const BRACKET_BYPASS: &str = "SELECT 1 AS [$x$]) AS t; PRAGMA query_only=OFF; DELETE FROM jobs; SELECT 1 AS value FROM (SELECT 1 AS [$x$]";

#[test]
fn one_statement_in_every_dialect_is_accepted() {
    let table = [
        "SELECT 1",
        "SELECT 1;",
        "SELECT 1; ;\n",
        "SELECT ';' AS value",
        "SELECT 'it''s; fine' AS value",
        "SELECT 1 AS \"a;b\"",
        "SELECT 1 -- one; two\n AS value",
        "SELECT /* ; */ 1",
        "SELECT status, count(*) AS n FROM jobs WHERE note <> 'a;b' GROUP BY status",
        "SELECT arr[1] AS value FROM t",
        "SELECT 1 AS value FROM t WHERE a$b$c = 1",
        "SELECT 1 AS value -- trailing comment\n",
        "SELECT 1 AS value /* trailing comment */",
        "SELECT 'a' AS value",
        "SELECT 1 AS [value]",
        "SELECT $q$a$q$ AS value",
    ];
    for sql in table {
        assert_eq!(statement_tail(sql), None, "{sql}");
        assert_eq!(open_end(sql), None, "{sql}");
    }
}

#[test]
fn a_statement_end_any_dialect_reads_is_refused_naming_the_dialect() {
    let table = [
        ("SELECT 1; SELECT 2", 8, "SQLite"),
        ("SELECT 1; DROP TABLE jobs;", 8, "SQLite"),
        ("SELECT ';'; DELETE FROM jobs", 10, "SQLite"),
        ("SELECT 1; -- only a comment after", 8, "SQLite"),
        // `[…]` hides a dollar quote from SQLite (the bypass).
        (BRACKET_BYPASS, 23, "SQLite"),
        // Backticks: identifiers in SQLite and MySQL.
        (
            "SELECT 1 AS `$x$`) AS t; DELETE FROM jobs; SELECT 1 AS value FROM (SELECT 1 AS `$x$`",
            23,
            "SQLite",
        ),
        // A dollar quote: one string to PostgreSQL, a parameter then a `;` to SQLite.
        ("SELECT $$;$$ AS value", 9, "SQLite"),
        ("SELECT $q$ ; $q$ AS value", 11, "SQLite"),
        // Nested comments: PostgreSQL nests, SQLite ends the comment at the first `*/`.
        (
            "SELECT 1 AS value /* /* */ ; DELETE FROM jobs; /* */ */",
            27,
            "SQLite",
        ),
        // ... and the other way round: a quote that only SQLite's shorter comment opens.
        (
            "SELECT 1 AS value /* /* */ ' */ ; DELETE FROM jobs; -- '",
            32,
            "PostgreSQL",
        ),
        // A carriage return ends a comment in PostgreSQL, not in SQLite or MySQL.
        (
            "SELECT 1 AS value -- x\r; DELETE FROM jobs",
            23,
            "PostgreSQL",
        ),
        // A backslash escapes a quote in MySQL (and PostgreSQL's E'' strings).
        (
            "SELECT 'a\\' AS value; DELETE FROM jobs; SELECT '",
            20,
            "SQLite",
        ),
        ("SELECT E'\\' ; $a$ ' ; DELETE FROM jobs; $a$", 12, "SQLite"),
        // `#` is a comment only in MySQL; `/*! */` is code in MySQL.
        ("SELECT 1 AS value # ;\n; DELETE FROM jobs", 20, "SQLite"),
        ("SELECT 1 AS value /*! ; DELETE FROM jobs */", 22, "MySQL"),
        // A Tcl-style SQLite parameter swallows a `;` only where the build allows it.
        ("SELECT @a(;) AS value", 10, "SQLite"),
    ];
    for (sql, at, dialect) in table {
        assert_eq!(statement_tail(sql), Some(Tail { at, dialect }), "{sql}");
    }
}

#[test]
fn each_dialect_reads_its_own_quotes() {
    use super::{MYSQL, POSTGRES, SQLITE, first_end};
    let table: [(&str, [bool; 3]); 8] = [
        // (sql, [SQLite, PostgreSQL, MySQL] read a statement end)
        ("SELECT [;] ; x", [true, true, true]),
        ("SELECT [a;b] AS v", [false, true, true]),
        ("SELECT `a;b` AS v", [false, true, false]),
        ("SELECT $t$;$t$ AS v", [true, false, true]),
        ("SELECT x$t$;$t$ AS v", [true, true, true]),
        ("SELECT /* /* */ ; */ AS v", [true, false, true]),
        ("SELECT 'a\\'; x' AS v", [true, true, false]),
        ("SELECT E'a\\'; x' AS v", [true, false, false]),
    ];
    for (sql, want) in table {
        let got = [SQLITE, POSTGRES, MYSQL].map(|d| first_end(&d, sql.as_bytes()).is_some());
        assert_eq!(got, want, "{sql}");
    }
}

#[test]
fn sql_ending_inside_a_quote_or_comment_in_any_dialect_is_refused_naming_it() {
    let table = [
        // A `--` comment with no line break after it would swallow the wrapper's `) AS … LIMIT`.
        (
            "SELECT 1 AS value -- trailing comment",
            "-- comment",
            "SQLite",
        ),
        (
            "SELECT count(*) AS value FROM big) AS t --",
            "-- comment",
            "SQLite",
        ),
        // A carriage return ends it in PostgreSQL only.
        ("SELECT 1 AS value -- x\r", "-- comment", "SQLite"),
        // `--x` is a comment in SQLite and PostgreSQL, `- -x` in MySQL; `#` only in MySQL.
        ("SELECT 1 AS value # note", "# comment", "MySQL"),
        ("SELECT 1 AS value /* open", "/* */ comment", "SQLite"),
        // PostgreSQL nests: the first `*/` does not close it.
        ("SELECT 1 AS value /* /* */", "/* */ comment", "PostgreSQL"),
        ("SELECT 1 AS value /*! open", "/* */ comment", "SQLite"),
        ("SELECT 'open AS value", "'…' quote", "SQLite"),
        // A backslash escapes the quote in MySQL only.
        ("SELECT 'a\\' AS value", "'…' quote", "PostgreSQL"),
        ("SELECT 1 AS \"open", "\"…\" quote", "SQLite"),
        ("SELECT 1 AS `open", "`…` quote", "SQLite"),
        ("SELECT 1 AS [open", "[…] name", "SQLite"),
        ("SELECT $q$ open", "$…$ quote", "PostgreSQL"),
    ];
    for (sql, what, dialect) in table {
        assert_eq!(open_end(sql), Some(Open { what, dialect }), "{sql}");
    }
}
