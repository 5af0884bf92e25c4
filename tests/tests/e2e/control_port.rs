//! Issue 5 item 7: Mongrel2's control port. The same command sequence goes to
//! the real Mongrel2's control port and to Scale0's (`gateway.control_port`):
//! byte-identical replies where nothing server-specific is in them, the same
//! table shapes (headers, row widths, column types) where values must differ.
//! A live keep-alive connection shows in `status net` with its bytes and a
//! JSON socket with type 2; `kill` drops each without a disconnect notice,
//! and `stop` shuts the server down. [`tools`] drives Scale0's control port
//! with Mongrel2's own `m2sh control`.

mod tools;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mongrel2_compat::request;
use mongrel2_compat::tnetstring::{parse_complete, Value};
use scale0_tests::client::Conn;
use scale0_tests::gateway::{handler_config, Gateway};
use scale0_tests::mongrel2::{Mongrel2, Options, DEFAULT_SEND_IDENT};
use scale0_tests::recorder::{self, Closing, Frame, Recorder};
use scale0_tests::wait;

/// Longest wait for any one event.
const EVENT: Duration = Duration::from_secs(10);
/// The request the live connection sends (and keeps its connection after).
const REQUEST: &[u8] = b"GET /control-story HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// One server under test.
struct Side {
    name: &'static str,
    port: u16,
    control: String,
    recorder: Recorder,
}

/// A `[gateway]` with `control_port` and a handler target on ipc endpoints in
/// `dir`, for `/` and the `@chat` JSON socket.
fn scale0_config(dir: &std::path::Path, control: &str) -> String {
    let at = |name: &str| format!("ipc://{}/{name}", dir.display());
    handler_config(&at("send"), &at("recv"), "json", "")
        .replacen(
            "[gateway]\n",
            &format!("[gateway]\ncontrol_port = \"{control}\"\n"),
            1,
        )
        .replacen(
            "[target.app]",
            "  [[host.route]]\n  path = \"@chat\"\n  target = \"app\"\n\n[target.app]",
            1,
        )
}

/// Sends one request to a control port and returns the reply frame.
fn ask(endpoint: &str, request: &[u8]) -> Vec<u8> {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::REQ).unwrap();
    socket.set_linger(0).unwrap();
    let ms = i32::try_from(EVENT.as_millis()).unwrap();
    socket.set_rcvtimeo(ms).unwrap();
    socket.connect(endpoint).unwrap();
    socket.send(request, 0).unwrap();
    socket
        .recv_bytes(0)
        .unwrap_or_else(|e| panic!("no reply from {endpoint} to {request:?}: {e}"))
}

/// A reply's `headers` and `rows`, cells shown as `Int`, `Bool` or `Str`.
fn table(reply: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let value = parse_complete(reply).unwrap();
    let text = |v: &Value<'_>| match v {
        Value::Int(n) => format!("Int {n}"),
        Value::Bool(b) => format!("Bool {b}"),
        Value::Str(s) => format!("Str {}", String::from_utf8_lossy(s)),
        other => format!("{other:?}"),
    };
    let list = |key: &[u8]| value.get(key).and_then(Value::as_list).unwrap_or_default();
    let headers = list(b"headers").iter().map(text).collect();
    let rows = list(b"rows")
        .iter()
        .map(|row| row.as_list().unwrap().iter().map(text).collect())
        .collect();
    (headers, rows)
}

/// Cell types of a table, row by row.
fn types(rows: &[Vec<String>]) -> Vec<Vec<&str>> {
    fn kind(cell: &str) -> &str {
        cell.split(' ').next().unwrap_or_default()
    }
    rows.iter()
        .map(|r| r.iter().map(|c| kind(c)).collect())
        .collect()
}

impl Side {
    fn ask(&self, request: &[u8]) -> Vec<u8> {
        ask(&self.control, request)
    }

