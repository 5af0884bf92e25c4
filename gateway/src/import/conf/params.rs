//! The `name=value` parameters of one `Class(...)`: typed getters that stop the load on a wrong
//! type (as m2sh's "Invalid type for port, should be NUMBER not QSTRING" does) and a warning for
//! every parameter nothing asked for (m2sh ignores them silently).

use super::super::error::{Error, Warning};
use super::super::parser::{Expr, Value};

/// Parameters not yet taken, in file order; a repeated name keeps its last value.
pub struct Params<'a> {
    class: &'a str,
    items: Vec<(&'a str, &'a Expr)>,
}

impl<'a> Params<'a> {
    /// The parameters of class `class`.
    pub fn new(class: &'a str, params: &'a [(String, Expr)]) -> Params<'a> {
        let mut items: Vec<(&str, &Expr)> = Vec::with_capacity(params.len());
        for (name, expr) in params {
            items.retain(|(n, _)| n != name);
            items.push((name.as_str(), expr));
        }
        Params { class, items }
    }

    /// Removes and returns parameter `key`.
    pub fn take(&mut self, key: &str) -> Option<&'a Expr> {
        let index = self.items.iter().position(|(name, _)| *name == key)?;
        Some(self.items.remove(index).1)
    }

    /// Drops parameter `key`: m2sh reads it but it has no effect.
    pub fn ignore(&mut self, key: &str) {
        self.take(key);
    }

    /// A string parameter.
    pub fn text(&mut self, key: &str) -> Result<Option<String>, Error> {
        match self.take(key) {
            None => Ok(None),
            Some(Expr {
                value: Value::Str(text),
                ..
            }) => Ok(Some(text.clone())),
            Some(other) => Err(self.wrong(key, other, "a string")),
        }
    }

    /// A number parameter.
    pub fn number(&mut self, key: &str) -> Result<Option<u64>, Error> {
        match self.take(key) {
            None => Ok(None),
            Some(Expr {
                value: Value::Number(n),
                ..
            }) => Ok(Some(*n)),
            Some(other) => Err(self.wrong(key, other, "a number")),
        }
    }

    /// A list parameter.
    pub fn list(&mut self, key: &str) -> Result<Option<&'a [Expr]>, Error> {
        match self.take(key) {
            None => Ok(None),
            Some(Expr {
                value: Value::List(items),
                ..
            }) => Ok(Some(items.as_slice())),
            Some(other) => Err(self.wrong(key, other, "a list")),
        }
    }

    /// Warns about every parameter left, naming `object`.
    pub fn finish(self, object: &str, warnings: &mut Vec<Warning>) {
        for (name, expr) in self.items {
            warnings.push(Warning::new(
                object,
                format!(
                    "{}({name}=...) at {} is not a {} parameter m2sh knows; ignored",
                    self.class, expr.pos, self.class
                ),
            ));
        }
    }

    fn wrong(&self, key: &str, expr: &Expr, expected: &str) -> Error {
        Error::invalid(
            expr.pos,
            format!(
                "{}({key}=...) is {}, expected {expected}",
                self.class,
                expr.value.describe()
            ),
        )
    }
}
