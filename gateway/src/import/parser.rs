//! m2sh's grammar over [`lexer`](super::lexer) tokens, as Mongrel2 1.12's m2sh accepts it:
//!
//! ```text
//! file       = assignment { assignment }
//! assignment = IDENT "=" expr
//! expr       = STRING | NUMBER | IDENT | CLASS "(" [ param { [","] param } ] ")"
//!            | "[" [ expr { [","] expr } ] "]" | "{" [ pair { [","] pair } ] "}"
//! param      = IDENT "=" expr
//! pair       = STRING ":" expr
//! ```
//!
//! Commas between elements are optional (Debian's `examples/ws/mongrel2.conf` and
//! `examples/bbs/mongrel2.conf` leave them out and m2sh loads both); a trailing comma, positional
//! arguments, non-string dictionary keys and `True`/`False` are syntax errors in m2sh and here.

use super::error::{Error, Pos};
use super::lexer::{Kind, Token};

/// Deepest nesting of lists, dicts and classes; real configs nest four deep.
pub const MAX_NESTING: usize = 64;

/// An expression and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// What it is.
    pub value: Value,
    /// Its first token's position.
    pub pos: Pos,
}

/// The values of the language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A quoted string (backslashes kept).
    Str(String),
    /// A decimal number.
    Number(u64),
    /// A variable name, resolved when the config is loaded.
    Ref(String),
    /// `Class(name=value, ...)`, parameters in file order.
    Class {
        /// `Server`, `Host`, `Handler`, `Dir`, `Proxy`, `Filter`, ...
        name: String,
        /// Parameters in file order (a repeated name: the last one counts, as in m2sh).
        params: Vec<(String, Expr)>,
    },
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{"k": v}` in file order.
    Dict(Vec<(String, Expr)>),
}

impl Value {
    /// How the value reads in a message.
    pub fn describe(&self) -> String {
        match self {
            Value::Str(_) => "a string".to_owned(),
            Value::Number(_) => "a number".to_owned(),
            Value::Ref(name) => format!("variable `{name}`"),
            Value::Class { name, .. } => format!("a {name}(...)"),
            Value::List(_) => "a list".to_owned(),
            Value::Dict(_) => "a dict".to_owned(),
        }
    }
}

/// One `name = expr` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The variable.
    pub name: String,
    /// Where the name is.
    pub pos: Pos,
    /// Its value.
    pub value: Expr,
}

/// Parses a whole file.
pub fn parse(tokens: &[Token]) -> Result<Vec<Assignment>, Error> {
    let mut parser = Parser { tokens, next: 0 };
    let mut file = Vec::new();
    while parser.peek().is_some() || file.is_empty() {
        file.push(parser.assignment()?);
    }
    Ok(file)
}

/// A cursor over the tokens.
struct Parser<'a> {
    tokens: &'a [Token],
    next: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn take(&mut self, wanted: &str) -> Result<&Token, Error> {
        let end = self.end_pos();
        let token = self
            .tokens
            .get(self.next)
            .ok_or_else(|| Error::syntax(end, format!("file ends where {wanted} was expected")))?;
        self.next = self.next.saturating_add(1);
        Ok(token)
    }

    /// Where the file ends: just after the last token (or 1:1 for an empty file).
    fn end_pos(&self) -> Pos {
        self.tokens
            .last()
            .map_or(Pos { line: 1, col: 1 }, |t| t.pos)
    }

    fn expect(&mut self, kind: &Kind, wanted: &str) -> Result<Pos, Error> {
        let token = self.take(wanted)?;
        if &token.kind == kind {
            Ok(token.pos)
        } else {
            Err(unexpected(token, wanted))
        }
    }

    fn assignment(&mut self) -> Result<Assignment, Error> {
        let token = self.take("a variable name (`name = ...`)")?;
        let Kind::Ident(name) = &token.kind else {
            return Err(unexpected(token, "a variable name (`name = ...`)"));
        };
        let (name, pos) = (name.clone(), token.pos);
        self.expect(&Kind::Equals, "`=`")?;
        let value = self.expr(0)?;
        Ok(Assignment { name, pos, value })
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, Error> {
        let token = self.take("a value")?;
        let pos = token.pos;
        if depth >= MAX_NESTING {
            return Err(Error::syntax(
                pos,
                format!("nested deeper than {MAX_NESTING} levels"),
            ));
        }
        let value = match &token.kind {
            Kind::Str(text) => Value::Str(text.clone()),
            Kind::Number(n) => Value::Number(*n),
            Kind::Ident(name) => Value::Ref(name.clone()),
            Kind::Class(name) => {
                let name = name.clone();
                self.expect(&Kind::OpenParen, "`(` after a class name")?;
                let params =
                    self.elements(&Kind::CloseParen, "a parameter (`name = value`)", |p| {
                        p.param(depth)
                    })?;
                Value::Class { name, params }
            }
            Kind::OpenBracket => {
                Value::List(self.elements(&Kind::CloseBracket, "a value", |p| p.expr(depth + 1))?)
            }
            Kind::OpenBrace => Value::Dict(self.elements(
                &Kind::CloseBrace,
                "a quoted key (`\"key\": value`)",
                |p| p.pair(depth),
            )?),
            _ => return Err(unexpected(token, "a value")),
        };
        Ok(Expr { value, pos })
    }

    /// Elements up to `close`, with optional commas between them and none after the last.
    fn elements<T>(
        &mut self,
        close: &Kind,
        wanted: &str,
        mut element: impl FnMut(&mut Self) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        if self.peek().is_some_and(|t| &t.kind == close) {
            self.next = self.next.saturating_add(1);
            return Ok(items);
        }
        loop {
            items.push(element(self)?);
            match self.peek() {
                Some(t) if &t.kind == close => {
                    self.next = self.next.saturating_add(1);
                    return Ok(items);
                }
                Some(t) if t.kind == Kind::Comma => {
                    self.next = self.next.saturating_add(1);
                    if let Some(t) = self.peek().filter(|t| &t.kind == close) {
                        return Err(Error::syntax(
                            t.pos,
                            format!(
                                "{} after a trailing `,` (m2sh refuses trailing commas)",
                                t.kind.describe()
                            ),
                        ));
                    }
                }
                Some(_) => {}
                None => {
                    return Err(Error::syntax(
                        self.end_pos(),
                        format!(
                            "file ends where {} or {wanted} was expected",
                            close.describe()
                        ),
                    ))
                }
            }
        }
    }

    fn param(&mut self, depth: usize) -> Result<(String, Expr), Error> {
        let token = self.take("a parameter (`name = value`)")?;
        let Kind::Ident(name) = &token.kind else {
            return Err(unexpected(
                token,
                "a parameter (`name = value`; m2sh has no positional arguments)",
            ));
        };
        let name = name.clone();
        self.expect(&Kind::Equals, "`=` after a parameter name")?;
        Ok((name, self.expr(depth + 1)?))
    }

    fn pair(&mut self, depth: usize) -> Result<(String, Expr), Error> {
        let token = self.take("a quoted key")?;
        let Kind::Str(key) = &token.kind else {
            return Err(unexpected(token, "a quoted key (m2sh keys are strings)"));
        };
        let key = key.clone();
        self.expect(&Kind::Colon, "`:` after a key")?;
        Ok((key, self.expr(depth + 1)?))
    }
}

fn unexpected(token: &Token, wanted: &str) -> Error {
    Error::syntax(
        token.pos,
        format!(
            "found {} where {wanted} was expected",
            token.kind.describe()
        ),
    )
}

#[cfg(test)]
mod tests;
