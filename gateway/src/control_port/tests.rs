//! The control port against Mongrel2 1.12's captured bytes
//! (fixtures/mongrel2-captures/err-05-control-port) and its error rules.

use std::cell::RefCell;

use mongrel2_compat::tnetstring::{parse_complete, Value};

use super::*;

macro_rules! capture {
    ($file:literal) => {
        include_bytes!(concat!(
            "../../../fixtures/mongrel2-captures/err-05-control-port/",
            $file
        ))
        .as_slice()
    };
}

/// The server of the capture: conn 56 on fd 34 has sent a 43-byte request.
struct Fake {
    info: ServerInfo,
    conns: Vec<Row>,
    killed: RefCell<Vec<u64>>,
    closing: Vec<u64>,
}

impl Fake {
    fn new() -> Fake {
        Fake {
            info: ServerInfo {
                port: 37767,
                bind_addr: "127.0.0.1".into(),
                uuid: "f400bf85-4538-4f7a-8908-67e313d515c2".into(),
                chroot: "./".into(),
                access_log: "/logs/access.log".into(),
                error_log: "/logs/error.log".into(),
                pid_file: "/run/mongrel2.pid".into(),
                default_hostname: "localhost".into(),
            },
            conns: vec![Row {
                id: 56,
                fd: 34,
                kind: 1,
                last_ping: 0,
                last_read: 0,
                last_write: 0,
                bytes_read: 43,
                bytes_written: 0,
            }],
            killed: RefCell::new(Vec::new()),
            closing: Vec::new(),
        }
    }
}

impl State for Fake {
    fn connections(&self) -> Vec<Row> {
        self.conns.clone()
    }

    fn tasks(&self) -> Vec<TaskRow> {
        let row = |id, name: &str, state: &str, status: &str| TaskRow {
            id,
            system: false,
            name: name.into(),
            state: state.into(),
            status: status.into(),
        };
        vec![
            row(1, "SERVER", "read fd", "idle"),
            row(2, "control", "read handler", "running"),
            row(3, "HTTP", "read fd", "idle"),
        ]
    }

    fn info(&self) -> &ServerInfo {
        &self.info
    }

    fn unix_time(&self) -> i64 {
        1_795_497_051
    }

    fn kill(&self, id: u64) -> Killed {
        if self.closing.contains(&id) {
            return Killed::AlreadyClosing;
        }
        if self.conns.iter().any(|c| c.id == id) {
            self.killed.borrow_mut().push(id);
            Killed::Done
        } else {
            Killed::Unknown
        }
    }
}

fn reply_to(request: &[u8]) -> Vec<u8> {
    handle(request, &Fake::new()).reply
}

#[test]
fn replies_match_mongrel2_byte_for_byte() {
    let pairs: [(&[u8], &[u8]); 13] = [
        (
            capture!("01-control-req-help.bin"),
            capture!("02-control-rep-help.bin"),
        ),
        (
            capture!("03-control-req-status-net.bin"),
            capture!("04-control-rep-status-net.bin"),
        ),
        (
            capture!("07-control-req-status-bad.bin"),
            capture!("08-control-rep-status-bad.bin"),
        ),
        (
            capture!("09-control-req-time.bin"),
            capture!("10-control-rep-time.bin"),
        ),
        (
            capture!("11-control-req-uuid.bin"),
            capture!("12-control-rep-uuid.bin"),
        ),
        (
            capture!("13-control-req-info.bin"),
            capture!("14-control-rep-info.bin"),
        ),
        (
            capture!("15-control-req-version.bin"),
            capture!("16-control-rep-version.bin"),
        ),
        (
            capture!("17-control-req-kill-live.bin"),
            capture!("18-control-rep-kill-live.bin"),
        ),
        (
            capture!("19-control-req-kill-unknown.bin"),
            capture!("20-control-rep-kill-unknown.bin"),
        ),
        (
            capture!("21-control-req-kill-string-id.bin"),
            capture!("22-control-rep-kill-string-id.bin"),
        ),
        (
            capture!("23-control-req-not-a-list.bin"),
            capture!("24-control-rep-not-a-list.bin"),
        ),
        (
            capture!("25-control-req-garbage.bin"),
            capture!("26-control-rep-garbage.bin"),
        ),
        (
            capture!("27-control-req-unknown-cmd.bin"),
            capture!("28-control-rep-unknown-cmd.bin"),
        ),
    ];
    for (request, expected) in pairs {
        assert_eq!(
            String::from_utf8_lossy(&reply_to(request)),
            String::from_utf8_lossy(expected),
            "reply to {:?}",
            String::from_utf8_lossy(request)
        );
    }
}

#[test]
fn stop_replies_like_mongrel2_then_stops() {
    let out = handle(capture!("31-control-req-stop.bin"), &Fake::new());
    assert_eq!(out.reply, capture!("32-control-rep-stop.bin"));
    assert_eq!(out.effect, Effect::Stop);
}

#[test]
fn terminate_replies_like_stop_and_terminates() {
    let out = handle(b"15:9:terminate,0:}]", &Fake::new());
    assert_eq!(out.reply, capture!("32-control-rep-stop.bin"));
    assert_eq!(out.effect, Effect::Terminate);
}

/// The `headers` list and the width of every row of a table reply.
fn shape(reply: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let value = parse_complete(reply).unwrap();
    let headers = value.get(b"headers").unwrap().to_vec();
    let widths = value
        .get(b"rows")
        .and_then(Value::as_list)
        .unwrap()
        .iter()
        .map(|row| row.as_list().unwrap().len())
        .collect();
    (headers, widths)
}

