//! Where a statement ends, as each SQL dialect the module speaks reads it. An aggregate's SQL must
//! be one statement in all of them: a `;` that any of them reads as a statement end, followed by
//! more text, is refused. One lexer per dialect (not one lexer that knows every quote) because
//! the dialects disagree on what opens a quote: `[$x$]` is an identifier to SQLite and a dollar
//! quote to PostgreSQL, `/* /* */` closes a comment in SQLite and not in PostgreSQL, `'\'` is a
//! whole string in standard SQL and an open one in MySQL. A dialect whose reading is uncertain
//! (server settings, build options) is lexed in each of its readings. The SQL must also end
//! outside every quote and comment in all of them, or the kernel's wrapper after it (`) AS …
//! LIMIT …`) would be read as part of that quote or comment.

/// How one dialect quotes and comments.
#[derive(Clone, Copy)]
struct Dialect {
    name: &'static str,
    /// Backslash escapes in `'…'` strings.
    escapes: Escapes,
    /// Backslash escapes in `"…"` too (MySQL strings).
    double_quote_escapes: bool,
    /// `` `…` `` identifiers.
    backticks: bool,
    /// `[…]` identifiers.
    brackets: bool,
    /// `$tag$…$tag$` strings.
    dollar_quotes: bool,
    /// `/* /* */ */` nests.
    nested_comments: bool,
    /// `#` starts a line comment.
    hash_comments: bool,
    /// `--` starts a comment only when followed by whitespace or a control character.
    dash_needs_space: bool,
    /// A carriage return ends a `--` comment (else only a line feed).
    cr_ends_comment: bool,
    /// `/*!…*/` and `/*M!…*/` are code, not comments.
    executable_comments: bool,
    /// `$name(…)`, `@name(…)`, `:name(…)`, `#name(…)` parameters swallow up to `)`.
    tcl_parameters: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Escapes {
    Never,
    /// Only in `E'…'` strings (PostgreSQL with `standard_conforming_strings` on).
    EPrefix,
    Always,
}

const SQLITE: Dialect = Dialect {
    name: "SQLite",
    escapes: Escapes::Never,
    double_quote_escapes: false,
    backticks: true,
    brackets: true,
    dollar_quotes: false,
    nested_comments: false,
    hash_comments: false,
    dash_needs_space: false,
    cr_ends_comment: false,
    executable_comments: false,
    tcl_parameters: true,
};

const POSTGRES: Dialect = Dialect {
    name: "PostgreSQL",
    escapes: Escapes::EPrefix,
    double_quote_escapes: false,
    backticks: false,
    brackets: false,
    dollar_quotes: true,
    nested_comments: true,
    hash_comments: false,
    dash_needs_space: false,
    cr_ends_comment: true,
    executable_comments: false,
    tcl_parameters: false,
};

const MYSQL: Dialect = Dialect {
    name: "MySQL",
    escapes: Escapes::Always,
    double_quote_escapes: true,
    backticks: true,
    brackets: false,
    dollar_quotes: false,
    nested_comments: false,
    hash_comments: true,
    dash_needs_space: true,
    cr_ends_comment: false,
    executable_comments: true,
    tcl_parameters: false,
};

/// Every reading checked: SQLite with and without Tcl-style parameters (a build option),
/// PostgreSQL with `standard_conforming_strings` on and off, MySQL with and without
/// `NO_BACKSLASH_ESCAPES`.
const READINGS: [Dialect; 6] = [
    SQLITE,
    Dialect {
        tcl_parameters: false,
        ..SQLITE
    },
    POSTGRES,
    Dialect {
        escapes: Escapes::Always,
        ..POSTGRES
    },
    MYSQL,
    Dialect {
        escapes: Escapes::Never,
        double_quote_escapes: false,
        ..MYSQL
    },
];

/// A statement end followed by more SQL: the byte offset of the `;` and the dialect that reads
/// it so.
#[derive(Debug, PartialEq)]
pub(crate) struct Tail {
    pub(crate) at: usize,
    pub(crate) dialect: &'static str,
}

/// The first statement end followed by more than whitespace and `;` in any dialect's reading,
/// or `None` when `sql` is one statement in all of them.
pub(crate) fn statement_tail(sql: &str) -> Option<Tail> {
    READINGS.iter().find_map(|d| {
        let at = first_end(d, sql.as_bytes())?;
        Some(Tail {
            at,
            dialect: d.name,
        })
    })
}

/// A quote or comment that the SQL ends inside of: what it is and the dialect that reads it so.
#[derive(Debug, PartialEq)]
pub(crate) struct Open {
    pub(crate) what: &'static str,
    pub(crate) dialect: &'static str,
}

/// The quote, comment, bracketed name or dollar quote that `sql` ends inside of in any dialect's
/// reading (a `--` comment without a line break after it included), or `None` when every
/// reading ends outside them all.
pub(crate) fn open_end(sql: &str) -> Option<Open> {
    READINGS.iter().find_map(|d| match read(d, sql.as_bytes()) {
        Reading::Open(what) => Some(Open {
            what,
            dialect: d.name,
        }),
        Reading::Whole | Reading::Tail(_) => None,
    })
}

/// What one dialect's reading of the SQL finds.
enum Reading {
    /// One statement, ending outside every quote and comment.
    Whole,
    /// A statement end (the byte offset of its `;`) followed by more SQL.
    Tail(usize),
    /// The SQL ends inside this quote or comment.
    Open(&'static str),
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

/// The first `;` outside quotes and comments with something after it, in dialect `d`.
fn first_end(d: &Dialect, b: &[u8]) -> Option<usize> {
    match read(d, b) {
        Reading::Tail(at) => Some(at),
        Reading::Whole | Reading::Open(_) => None,
    }
}

/// Reads `b` as dialect `d` up to the first statement end followed by more SQL, or to its end.
fn read(d: &Dialect, b: &[u8]) -> Reading {
    let mut i = 0;
    // Length of the unquoted identifier that ends here (`$` inside one does not start a quote;
    // `E'` starts an escaped string only when the `E` is a word of its own).
    let mut word = 0usize;
    // Depth of MySQL executable comments, whose `*/` closes them.
    let mut exec_depth = 0usize;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let before = std::mem::take(&mut word);
        let word_before = before > 0;
        let e_prefix = before == 1 && matches!(b[i.saturating_sub(1)], b'e' | b'E');
        // The index after the token at `i`, or what it is when it runs to the end unclosed.
        let end = match c {
            b';' => {
                if b[i + 1..]
                    .iter()
                    .any(|c| !c.is_ascii_whitespace() && *c != b';')
                {
                    return Reading::Tail(i);
                }
                Ok(i + 1)
            }
            b'\'' => {
                let escapes = match d.escapes {
                    Escapes::Always => true,
                    Escapes::Never => false,
                    Escapes::EPrefix => e_prefix,
                };
                quoted(b, i, b'\'', escapes).ok_or("'…' quote")
            }
            b'"' => quoted(b, i, b'"', d.double_quote_escapes).ok_or("\"…\" quote"),
            b'`' if d.backticks => quoted(b, i, b'`', false).ok_or("`…` quote"),
            b'[' if d.brackets => find(b, i + 1, b"]").map(|p| p + 1).ok_or("[…] name"),
            b'-' if next == Some(b'-')
                && (!d.dash_needs_space
                    || b.get(i + 2)
                        .is_none_or(|c| c.is_ascii_whitespace() || *c < 0x20)) =>
            {
                line_end(d, b, i).ok_or("-- comment")
            }
            b'#' if d.hash_comments => line_end(d, b, i).ok_or("# comment"),
            b'*' if next == Some(b'/') && exec_depth > 0 => {
                exec_depth -= 1;
                Ok(i + 2)
            }
            b'/' if next == Some(b'*') => {
                let rest = &b[i + 2..];
                if d.executable_comments && (rest.starts_with(b"!") || rest.starts_with(b"M!")) {
                    exec_depth += 1;
                    Ok(i + 2)
                } else {
                    block_comment_end(d, b, i).ok_or("/* */ comment")
                }
            }
            b'$' if d.dollar_quotes && !word_before => match dollar_tag(b, i) {
                Some(tag) => find(b, i + tag.len(), tag)
                    .map(|p| p + tag.len())
                    .ok_or("$…$ quote"),
                None => Ok(i + 1),
            },
            b'$' | b'@' | b':' | b'#' if d.tcl_parameters && !(c == b'$' && word_before) => {
                Ok(tcl_parameter_end(b, i))
            }
            _ => {
                if word_before && is_ident(c) {
                    word = before + 1;
                } else if is_ident_start(c) {
                    word = 1;
                }
                Ok(i + 1)
            }
        };
        i = match end {
            Ok(end) => end,
            Err(what) => return Reading::Open(what),
        };
    }
    if exec_depth > 0 {
        return Reading::Open("/*! */ comment");
    }
    Reading::Whole
}

/// The index after a quoted run opened at `start` by `q`, which ends at a `q` not doubled (nor
/// escaped by a backslash when `escapes`); `None` when unterminated.
fn quoted(b: &[u8], start: usize, q: u8, escapes: bool) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        if escapes && b[i] == b'\\' {
            i += 2;
        } else if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return Some(i + 1);
            }
        } else {
            i += 1;
        }
    }
    None
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// The index after the line break that ends a line comment at `start`; `None` without one.
fn line_end(d: &Dialect, b: &[u8], start: usize) -> Option<usize> {
    b[start..]
        .iter()
        .position(|c| *c == b'\n' || (d.cr_ends_comment && *c == b'\r'))
        .map(|p| start + p + 1)
}

