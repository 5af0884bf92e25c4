use proptest::prelude::*;

use super::*;

const JSON_REQUEST: &[u8] =
    include_bytes!("../../../fixtures/mongrel2-captures/json-06-client-disconnect-before-reply/02-m2-to-handler-request.bin");
const JSON_NOTICE: &[u8] =
    include_bytes!("../../../fixtures/mongrel2-captures/json-06-client-disconnect-before-reply/03-m2-to-handler-disconnect.bin");
const JSON_REPLY: &[u8] =
    include_bytes!("../../../fixtures/mongrel2-captures/json-06-client-disconnect-before-reply/04-handler-to-m2-late-reply.bin");
const TNET_REQUEST: &[u8] = include_bytes!(
    "../../../fixtures/mongrel2-captures/tnet-03-post-small-body/02-m2-to-handler-req1.bin"
);
const TNET_NOTICE: &[u8] =
    include_bytes!("../../../fixtures/mongrel2-captures/tnet-03-post-small-body/09-m2-to-handler-after-client-close.bin");

const UUID: &[u8] = b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378";

#[test]
fn captured_json_request_and_its_notice() {
    let head = request_head(JSON_REQUEST).unwrap();
    assert_eq!(
        head,
        RequestHead {
            sender: UUID,
            conn_id: 12,
            format: HeaderFormat::Json
        }
    );
    assert_eq!(
        disconnect_notice(head.sender, head.conn_id, head.format),
        JSON_NOTICE
    );
}

#[test]
fn captured_tnetstring_request_and_its_notice() {
    let head = request_head(TNET_REQUEST).unwrap();
    assert_eq!(
        head,
        RequestHead {
            sender: UUID,
            conn_id: 2,
            format: HeaderFormat::Tnetstring
        }
    );
    assert_eq!(
        disconnect_notice(head.sender, head.conn_id, head.format),
        TNET_NOTICE
    );
}

#[test]
fn captured_reply_prefix() {
    let head = reply_head(JSON_REPLY).unwrap();
    assert_eq!(head.uuid, UUID);
    assert_eq!(head.conn_ids().unwrap().collect::<Vec<_>>(), vec![12]);
}

#[test]
fn reply_id_lists() {
    let ids = |reply: &[u8]| {
        reply_head(reply)
            .unwrap()
            .conn_ids()
            .map(Iterator::collect::<Vec<_>>)
    };
    assert_eq!(ids(b"u 5:16 17, body"), Some(vec![16, 17]));
    assert_eq!(ids(b"u 4:X 20, [x]"), Some(vec![20]));
    assert_eq!(ids(b"u 3:006, "), Some(vec![6]));
    assert_eq!(ids(b"u 3:16 , x"), Some(vec![16]));
    assert_eq!(ids(b"u 0:, x"), None, "zero ids");
    assert_eq!(ids(b"u 6:16  17, x"), None, "two spaces");
    assert_eq!(ids(b"u 5:16,17, x"), None, "comma");
    assert_eq!(ids(b"u 9:1, x"), None, "length beyond the message");
    assert_eq!(ids(b"u 1:1,x"), None, "no space after the comma");
    assert_eq!(ids(b"u 11:99999999999, x"), None, "id beyond u32");
    let many: Vec<String> = (0..129).map(|i| i.to_string()).collect();
    let list = many.join(" ");
    let reply = format!("u {}:{}, x", list.len(), list);
    assert_eq!(ids(reply.as_bytes()), None, "129 ids");
}

#[test]
fn reply_prefix_errors() {
    assert_eq!(reply_head(b"no-space-at-all").unwrap_err().field, "uuid");
    assert_eq!(reply_head(b" 1:1, x").unwrap_err().field, "uuid");
    assert_eq!(reply_head(b"bad_uuid 1:1, x").unwrap_err().field, "uuid");
    let long = [vec![b'a'; 129], b" 1:1, x".to_vec()].concat();
    assert_eq!(reply_head(&long).unwrap_err().field, "uuid");
}

#[test]
fn request_prefix_errors() {
    let field = |payload: &[u8]| request_head(payload).unwrap_err().field;
    assert_eq!(field(b"gw"), "sender");
    assert_eq!(field(b"g_w 1 / 2:{},0:,"), "sender");
    assert_eq!(field(b"gw x / 2:{},0:,"), "conn id");
    assert_eq!(field(b"gw 4294967296 / 2:{},0:,"), "conn id");
    assert_eq!(field(b"gw 1 /"), "path");
    assert_eq!(field(b"gw 1  2:{},0:,"), "path");
    assert_eq!(field(b"gw 1 / {},0:,"), "headers length");
    assert_eq!(field(b"gw 1 / 99999999999:{}"), "headers length");
}

proptest! {
    #[test]
    fn hostile_prefixes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = request_head(&bytes);
        if let Ok(head) = reply_head(&bytes) {
            let _ = head.conn_ids().map(Iterator::count);
        }
    }

    #[test]
    fn notice_prefix_reads_back(sender in "[A-Za-z0-9-]{1,64}", conn_id in any::<u32>(), json in any::<bool>()) {
        let format = if json { HeaderFormat::Json } else { HeaderFormat::Tnetstring };
        let notice = disconnect_notice(sender.as_bytes(), conn_id, format);
        let head = request_head(&notice).unwrap();
        prop_assert_eq!(head, RequestHead { sender: sender.as_bytes(), conn_id, format });
    }
}
