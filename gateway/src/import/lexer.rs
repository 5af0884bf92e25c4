//! Tokens of m2sh's config language, as Mongrel2 1.12's m2sh reads them: lower-case identifiers
//! (variables and parameter names), capitalised class names (`Server`, `Host`, ...), quoted
//! strings, decimal numbers, the punctuation `= ( ) [ ] { } , :`, `#` comments to the end of the
//! line. What m2sh refuses we refuse too: `-`, `.`, `;`, backticks, negative or fractional numbers.
//!
//! Strings keep their content exactly as written: m2sh lets `\` stop a quote from ending the
//! string but stores the backslash too (`'/(.*\.json)'` reaches the database with its `\`).

use super::error::{Error, Pos};

/// Longest number literal in digits; more would overflow a `u64` anyway.
pub const MAX_NUMBER_DIGITS: usize = 19;

/// One token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What was read.
    pub kind: Kind,
    /// Line and column of its first character.
    pub pos: Pos,
}

/// The kinds of token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `[a-z_][A-Za-z0-9_]*`: a variable or parameter name.
    Ident(String),
    /// `[A-Z][A-Za-z0-9_]*`: a class name.
    Class(String),
    /// A quoted string's content, backslashes kept.
    Str(String),
    /// A decimal number.
    Number(u64),
    /// `=`
    Equals,
    /// `(`
    OpenParen,
    /// `)`
    CloseParen,
    /// `[`
    OpenBracket,
    /// `]`
    CloseBracket,
    /// `{`
    OpenBrace,
    /// `}`
    CloseBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
}

impl Kind {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Kind::Ident(name) => format!("name `{name}`"),
            Kind::Class(name) => format!("class `{name}`"),
            Kind::Str(_) => "a string".to_owned(),
            Kind::Number(n) => format!("number {n}"),
            Kind::Equals => "`=`".to_owned(),
            Kind::OpenParen => "`(`".to_owned(),
            Kind::CloseParen => "`)`".to_owned(),
            Kind::OpenBracket => "`[`".to_owned(),
            Kind::CloseBracket => "`]`".to_owned(),
            Kind::OpenBrace => "`{`".to_owned(),
            Kind::CloseBrace => "`}`".to_owned(),
            Kind::Comma => "`,`".to_owned(),
            Kind::Colon => "`:`".to_owned(),
        }
    }
}

/// Splits `text` into tokens; the first character m2sh would not accept is an error.
pub fn tokenize(text: &str) -> Result<Vec<Token>, Error> {
    let mut lexer = Lexer {
        chars: text.chars().peekable(),
        pos: Pos { line: 1, col: 1 },
    };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next_token()? {
        tokens.push(token);
    }
    Ok(tokens)
}

/// A cursor over the text that tracks line and column.
struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    pos: Pos,
}