    /// Answers once a request on a fresh connection is answered.
    fn wait_ready(&self) {
        let what = format!("{} to answer through its recorder", self.name);
        wait::until(&what, EVENT * 2, || {
            let mut conn = Conn::connect(self.port).ok()?;
            conn.send(b"GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .ok()?;
            conn.read_response(Duration::from_millis(500)).ok()
        })
        .unwrap();
    }

    /// Opens a keep-alive connection that has sent [`REQUEST`] and read its
    /// answer; returns it, its conn id and the answer's length.
    fn live_connection(&self) -> (Conn, u64, usize) {
        let mut conn = Conn::connect(self.port).unwrap();
        conn.send(REQUEST).unwrap();
        let answer = conn.read_response(EVENT).unwrap();
        (conn, self.last_id(" /control-story "), answer.len())
    }

    /// Opens a JSON socket that has joined `@chat` and read the handler's
    /// answer; returns it and its conn id.
    fn json_socket(&self) -> (Conn, u64) {
        let before = self.recorder.frames().len();
        let mut conn = Conn::connect(self.port).unwrap();
        conn.send(b"@chat {\"type\":\"join\",\"user\":\"zed\"}\0")
            .unwrap();
        let what = format!("{}: the join to reach the handler", self.name);
        let joined = |frames: &[Frame]| frames.len() > before;
        self.recorder.wait_until(&what, EVENT, joined).unwrap();
        let frames = self.recorder.frames();
        let join = frames
            .last()
            .map(|f| f.bytes.as_slice())
            .unwrap_or_default();
        let answer = recorder::answer(&request::decode(join).unwrap());
        let base64_len = answer.len().div_ceil(3) * 4;
        conn.read_until(EVENT, |b| b.len() >= base64_len).unwrap();
        (conn, self.last_id(" @chat "))
    }

    /// The conn id of the latest handler frame containing `marker`.
    fn last_id(&self, marker: &str) -> u64 {
        self.recorder
            .frames()
            .iter()
            .rev()
            .find(|f| String::from_utf8_lossy(&f.bytes).contains(marker))
            .and_then(|f| f.conn_id)
            .unwrap_or_else(|| panic!("{}: no handler frame with {marker:?}", self.name))
    }

    /// Kills connection `id`, checks that `conn` is closed and that the
    /// handler got no notice for it by the time a later request arrived.
    fn kill(&self, id: u64, mut conn: Conn) {
        let id_arg = Value::Int(i64::try_from(id).unwrap());
        let kill = Value::List(vec![
            Value::Str(b"kill"),
            Value::Dict(vec![(b"id", id_arg)]),
        ]);
        assert_eq!(
            self.ask(&kill.to_vec()),
            b"40:7:headers,9:6:status,]4:rows,8:5:2:OK,]]}",
            "{}: kill",
            self.name
        );
        assert!(conn.closed_within(EVENT).unwrap(), "{}: killed", self.name);
        let (_later, next, _) = self.live_connection();
        assert!(next > id);
        let notices: Vec<_> = self
            .recorder
            .frames()
            .into_iter()
            .filter(|f| f.conn_id == Some(id))
            .filter(|f| request::decode(&f.bytes).is_ok_and(|r| r.is_notice()))
            .collect();
        assert!(notices.is_empty(), "{}: kill sent {notices:?}", self.name);
    }

    /// The `status net` row of connection `id`.
    fn net_row(&self, id: u64) -> Vec<String> {
        let (_, rows) = table(&self.ask(b"26:6:status,13:4:what,3:net,}]"));
        let wanted = format!("Int {id}");
        rows.into_iter()
            .find(|r| r.first() == Some(&wanted))
            .unwrap_or_else(|| panic!("{}: no status net row for conn {id}", self.name))
    }
}

#[test]
fn mongrel2_and_scale0_answer_the_control_port_alike() {
    let mongrel2 = Mongrel2::start(Options {
        handler_routes: vec!["@chat".into()],
        ..Options::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let control = format!("ipc://{}/control", dir.path().display());
    let gateway = Gateway::start(&scale0_config(dir.path(), &control)).unwrap();
    let at = |name: &str| format!("ipc://{}/{name}", dir.path().display());
    let sides = [
        Side {
            name: "Mongrel2",
            port: mongrel2.http_port,
            control: format!("ipc://{}/run/control", mongrel2.dir().display()),
            recorder: Recorder::start(&mongrel2.send_spec, &mongrel2.recv_spec, Closing::Never)
                .unwrap(),
        },
        Side {
            name: "Scale0",
            port: gateway.port(),
            control,
            recorder: Recorder::start(&at("send"), &at("recv"), Closing::Never).unwrap(),
        },
    ];
    for side in &sides {
        side.wait_ready();
    }
    let [m2, s0] = &sides;

    let same_bytes: [&[u8]; 8] = [
        b"10:4:help,0:}]",
        b"24:6:status,11:4:what,1:x,}]",
        b"13:7:version,0:}]",
        b"10:4:nope,0:}]",
        b"25:4:kill,14:2:id,6:424242#}]",
        b"19:4:kill,9:2:id,1:5,}]",
        b"8:1:a,1:b,}",
        b"hello",
    ];
    for request in same_bytes {
        assert_eq!(
            String::from_utf8_lossy(&s0.ask(request)),
            String::from_utf8_lossy(&m2.ask(request)),
            "reply to {}",
            String::from_utf8_lossy(request)
        );
    }

    for request in [&b"28:6:status,15:4:what,5:tasks,}]"[..], b"10:4:info,0:}]"] {
        let (m2_headers, m2_rows) = table(&m2.ask(request));
        let (s0_headers, s0_rows) = table(&s0.ask(request));
        assert_eq!(
            s0_headers,
            m2_headers,
            "{}",
            String::from_utf8_lossy(request)
        );
        assert_eq!(types(&s0_rows)[0], types(&m2_rows)[0]);
    }
    for (side, uuid) in [(m2, None), (s0, Some(DEFAULT_SEND_IDENT))] {
        let (headers, rows) = table(&side.ask(b"10:4:time,0:}]"));
        assert_eq!(headers, ["Str time"]);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let time: u64 = rows[0][0].trim_start_matches("Str ").parse().unwrap();
        assert!(
            time.abs_diff(now.as_secs()) < 60,
            "{}: time {time}",
            side.name
        );
        let (headers, rows) = table(&side.ask(b"10:4:uuid,0:}]"));
        assert_eq!(headers, ["Str uuid"]);
        assert_eq!(rows[0][0].len(), "Str ".len() + 36, "{}", side.name);
        if let Some(uuid) = uuid {
            assert_eq!(rows[0][0], format!("Str {uuid}"));
        }
        let (_, info) = table(&side.ask(b"10:4:info,0:}]"));
        assert_eq!(info[0][0], format!("Int {}", side.port), "{}", side.name);
        assert_eq!(info[0][1], "Str 127.0.0.1");
        assert_eq!(info[0][7], "Str localhost");
    }

    for side in &sides {
        let (conn, id, written) = side.live_connection();
        let row = side.net_row(id);
        assert_eq!(row.len(), 8, "{}", side.name);
        assert_eq!(row[2], "Int 1", "{}: an HTTP connection", side.name);
        let read = format!("Int {}", REQUEST.len());
        assert_eq!(row[6], read, "{}: bytes_read", side.name);
        assert_eq!(
            row[7],
            format!("Int {written}"),
            "{}: bytes_written",
            side.name
        );
        side.kill(id, conn);

        let (socket, id) = side.json_socket();
        let row = side.net_row(id);
        assert_eq!(row[2], "Int 2", "{}: a JSON socket", side.name);
        side.kill(id, socket);
    }

    let (m2_headers, _) = table(&m2.ask(b"12:6:reload,0:}]"));
    let (s0_headers, s0_rows) = table(&s0.ask(b"12:6:reload,0:}]"));
    assert_eq!(s0_headers, m2_headers);
    assert_eq!(s0_rows, [["Str reload not supported"]]);

    // Mongrel2 raises SIGINT before it replies, so its reply to `stop` is
    // sometimes lost as it exits: Scale0's is checked against the capture.
    let captured = scale0_tests::repo_root()
        .join("fixtures/mongrel2-captures/err-05-control-port/32-control-rep-stop.bin");
    assert_eq!(s0.ask(b"10:4:stop,0:}]"), std::fs::read(captured).unwrap());
    send_only(&m2.control, b"10:4:stop,0:}]");
    for side in &sides {
        let what = format!("{} to stop listening after stop", side.name);
        wait::until(&what, EVENT, || (!wait::port_open(side.port)).then_some(())).unwrap();
    }
}

/// Sends one request to a control port without waiting for the reply.
fn send_only(endpoint: &str, request: &[u8]) {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::REQ).unwrap();
    socket.set_linger(1000).unwrap();
    socket.connect(endpoint).unwrap();
    socket.send(request, 0).unwrap();
}