#[test]
fn reload_keeps_mongrel2_table_shape_and_says_it_is_not_supported() {
    let out = handle(capture!("29-control-req-reload.bin"), &Fake::new());
    assert_eq!(
        shape(&out.reply),
        shape(capture!("30-control-rep-reload.bin"))
    );
    assert!(String::from_utf8_lossy(&out.reply).contains(RELOAD_NOT_SUPPORTED));
    assert_eq!(out.effect, Effect::None);
}

#[test]
fn status_tasks_has_mongrel2_columns_and_types() {
    let ours = reply_to(capture!("05-control-req-status-tasks.bin"));
    let theirs = capture!("06-control-rep-status-tasks.bin");
    let (our_headers, our_widths) = shape(&ours);
    let (their_headers, _) = shape(theirs);
    assert_eq!(our_headers, their_headers);
    assert_eq!(our_widths, vec![5, 5, 5]);
    let value = parse_complete(&ours).unwrap();
    let row = &value.get(b"rows").and_then(Value::as_list).unwrap()[1];
    let row = row.as_list().unwrap();
    assert_eq!(row[0], Value::Int(2));
    assert_eq!(row[1], Value::Bool(false));
    assert_eq!(row[2], Value::Str(b"control"));
    assert_eq!(row[4], Value::Str(b"running"));
}

#[test]
fn kill_acts_on_the_connection_and_answers_ok() {
    let fake = Fake::new();
    let out = handle(capture!("17-control-req-kill-live.bin"), &fake);
    assert_eq!(out.reply, capture!("18-control-rep-kill-live.bin"));
    assert_eq!(*fake.killed.borrow(), vec![56]);
}

#[test]
fn kill_of_a_closing_connection_is_not_connected() {
    let fake = Fake {
        closing: vec![56],
        ..Fake::new()
    };
    let out = handle(capture!("17-control-req-kill-live.bin"), &fake);
    let expected = b"57:4:code,13:NOT_CONNECTED,5:error,21:Socket not connected.,}";
    assert_eq!(out.reply, expected);
}

#[test]
fn control_stop_answers_then_closes_the_port() {
    let out = handle(b"19:12:control_stop,0:}]", &Fake::new());
    let expected: &[u8] = b"63:7:headers,6:3:msg,]4:rows,33:29:25:stopping the control port,]]}";
    assert_eq!(out.reply, expected);
    assert_eq!(out.effect, Effect::StopControl);
}

#[test]
fn trailing_bytes_after_the_request_are_ignored_as_m2sh_sends_a_nul() {
    assert_eq!(
        reply_to(b"10:4:time,0:}]\0"),
        capture!("10-control-rep-time.bin")
    );
}

#[test]
fn malformed_requests_get_mongrel2_codes() {
    let cases: [(&[u8], &str); 16] = [
        (b"", "INVALID_DATA"),
        (b"0:~", "INVALID_DATA"),
        (b"10:4:help,0:}", "INVALID_DATA"),
        (b"0:]", "INVALID_REQUEST"),
        (b"4:help,", "INVALID_REQUEST"),
        (b"7:4:help,]", "INVALID_DATA"),
        (b"7:1:1#0:}]", "INVALID_DATA"),
        (b"14:4:help,4:help,]", "INVALID_DATA"),
        (b"1000000:4:help,0:}]", "INVALID_DATA"),
        (b"12:6:status,0:}]", "INVALID_ARGUMENT"),
        (b"25:6:status,12:4:what,2:10#}]", "INVALID_ARGUMENT"),
        (b"10:4:kill,0:}]", "INVALID_ARGUMENT"),
        (b"21:4:kill,10:2:id,2:-1#}]", "INVALID_ARGUMENT"),
        (b"30:4:kill,19:2:id,10:4294967296#}]", "INVALID_ARGUMENT"),
        (b"10:4:Help,0:}]", "CALLBACK_NOT_FOUND"),
        (b"13:7:version,0:}]", "CALLBACK_NOT_FOUND"),
    ];
    for (request, code) in cases {
        let reply = reply_to(request);
        let value = parse_complete(&reply).unwrap();
        assert_eq!(
            value.get(b"code").and_then(Value::as_bytes),
            Some(code.as_bytes()),
            "reply to {:?}: {:?}",
            String::from_utf8_lossy(request),
            String::from_utf8_lossy(&reply)
        );
    }
}

#[test]
fn deep_nesting_is_refused_without_recursing() {
    let mut request = Vec::new();
    let depth = 10_000;
    for _ in 0..depth {
        request.extend_from_slice(b"1:");
    }
    assert!(parse(&request).is_err());
    let nested = b"21:4:help,10:1:a,3:0:]]}]";
    assert_eq!(parse(nested), Ok(Command::Help));
    let too_deep = b"24:4:help,13:1:a,6:3:0:]]]}]";
    assert!(matches!(parse(too_deep), Err(Error::Unparsable(_))));
}

#[test]
fn parse_names_the_argument_at_fault() {
    assert_eq!(
        parse(b"21:4:kill,10:2:id,2:ab,}]"),
        Err(Error::BadArgument {
            command: "kill",
            arg: "id",
            reason: "not an integer"
        })
    );
    assert_eq!(
        parse(b"12:6:status,0:}]"),
        Err(Error::BadArgument {
            command: "status",
            arg: "what",
            reason: "missing"
        })
    );
    assert_eq!(
        parse(b"7:1:x,0:}]"),
        Err(Error::UnknownCommand { name: "x".into() })
    );
    assert_eq!(
        parse(b"21:4:kill,10:2:id,2:56#}]"),
        Ok(Command::Kill { id: 56 })
    );
}

#[test]
fn status_what_other_is_a_bare_error_without_code() {
    let reply = reply_to(b"26:6:status,13:4:what,3:NET,}]");
    assert_eq!(reply, capture!("08-control-rep-status-bad.bin"));
}
