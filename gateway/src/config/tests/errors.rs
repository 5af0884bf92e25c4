//! Each kind of config error, and that it names the field at fault.

use super::{edited, error_of, MINIMAL};
use crate::config::{limits, Config, Error};

#[test]
fn unknown_keys_are_rejected_in_every_section() {
    for text in [
        format!("{MINIMAL}\nextra = 1\n"),
        format!("{MINIMAL}\n[gateway]\nsender = \"x\"\n"),
        edited("bind = ", "port = 1\nbind = "),
        format!("{MINIMAL}\n[defaults]\nreply_timout = \"1s\"\n"),
        edited("name = \"localhost\"", "name = \"localhost\"\naliases = []"),
        edited("path = \"/\"", "path = \"/\"\ntimeout = \"1s\""),
        edited("type = \"handler\"", "type = \"handler\"\nraw_payload = 0"),
        format!("{MINIMAL}\n[target.f]\ntype = \"dir\"\nbase = \"/x/\"\ncache_ttl = 0\n"),
        format!("{MINIMAL}\n[broker]\nendpoint = \"tcp://127.0.0.1:5555\"\nmode = \"x\"\n"),
        edited("type = \"handler\"", "type = \"mongrel2\""),
    ] {
        assert!(
            matches!(error_of(&text), Error::Toml(_)),
            "accepted:\n{text}"
        );
    }
}

#[test]
fn missing_keys_and_wrong_types_are_toml_errors() {
    assert!(matches!(
        error_of(&edited("bind = \"127.0.0.1:0\"", "")),
        Error::Toml(_)
    ));
    assert!(matches!(
        error_of(&edited("\"127.0.0.1:0\"", "6767")),
        Error::Toml(_)
    ));
    assert!(matches!(error_of("[[listener]\n"), Error::Toml(_)));
    let negative = format!("{MINIMAL}\n[defaults]\nmax_body_bytes = -1\n");
    assert!(matches!(error_of(&negative), Error::Toml(_)));
}

#[test]
fn bad_values_name_their_field() {
    let field_of = |text: &str| match error_of(text) {
        Error::Duration { field, .. }
        | Error::Size { field, .. }
        | Error::OutOfRange { field, .. }
        | Error::Endpoint { field, .. }
        | Error::Address { field, .. }
        | Error::Cidr { field, .. }
        | Error::Invalid { field, .. }
        | Error::Pattern { field, .. }
        | Error::TooMany { field, .. } => field,
        other => panic!("unexpected {other:?}"),
    };
    let cases = [
        (
            edited(
                "bind = \"127.0.0.1:0\"",
                "bind = \"127.0.0.1:0\"\nkeepalive_timeout = \"0s\"",
            ),
            "listener[0].keepalive_timeout",
        ),
        (
            edited("bind = \"127.0.0.1:0\"", "bind = \"localhost:80\""),
            "listener[0].bind",
        ),
        (
            edited(
                "bind = \"127.0.0.1:0\"",
                "bind = \"127.0.0.1:0\"\nmax_headers = 0",
            ),
            "listener[0].max_headers",
        ),
        (
            edited(
                "bind = \"127.0.0.1:0\"",
                "bind = \"127.0.0.1:0\"\nmax_header_bytes = \"2MiB\"",
            ),
            "listener[0].max_header_bytes",
        ),
        (
            format!("{MINIMAL}\n[defaults]\nreply_timeout = \"30\"\n"),
            "defaults.reply_timeout",
        ),
        (
            format!("{MINIMAL}\n[defaults]\nmax_body_bytes = \"10MB\"\n"),
            "defaults.max_body_bytes",
        ),
        (
            format!("{MINIMAL}\n[gateway]\nworker_threads = 5000\n"),
            "gateway.worker_threads",
        ),
        (
            format!("{MINIMAL}\n[gateway]\nsender_id = \"has space\"\n"),
            "gateway.sender_id",
        ),
        (
            format!("{MINIMAL}\n[gateway]\ntrusted_proxies = [\"::1\", \"10/8\"]\n"),
            "gateway.trusted_proxies[1]",
        ),
        (
            edited("tcp://127.0.0.1:9997", "tcp://127.0.0.1"),
            "target.app.send_spec",
        ),
        (
            edited(
                "type = \"handler\"",
                "type = \"handler\"\nprotocol = \"xml\"",
            ),
            "target.app.protocol",
        ),
        (
            edited("path = \"/\"", "path = \"/\"\nidle_timeout = \"25h\""),
            "host \"localhost\" route \"/\".idle_timeout",
        ),
        (
            edited("path = \"/\"", "path = \"/x/([a)\""),
            "host \"localhost\" route \"/x/([a)\".path",
        ),
        (
            edited(
                "name = \"localhost\"",
                "name = \"localhost\"\nmatching = \"([a).test\"",
            ),
            "host \"localhost\".matching",
        ),
        (
            edited("name = \"localhost\"", "name = \"local:host\""),
            "host[0].name",
        ),
        (
            edited("[target.app]", "[target.\"my app\"]").replace("\"app\"", "\"my app\""),
            "target",
        ),
        (
            format!("{MINIMAL}\n[target.f]\ntype = \"dir\"\nbase = \"/srv\"\n"),
            "target.f.base",
        ),
        (
            format!("{MINIMAL}\n[target.u]\ntype = \"proxy\"\nurl = \"https://x\"\n"),
            "target.u.url",
        ),
        (
            format!("{MINIMAL}\n[broker]\nendpoint = \"inproc://\"\n"),
            "broker.endpoint",
        ),
    ];
    for (text, field) in cases {
        assert_eq!(field_of(&text), field, "in:\n{text}");
    }
    let many = vec!["\"::1\""; limits::MAX_TRUSTED_PROXIES + 1].join(",");
    let text = format!("{MINIMAL}\n[gateway]\ntrusted_proxies = [{many}]\n");
    assert!(matches!(
        error_of(&text),
        Error::TooMany {
            max: limits::MAX_TRUSTED_PROXIES,
            ..
        }
    ));
}