impl Lexer<'_> {
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.pos.line = self.pos.line.saturating_add(1);
            self.pos.col = 1;
        } else {
            self.pos.col = self.pos.col.saturating_add(1);
        }
        Some(c)
    }

    fn next_token(&mut self) -> Result<Option<Token>, Error> {
        loop {
            match self.chars.peek() {
                None => return Ok(None),
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some('#') => {
                    while self.chars.peek().is_some_and(|&c| c != '\n') {
                        self.bump();
                    }
                }
                Some(_) => break,
            }
        }
        let pos = self.pos;
        let Some(c) = self.bump() else {
            return Ok(None);
        };
        let kind = match c {
            '=' => Kind::Equals,
            '(' => Kind::OpenParen,
            ')' => Kind::CloseParen,
            '[' => Kind::OpenBracket,
            ']' => Kind::CloseBracket,
            '{' => Kind::OpenBrace,
            '}' => Kind::CloseBrace,
            ',' => Kind::Comma,
            ':' => Kind::Colon,
            '"' | '\'' => Kind::Str(self.string(c, pos)?),
            '0'..='9' => Kind::Number(self.number(c, pos)?),
            'a'..='z' | '_' => Kind::Ident(self.word(c)),
            'A'..='Z' => Kind::Class(self.word(c)),
            other => {
                return Err(Error::syntax(
                    pos,
                    format!("invalid character {other:?} (m2sh refuses it too)"),
                ))
            }
        };
        Ok(Some(Token { kind, pos }))
    }

    fn word(&mut self, first: char) -> String {
        let mut word = String::from(first);
        while let Some(&c) = self.chars.peek() {
            if !(c.is_ascii_alphanumeric() || c == '_') {
                break;
            }
            word.push(c);
            self.bump();
        }
        word
    }

    fn number(&mut self, first: char, pos: Pos) -> Result<u64, Error> {
        let mut digits = String::from(first);
        while let Some(&c) = self.chars.peek() {
            if !c.is_ascii_digit() {
                break;
            }
            if digits.len() >= MAX_NUMBER_DIGITS {
                return Err(Error::syntax(
                    pos,
                    format!("number longer than {MAX_NUMBER_DIGITS} digits"),
                ));
            }
            digits.push(c);
            self.bump();
        }
        if self.chars.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            return Err(Error::syntax(
                pos,
                "a number must be decimal digits only (no hex, no suffix)",
            ));
        }
        digits
            .parse()
            .map_err(|_| Error::syntax(pos, "number out of range"))
    }

    fn string(&mut self, quote: char, pos: Pos) -> Result<String, Error> {
        let mut content = String::new();
        loop {
            match self.bump() {
                None => return Err(Error::syntax(pos, "string is never closed")),
                Some(c) if c == quote => return Ok(content),
                Some('\\') => {
                    content.push('\\');
                    match self.bump() {
                        Some(escaped) => content.push(escaped),
                        None => return Err(Error::syntax(pos, "string is never closed")),
                    }
                }
                Some(c) => content.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    fn error_at(text: &str) -> (u32, u32) {
        match tokenize(text) {
            Err(Error::Syntax { pos, .. }) => (pos.line, pos.col),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn every_token_kind() {
        assert_eq!(
            kinds("a_1 = Server(x=[1, 'q'], y={\"k\": v}) # comment\n"),
            vec![
                Kind::Ident("a_1".into()),
                Kind::Equals,
                Kind::Class("Server".into()),
                Kind::OpenParen,
                Kind::Ident("x".into()),
                Kind::Equals,
                Kind::OpenBracket,
                Kind::Number(1),
                Kind::Comma,
                Kind::Str("q".into()),
                Kind::CloseBracket,
                Kind::Comma,
                Kind::Ident("y".into()),
                Kind::Equals,
                Kind::OpenBrace,
                Kind::Str("k".into()),
                Kind::Colon,
                Kind::Ident("v".into()),
                Kind::CloseBrace,
                Kind::CloseParen,
            ]
        );
    }

    #[test]
    fn strings_keep_backslashes_and_span_lines() {
        assert_eq!(
            kinds(r"'/(.*\.json)'"),
            vec![Kind::Str(r"/(.*\.json)".into())]
        );
        assert_eq!(kinds(r#""q\"x""#), vec![Kind::Str(r#"q\"x"#.into())]);
        assert_eq!(kinds("\"a\nb\""), vec![Kind::Str("a\nb".into())]);
        assert_eq!(
            kinds("'#not a comment'"),
            vec![Kind::Str("#not a comment".into())]
        );
    }

    #[test]
    fn positions_count_lines_and_columns() {
        let tokens = tokenize("a = 1\n  # c\n  bb").unwrap();
        assert_eq!(tokens[2].pos, Pos { line: 1, col: 5 });
        assert_eq!(tokens[3].pos, Pos { line: 3, col: 3 });
    }

    #[test]
    fn refuses_what_m2sh_refuses() {
        assert_eq!(error_at("x = -5"), (1, 5));
        assert_eq!(error_at("x = 1.5"), (1, 6));
        assert_eq!(error_at("x = 0x10"), (1, 5));
        assert_eq!(error_at("\nmy-h = 1"), (2, 3));
        assert_eq!(error_at("x = `a`"), (1, 5));
        assert_eq!(error_at("x = 1;"), (1, 6));
        assert_eq!(error_at("x = 'open"), (1, 5));
        assert_eq!(error_at("x = 12345678901234567890"), (1, 5));
    }
}
