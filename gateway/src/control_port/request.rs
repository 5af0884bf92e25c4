//! Control-port requests: `[name, {args}]` checked in Mongrel2's order, and
//! the typed errors that map onto its error codes.

use mongrel2_compat::tnetstring::{self, Limits, Value};

use super::{reply, MAX_REQUEST_BYTES, MAX_REQUEST_DEPTH};

/// A command the control port carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `help`: the command list.
    Help,
    /// `status what=...`.
    Status(What),
    /// `time`: the server's clock.
    Time,
    /// `uuid`: the server's uuid.
    Uuid,
    /// `info`: the server's settings.
    Info,
    /// `kill id=N`: drop a connection.
    Kill {
        /// The conn id.
        id: u64,
    },
    /// `stop`: graceful shutdown.
    Stop,
    /// `terminate`: immediate shutdown.
    Terminate,
    /// `reload`: answered, not carried out.
    Reload,
    /// `control_stop`: close the control port.
    ControlStop,
}

/// `status`'s `what` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// Connections.
    Net,
    /// Tasks.
    Tasks,
    /// Any other string: answered with Mongrel2's bare error dict.
    Other,
}

/// Why a request was refused; [`Error::code`] is Mongrel2's code for it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The bytes are not one tnetstring within the caps (or are null).
    #[error("request is not a tnetstring: {0}")]
    Unparsable(String),
    /// The request is not a non-empty list.
    #[error("request is a {found}, not a list of a command name and an argument dict")]
    NotAList {
        /// The type received.
        found: &'static str,
    },
    /// The first element (the command name) is not a string.
    #[error("command name is a {found}, not a string")]
    NameNotString {
        /// The type received.
        found: &'static str,
    },
    /// The list has no argument dict after the name.
    #[error("request has no argument dict")]
    MissingArgs,
    /// The last element (the arguments) is not a dict.
    #[error("arguments are a {found}, not a dict")]
    ArgsNotDict {
        /// The type received.
        found: &'static str,
    },
    /// No command has this name.
    #[error("unknown command {name:?}")]
    UnknownCommand {
        /// The name received (lossy UTF-8).
        name: String,
    },
    /// A command's argument is missing or has the wrong type or range.
    #[error("argument {arg:?} of {command}: {reason}")]
    BadArgument {
        /// The command.
        command: &'static str,
        /// The argument at fault.
        arg: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `kill` of an id no open connection has.
    #[error("no open connection has id {id}")]
    UnknownConn {
        /// The id asked for.
        id: u64,
    },
    /// `kill` of a connection already being closed.
    #[error("connection {id} is already closing")]
    NotConnected {
        /// The id asked for.
        id: u64,
    },
}

impl Error {
    /// Mongrel2's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unparsable(_)
            | Error::NameNotString { .. }
            | Error::MissingArgs
            | Error::ArgsNotDict { .. } => "INVALID_DATA",
            Error::NotAList { .. } => "INVALID_REQUEST",
            Error::UnknownCommand { .. } => "CALLBACK_NOT_FOUND",
            Error::BadArgument { .. } | Error::UnknownConn { .. } => "INVALID_ARGUMENT",
            Error::NotConnected { .. } => "NOT_CONNECTED",
        }
    }

    /// Mongrel2's error text for the code (the same for every error of a code).
    pub fn wire_message(&self) -> &'static str {
        match self.code() {
            "INVALID_REQUEST" => "Invalid request format, must be a list with two elements in it.",
            "INVALID_DATA" => "Invalid data, expecting a list with a string and a hash in it.",
            "CALLBACK_NOT_FOUND" => "Callback requested was not found.",
            "NOT_CONNECTED" => "Socket not connected.",
            _ => "Invalid argument type.",
        }
    }

    /// The reply frame: `{"code": ..., "error": ...}`.
    pub fn reply(&self) -> Vec<u8> {
        reply::coded_error(self.code(), self.wire_message())
    }
}

/// Parses one request frame; bytes after the first tnetstring are ignored.
pub fn parse(frame: &[u8]) -> Result<Command, Error> {
    let limits = Limits {
        max_size: MAX_REQUEST_BYTES,
        max_depth: MAX_REQUEST_DEPTH,
        ..Limits::default()
    };
    let (value, _rest) =
        tnetstring::parse_with(frame, &limits).map_err(|e| Error::Unparsable(e.to_string()))?;
    if value.is_null() {
        return Err(Error::Unparsable("null".into()));
    }
    let items = match value.as_list() {
        Some(items) if !items.is_empty() => items,
        _ => {
            return Err(Error::NotAList {
                found: value.type_name(),
            })
        }
    };
    let (first, last) = (&items[0], &items[items.len() - 1]);
    let name = first.as_bytes().ok_or(Error::NameNotString {
        found: first.type_name(),
    })?;
    if items.len() < 2 {
        return Err(Error::MissingArgs);
    }
    if last.as_dict().is_none() {
        return Err(Error::ArgsNotDict {
            found: last.type_name(),
        });
    }
    command(name, last)
}

fn command(name: &[u8], args: &Value<'_>) -> Result<Command, Error> {
    Ok(match name {
        b"help" => Command::Help,
        b"status" => Command::Status(what(args)?),
        b"time" => Command::Time,
        b"uuid" => Command::Uuid,
        b"info" => Command::Info,
        b"kill" => Command::Kill { id: kill_id(args)? },
        b"stop" => Command::Stop,
        b"terminate" => Command::Terminate,
        b"reload" => Command::Reload,
        b"control_stop" => Command::ControlStop,
        _ => {
            return Err(Error::UnknownCommand {
                name: String::from_utf8_lossy(name).into_owned(),
            })
        }
    })
}

fn what(args: &Value<'_>) -> Result<What, Error> {
    let bad = |reason| Error::BadArgument {
        command: "status",
        arg: "what",
        reason,
    };
    let value = args.get(b"what").ok_or(bad("missing"))?;
    Ok(match value.as_bytes().ok_or(bad("not a string"))? {
        b"net" => What::Net,
        b"tasks" => What::Tasks,
        _ => What::Other,
    })
}

fn kill_id(args: &Value<'_>) -> Result<u64, Error> {
    let bad = |reason| Error::BadArgument {
        command: "kill",
        arg: "id",
        reason,
    };
    let id = args
        .get(b"id")
        .ok_or(bad("missing"))?
        .as_int()
        .ok_or(bad("not an integer"))?;
    u32::try_from(id)
        .map(u64::from)
        .map_err(|_| bad("outside 0..=4294967295"))
}