/// A service name the worker protocol refuses would fail every request at the broker: the config
/// refuses it instead, for service targets and handler-backed services alike.
#[test]
fn service_names_follow_the_worker_protocol() {
    let broker = "[broker]\nembedded = true\nworkers = \"tcp://127.0.0.1:5555\"\n";
    let service = |name: &str| {
        format!("{MINIMAL}\n[target.s]\ntype = \"service\"\nservice = \"{name}\"\n{broker}")
    };
    let longest = "s".repeat(limits::MAX_SERVICE_NAME_BYTES);
    if let Err(e) = Config::from_toml_str(&service(&longest)) {
        panic!("refused: {e:?}");
    }
    if let Err(e) = Config::from_toml_str(&service("api/v1:users.get_x-2")) {
        panic!("refused: {e:?}");
    }
    let too_long = "s".repeat(limits::MAX_SERVICE_NAME_BYTES + 1);
    for bad in ["", "a b", "svc@host", "caf\u{e9}", too_long.as_str()] {
        match error_of(&service(bad)) {
            Error::Invalid { field, .. } => assert_eq!(field, "target.s.service", "{bad:?}"),
            other => panic!("{bad:?}: unexpected {other:?}"),
        }
    }
    let handler = format!(
        "{MINIMAL}\n{broker}[[broker.handler]]\nservice = \"m2 app\"\n\
         send_spec = \"tcp://127.0.0.1:5556\"\nrecv_spec = \"tcp://127.0.0.1:5557\"\nmax_outstanding = 8\n"
    );
    match error_of(&handler) {
        Error::Invalid { field, .. } => assert_eq!(field, "broker.handler[0].service"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn unknown_target_names_host_route_and_target() {
    let text = edited("target = \"app\"", "target = \"apii\"");
    let error = error_of(&text);
    let Error::UnknownTarget {
        host,
        route,
        target,
    } = &error
    else {
        panic!("unexpected {error:?}");
    };
    assert_eq!(
        (host.as_str(), route.as_str(), target.as_str()),
        ("localhost", "/", "apii")
    );
    assert_eq!(
        error.to_string(),
        "host \"localhost\" route \"/\": unknown target \"apii\""
    );
}

#[test]
fn duplicates_are_rejected() {
    let second_host = "\n[[host]]\nname = \"localhost\"\nmatching = \"other\"\n[[host.route]]\npath = \"/\"\ntarget = \"app\"\n";
    let other_matching = second_host.replace(
        "name = \"localhost\"\nmatching = \"other\"",
        "name = \"b\"\nmatching = \"localhost\"",
    );
    let same_route = edited(
        "[target.app]",
        "[[host.route]]\npath = \"/\"\ntarget = \"app\"\n[target.app]",
    );
    let same_bind = format!("{MINIMAL}\n[[listener]]\nbind = \"127.0.0.1:0\"\n[[listener]]\nbind = \"127.0.0.1:80\"\n[[listener]]\nbind = \"127.0.0.1:80\"\n");
    let shared_endpoint = format!("{MINIMAL}\n[target.b]\ntype = \"handler\"\nsend_spec = \"tcp://127.0.0.1:9996\"\nrecv_spec = \"tcp://127.0.0.1:1\"\n");
    let self_endpoint = edited("tcp://127.0.0.1:9996", "tcp://127.0.0.1:9997");
    let broker_endpoint =
        format!("{MINIMAL}\n[broker]\nembedded = true\nworkers = \"tcp://127.0.0.1:9997\"\n");
    let cases = [
        (format!("{MINIMAL}{second_host}"), "host[1].name"),
        (format!("{MINIMAL}{other_matching}"), "host[1].matching"),
        (same_route, "host \"localhost\".route.path"),
        (same_bind, "listener[3].bind"),
        (shared_endpoint, "target.b.send_spec"),
        (self_endpoint, "target.app.recv_spec"),
        (broker_endpoint, "target.app.send_spec"),
    ];
    for (text, expected) in cases {
        match error_of(&text) {
            Error::Duplicate { field, .. } => assert_eq!(field, expected, "in:\n{text}"),
            other => panic!("unexpected {other:?} in:\n{text}"),
        }
    }
}

#[test]
fn structural_errors() {
    assert!(matches!(
        error_of(&edited("[[listener]]\nbind = \"127.0.0.1:0\"", "")),
        Error::NoListener
    ));
    let no_hosts = edited(
        "[[host]]\nname = \"localhost\"\n\n[[host.route]]\npath = \"/\"\ntarget = \"app\"\n",
        "",
    );
    assert!(matches!(error_of(&no_hosts), Error::NoHost));
    let no_routes = edited("[[host.route]]\npath = \"/\"\ntarget = \"app\"\n", "");
    assert!(matches!(error_of(&no_routes), Error::NoRoutes { host } if host == "localhost"));
    let second = "\n[[host]]\nname = \"b\"\n[[host.route]]\npath = \"/\"\ntarget = \"app\"\n";
    assert!(matches!(
        error_of(&format!("{MINIMAL}{second}")),
        Error::NoDefaultHost { count: 2 }
    ));
    let both = format!(
        "{}{}",
        edited(
            "name = \"localhost\"",
            "name = \"localhost\"\ndefault = true"
        ),
        second.replace("name = \"b\"", "name = \"b\"\ndefault = true")
    );
    assert!(
        matches!(error_of(&both), Error::SeveralDefaultHosts { first, second } if first == "localhost" && second == "b")
    );
    let service = format!("{MINIMAL}\n[target.svc]\ntype = \"service\"\nservice = \"echo\"\n");
    assert!(matches!(error_of(&service), Error::MissingBroker { target } if target == "svc"));
    let proxy = edited(
        "bind = \"127.0.0.1:0\"",
        "bind = \"127.0.0.1:0\"\nproxy_protocol = true",
    );
    assert!(
        matches!(error_of(&proxy), Error::UntrustedProxyProtocol { field } if field == "listener[0].proxy_protocol")
    );
}
