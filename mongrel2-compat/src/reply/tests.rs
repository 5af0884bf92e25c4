use super::*;
use crate::tnetstring::Value;

const UUID: &str = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378";

fn frame(rest: &str) -> Vec<u8> {
    format!("{UUID} {rest}").into_bytes()
}

fn ids_of(rest: &str) -> Result<Vec<u64>, Error> {
    parse(&frame(rest)).map(|reply| reply.ids)
}

#[test]
fn grammar_accepts_what_mongrel2_accepted() {
    assert_eq!(ids_of("1:1, x"), Ok(vec![1]));
    assert_eq!(ids_of("5:16 17, x"), Ok(vec![16, 17]));
    assert_eq!(ids_of("3:9 9, DUP"), Ok(vec![9, 9]));
    assert_eq!(ids_of("3:009, ZEROS"), Ok(vec![9]));
    assert_eq!(ids_of("2:9 , TRAIL"), Ok(vec![9]));
    assert_eq!(ids_of("02:19, leading zero in LEN"), Ok(vec![19]));
    let reply = parse(b"SOMETHING-ELSE 2:19, OTHERUUID-OK\n").unwrap();
    assert_eq!(
        (reply.uuid, reply.kind),
        (&b"SOMETHING-ELSE"[..], Kind::Data(b"OTHERUUID-OK\n"))
    );
}

#[test]
fn grammar_rejects_what_mongrel2_dropped() {
    assert_eq!(
        ids_of("9:19, BAD1"),
        Err(Error::LengthMismatch {
            declared: 9,
            actual: 2
        })
    );
    assert_eq!(
        ids_of("6:19, 19, BAD2"),
        Err(Error::LengthMismatch {
            declared: 6,
            actual: 2
        })
    );
    assert_eq!(
        ids_of("2:19,NOSPACE"),
        Err(Error::MissingSpace { found: b'N' })
    );
    assert_eq!(ids_of("0:, BAD5"), Err(Error::NoIds));
    assert_eq!(ids_of("2:X , none"), Err(Error::NoIds));
    let double = UUID.len() + 5;
    assert_eq!(
        ids_of("4:9  9, DOUBLESPACE"),
        Err(Error::IdsByte {
            offset: double,
            found: b' '
        })
    );
    assert_eq!(
        parse(b"not_a_uuid 2:19, BAD4"),
        Err(Error::UuidByte {
            offset: 3,
            found: b'_'
        })
    );
    assert_eq!(
        parse(b"PART2\n"),
        Err(Error::UuidByte {
            offset: 5,
            found: b'\n'
        })
    );
}

#[test]
fn every_part_of_the_head_has_its_own_error() {
    assert_eq!(parse(b""), Err(Error::Truncated { field: "UUID" }));
    assert_eq!(parse(b" 1:1, x"), Err(Error::UuidEmpty));
    assert_eq!(
        ids_of(""),
        Err(Error::Truncated {
            field: "id-list length"
        })
    );
    assert_eq!(
        ids_of("12"),
        Err(Error::Truncated {
            field: "id-list length"
        })
    );
    assert_eq!(ids_of("x:1, "), Err(Error::LengthNotDigit { found: b'x' }));
    assert_eq!(ids_of("1;1, "), Err(Error::LengthColon { found: b';' }));
    assert_eq!(
        ids_of("99999999999999999999999:1, "),
        Err(Error::LengthOverflow)
    );
    assert_eq!(ids_of("1:1"), Err(Error::Truncated { field: "id list" }));
    assert_eq!(ids_of("1:X"), Err(Error::Truncated { field: "id list" }));
    assert_eq!(
        ids_of("1:1,"),
        Err(Error::Truncated {
            field: "space after ','"
        })
    );
    let at = UUID.len() + 4;
    assert_eq!(
        ids_of("2:X1, "),
        Err(Error::IdsByte {
            offset: at,
            found: b'1'
        })
    );
    assert_eq!(
        ids_of("3:1 X, "),
        Err(Error::IdsByte {
            offset: at + 1,
            found: b'X'
        })
    );
    assert_eq!(
        ids_of("2: 1, "),
        Err(Error::IdsByte {
            offset: at - 1,
            found: b' '
        })
    );
    assert_eq!(
        ids_of("20:18446744073709551616, "),
        Err(Error::IdOverflow { offset: at })
    );
    assert_eq!(ids_of("20:18446744073709551615, "), Ok(vec![u64::MAX]));
}

#[test]
fn id_cap_is_128_by_default_and_configurable() {
    let ids: Vec<u64> = (1..=129).collect();
    let mut out = Vec::new();
    encode(b"u", &ids[..128], b"x", &mut out);
    assert_eq!(parse(&out).map(|r| r.ids.len()), Ok(128));
    out.clear();
    encode(b"u", &ids, b"x", &mut out);
    assert_eq!(parse(&out), Err(Error::TooManyIds { max: 128 }));
    assert_eq!(parse_with(&out, 129).map(|r| r.ids.len()), Ok(129));
    assert_eq!(
        parse_with(b"u 3:1 2, x", 1),
        Err(Error::TooManyIds { max: 1 })
    );
}