/// The index after the `*/` that closes a block comment at `start`; `None` when unclosed.
fn block_comment_end(d: &Dialect, b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < b.len() {
        if b[i] == b'/' && b[i + 1] == b'*' && (depth == 0 || d.nested_comments) {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// The opening `$tag$` at `start` (tag empty or an identifier not starting with a digit).
fn dollar_tag(b: &[u8], start: usize) -> Option<&[u8]> {
    let rest = &b[start + 1..];
    let len = rest.iter().position(|c| *c == b'$')?;
    let tag = &rest[..len];
    let valid = tag.first().is_none_or(|c| is_ident_start(*c))
        && tag.iter().all(|c| is_ident(*c) && *c != b'$');
    valid.then(|| &b[start..start + len + 2])
}

/// The end of a SQLite parameter at `start`: sigil, name characters (and `::`), and with a name,
/// an optional `(…)` that runs to the first `)` or whitespace.
fn tcl_parameter_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    let mut named = false;
    while i < b.len() {
        if is_ident(b[i]) {
            named = true;
            i += 1;
        } else if b[i] == b':' && b.get(i + 1) == Some(&b':') {
            i += 2;
        } else if b[i] == b'(' && named {
            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b')' {
                i += 1;
            }
            return (i + 1).min(b.len());
        } else {
            break;
        }
    }
    i
}

#[cfg(test)]
mod tests;
