//! The control port sees a WebSocket as one: after the 101, `status net` lists
//! the connection with Mongrel2's WebSocket type (3).

use mongrel2_compat::tnetstring::{parse_complete, Value};
use scale0_tests::client::Conn;

use super::echo::Echo;
use super::{capture, gateway, open, Extra, EVENT};

/// Mongrel2's `status net` request.
const STATUS_NET: &[u8] = b"26:6:status,13:4:what,3:net,}]";

/// The `type` column of every `status net` row, from the control port at `endpoint`.
fn connection_types(endpoint: &str) -> Vec<i64> {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::REQ).unwrap();
    socket.set_linger(0).unwrap();
    socket
        .set_rcvtimeo(i32::try_from(EVENT.as_millis()).unwrap())
        .unwrap();
    socket.connect(endpoint).unwrap();
    socket.send(STATUS_NET, 0).unwrap();
    let reply = socket.recv_bytes(0).unwrap();
    let value = parse_complete(&reply).unwrap();
    let rows = value.get(b"rows").and_then(Value::as_list).unwrap();
    rows.iter()
        .map(|row| match row.as_list().unwrap()[2] {
            Value::Int(kind) => kind,
            ref other => panic!("type column is {other:?}"),
        })
        .collect()
}

#[test]
fn status_net_shows_an_open_websocket_as_type_3() {
    let control_dir = tempfile::tempdir().unwrap();
    let control = format!("ipc://{}/control", control_dir.path().display());
    let gateway_lines = format!("control_port = \"{control}\"");
    let (gw, send, recv, _dir) = gateway(
        "json",
        Extra {
            gateway: &gateway_lines,
            ..Extra::default()
        },
    );
    let _echo = Echo::start(&send, &recv, gw.port());
    // The echo handler's readiness probes are plain HTTP connections (type 1).
    assert!(
        !connection_types(&control).contains(&3),
        "no WebSocket before the handshake"
    );
    let mut conn = Conn::connect(gw.port()).unwrap();
    open(
        &mut conn,
        &capture("json-07-websocket/01-client-to-m2-handshake.bin"),
    );
    let types = scale0_tests::wait::until("the WebSocket row", EVENT, || {
        let types = connection_types(&control);
        types.contains(&3).then_some(types)
    })
    .unwrap();
    assert_eq!(
        types.iter().filter(|&&kind| kind == 3).count(),
        1,
        "exactly the upgraded connection is a WebSocket: {types:?}"
    );
}