#[test]
fn empty_body_is_close_and_any_bytes_are_data() {
    assert_eq!(parse(&frame("2:15, ")).unwrap().kind, Kind::Close);
    let reply = parse(b"u 1:1, \x00\xff, 1:1, \r\n").unwrap();
    assert_eq!(reply.kind, Kind::Data(b"\x00\xff, 1:1, \r\n"));
}

#[test]
fn ctl_replies_decode_as_captured() {
    let ctl = |rest: &str| match parse(&frame(rest)).unwrap().kind {
        Kind::Extended(Extended::Ctl(ctl)) => ctl,
        other => panic!("{rest}: {other:?}"),
    };
    let keep_alive = ctl("4:X 20, 31:3:ctl,21:10:keep-alive,4:true!}]");
    assert_eq!(
        keep_alive,
        Ctl {
            keep_alive: true,
            ..Ctl::default()
        }
    );
    assert!(ctl("4:X 21, 26:3:ctl,16:6:cancel,4:true!}]").cancel);
    assert!(ctl("4:X 21, 27:3:ctl,17:6:cancel,5:false!}]").cancel);
    assert_eq!(
        ctl("3:X 2, 27:3:ctl,17:7:credits,4:1500#}]").credits,
        Some(1500)
    );
    assert_eq!(ctl("3:X 2, 22:3:ctl,12:5:other,1:1#}]"), Ctl::default());
}

#[test]
fn other_extension_keys_keep_their_value() {
    let bytes = frame("4:X 20, 23:9:nosuchext,8:1:a,1:1#}]");
    let reply = parse(&bytes).unwrap();
    let expected = Extended::Other {
        key: b"nosuchext",
        value: Value::Dict(vec![(b"a", Value::Int(1))]),
    };
    assert_eq!(reply.kind, Kind::Extended(expected));
}

#[test]
fn malformed_extended_bodies_are_typed_errors() {
    let err = |body: &str| parse(format!("u 3:X 1, {body}").as_bytes()).unwrap_err();
    assert!(matches!(err(""), Error::ExtendedBody(_)));
    assert!(matches!(err("8:3:ctl,0:}"), Error::ExtendedBody(_)));
    assert_eq!(err("9:3:ctl,0:}]x"), Error::ExtendedTrailing { count: 1 });
    assert_eq!(
        err("3:abc,"),
        Error::ExtendedShape {
            found: "string".into()
        }
    );
    assert_eq!(
        err("6:3:ctl,]"),
        Error::ExtendedShape {
            found: "list of 1".into()
        }
    );
    assert_eq!(
        err("12:3:ctl,0:}0:~]"),
        Error::ExtendedShape {
            found: "list of 3".into()
        }
    );
    assert_eq!(err("7:1:1#0:}]"), Error::ExtendedKey { found: "integer" });
    assert_eq!(err("9:3:ctl,0:,]"), Error::CtlNotDict { found: "string" });
    assert_eq!(
        err("24:3:ctl,14:7:credits,1:5,}]"),
        Error::CreditsNotInteger { found: "string" }
    );
}

#[test]
fn encoders_write_the_captured_bytes() {
    let mut out = Vec::new();
    encode(UUID.as_bytes(), &[16, 17], b"", &mut out);
    assert_eq!(out, frame("5:16 17, "));
    out.clear();
    encode_ctl(
        UUID.as_bytes(),
        &[20],
        &Ctl {
            keep_alive: true,
            ..Ctl::default()
        },
        &mut out,
    );
    assert_eq!(out, frame("4:X 20, 31:3:ctl,21:10:keep-alive,4:true!}]"));
    out.clear();
    encode_ctl(
        UUID.as_bytes(),
        &[2],
        &Ctl {
            credits: Some(1500),
            ..Ctl::default()
        },
        &mut out,
    );
    assert_eq!(out, frame("3:X 2, 27:3:ctl,17:7:credits,4:1500#}]"));
    out.clear();
    let all = Ctl {
        keep_alive: true,
        credits: Some(-1),
        cancel: true,
    };
    encode_ctl(b"u", &[0, 7], &all, &mut out);
    assert_eq!(
        parse(&out).unwrap().kind,
        Kind::Extended(Extended::Ctl(all))
    );
    out.clear();
    let value = Value::List(vec![Value::Str(b"/tmp/f")]);
    encode_extended(b"u", &[1], b"sendfile", &value, &mut out);
    assert_eq!(out, b"u 3:X 1, 23:8:sendfile,9:6:/tmp/f,]]");
}

#[test]
fn subscription_is_a_byte_prefix_filter() {
    let frame = b"c0ffee00-1111-2222-3333-444444444444-extra 1:1, x";
    assert!(passes_subscription(
        frame,
        b"c0ffee00-1111-2222-3333-444444444444"
    ));
    assert!(passes_subscription(frame, b""));
    assert!(!passes_subscription(b"34f9ceee 1:1, x", b"c0ffee00"));
}
