use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::{Match, Router};
use crate::config::Config;

/// The routing part of fixtures/mongrel2-captures/configs/errors-routing.conf, in our schema.
const ERRORS_ROUTING: &str = r#"
[[listener]]
bind = "127.0.0.1:0"

[[host]]
name = "localhost"
default = true
route = [
  { path = "/", target = "A" },
  { path = "/app", target = "A" },
  { path = "/api/v1/", target = "A" },
  { path = '/files/(.*\.json)', target = "A" },
  { path = '/num/(\d+)$', target = "A" },
  { path = "/proxy/", target = "dead_proxy" },
]

[[host]]
name = "example.com"
route = [{ path = "/only/", target = "B" }]

[[host]]
name = "wild"
matching = "*.wild.test"
route = [{ path = "/", target = "C" }]

[[host]]
name = "pat"
matching = "(.+).pat.test"
route = [{ path = "/(.*)", target = "C" }]

[target.A]
type = "handler"
send_spec = "tcp://127.0.0.1:37997"
send_ident = "aaaaaaaa-0000-4000-8000-00000000000a"
recv_spec = "tcp://127.0.0.1:37996"

[target.B]
type = "handler"
send_spec = "tcp://127.0.0.1:37995"
send_ident = "bbbbbbbb-0000-4000-8000-00000000000b"
recv_spec = "tcp://127.0.0.1:37994"

[target.C]
type = "handler"
send_spec = "tcp://127.0.0.1:37993"
send_ident = "cccccccc-0000-4000-8000-00000000000c"
recv_spec = "tcp://127.0.0.1:37992"

[target.dead_proxy]
type = "proxy"
url = "http://127.0.0.1:37001"
"#;

/// Paths where Mongrel2's TST "shorter path" quirk (docs/mongrel2-protocol.md §6.3) routes to a
/// longer key and we, as docs/config.md says, route by the longest prefix of the path instead:
/// (path, Mongrel2's PATTERN, ours).
const ROUTE_QUIRKS: [(&str, &str, &str); 4] = [
    ("/ap", "/app", "/"),
    ("/a", "/app", "/"),
    ("/api/v", "/api/v1/", "/"),
    ("/api/v1", "/api/v1/", "/"),
];

/// The same quirk on host suffixes: (Host, Mongrel2's handler, ours — the default host's).
const HOST_QUIRKS: [(&str, &str, &str); 1] = [("ample.com", "B", "A")];

fn router() -> Router {
    Router::new(&Config::from_toml_str(ERRORS_ROUTING).unwrap())
}

fn captured_results(scenario: &str) -> Vec<Value> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "../fixtures/mongrel2-captures",
        scenario,
        "events.json",
    ]
    .iter()
    .collect();
    let events: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    events["results"].as_array().expect("results array").clone()
}

/// (target name, PATTERN) of a routing decision, `None` for 404.
fn decision(found: Option<Match<'_>>) -> Option<(String, String)> {
    found.map(|m| (m.target.name.clone(), m.pattern.to_owned()))
}

/// (handler, PATTERN) Mongrel2 chose in a captured result, `None` for its 404.
fn captured_decision(result: &Value) -> Option<(String, String)> {
    let handler = result["handler"].as_str()?;
    Some((
        handler.to_owned(),
        result["PATTERN"].as_str().expect("PATTERN").to_owned(),
    ))
}

#[test]
fn route_choices_agree_with_captured_mongrel2_except_documented_quirks() {
    let router = router();
    let results = captured_results("err-02-route-matching");
    assert_eq!(results.len(), 19);
    for result in &results {
        let path = result["path"].as_str().unwrap();
        let ours = decision(router.route(Some(b"localhost"), path.as_bytes()));
        match ROUTE_QUIRKS.iter().find(|(quirk, _, _)| *quirk == path) {
            Some((_, mongrel2, expected)) => {
                assert_eq!(
                    captured_decision(result),
                    Some(("A".into(), (*mongrel2).into())),
                    "{path}"
                );
                assert_eq!(ours, Some(("A".into(), (*expected).into())), "{path}");
            }
            None => assert_eq!(ours, captured_decision(result), "path {path}"),
        }
    }
}

#[test]
fn host_choices_agree_with_captured_mongrel2_except_documented_quirks() {
    let router = router();
    let results = captured_results("err-03-host-matching");
    assert_eq!(results.len(), 15);
    for result in &results {
        let host = result["host"].as_str();
        let ours = decision(router.route(host.map(str::as_bytes), b"/only/x"));
        match HOST_QUIRKS
            .iter()
            .find(|(quirk, _, _)| Some(*quirk) == host)
        {
            Some((_, mongrel2, expected)) => {
                assert_eq!(captured_decision(result).unwrap().0, *mongrel2, "{host:?}");
                assert_eq!(ours, Some(((*expected).into(), "/".into())), "{host:?}");
            }
            None => assert_eq!(ours, captured_decision(result), "host {host:?}"),
        }
    }
}

const PATTERNS: &str = r#"
[[listener]]
bind = "127.0.0.1:0"

[defaults]
reply_timeout = "7s"

[[host]]
name = "localhost"
default = true
route = [
  { path = '/f/(\d+)$', target = "digits" },
  { path = '/f/(\a+)', target = "letters", reply_timeout = "1s" },
  { path = "/f/", target = "plain" },
  { path = "/g/", target = "plain" },
  { path = '/g/(x)', target = "letters" },
  { path = "/", target = "plain" },
]

[[host]]
name = "api"
matching = '(\d+)-api.test'
route = [{ path = "/", target = "digits" }]

[[host]]
name = "shop"
matching = "shop.test"
route = [{ path = "/only/", target = "letters" }]

[target.digits]
type = "service"
service = "digits"

[target.letters]
type = "service"
service = "letters"

[target.plain]
type = "service"
service = "plain"

[broker]
endpoint = "ipc:///tmp/scale0-routing-test"
"#;

fn target_of(router: &Router, host: Option<&str>, path: &str) -> Option<String> {
    router
        .route(host.map(str::as_bytes), path.as_bytes())
        .map(|m| m.target.name.clone())
}

#[test]
fn routes_with_one_prefix_are_tried_in_config_order() {
    let router = Router::new(&Config::from_toml_str(PATTERNS).unwrap());
    assert_eq!(
        target_of(&router, None, "/f/123").as_deref(),
        Some("digits")
    );
    assert_eq!(
        target_of(&router, None, "/f/abc").as_deref(),
        Some("letters")
    );
    assert_eq!(target_of(&router, None, "/f/-").as_deref(), Some("plain"));
    assert_eq!(
        target_of(&router, None, "/g/x").as_deref(),
        Some("plain"),
        "the plain /g/ comes first"
    );
}

#[test]
fn settings_come_from_the_route_over_the_defaults() {
    let router = Router::new(&Config::from_toml_str(PATTERNS).unwrap());
    let letters = router.route(None, b"/f/abc").unwrap();
    assert_eq!(letters.settings.reply_timeout, Duration::from_secs(1));
    assert_eq!((letters.host, letters.pattern), ("localhost", r"/f/(\a+)"));
    let plain = router.route(None, b"/zzz").unwrap();
    assert_eq!(plain.settings.reply_timeout, Duration::from_secs(7));
}

#[test]
fn hosts_match_by_suffix_and_pattern_and_fall_back_to_the_default() {
    let router = Router::new(&Config::from_toml_str(PATTERNS).unwrap());
    let host_name = |header: Option<&[u8]>| router.host(header).unwrap().name.clone();
    assert_eq!(host_name(Some(b"42-api.test")), "api");
    assert_eq!(host_name(Some(b"42-api.test:8080")), "api");
    assert_eq!(
        host_name(Some(b"x42-api.test")),
        "localhost",
        "the pattern must match the whole rest"
    );
    assert_eq!(host_name(Some(b"-api.test")), "localhost");
    assert_eq!(host_name(Some(b"www.shop.test")), "shop");
    assert_eq!(host_name(Some(b"SHOP.TEST")), "localhost");
    assert_eq!(host_name(Some(b"")), "localhost");
    assert_eq!(host_name(Some(b"\xff\x00:")), "localhost");
    assert_eq!(host_name(None), "localhost");
    assert_eq!(
        target_of(&router, Some("shop.test"), "/elsewhere"),
        None,
        "no route in the chosen host is a 404"
    );
}

#[test]
fn hostile_paths_never_panic_and_stay_within_budget() {
    let router = Router::new(&Config::from_toml_str(PATTERNS).unwrap());
    let long = [b"/f/".as_slice(), &vec![b'a'; 64 * 1024]].concat();
    assert_eq!(
        router.route(None, &long).map(|m| m.target.name.as_str()),
        Some("letters")
    );
    assert_eq!(router.route(None, b"").map(|m| m.pattern), None);
    assert_eq!(router.route(Some(b":"), b"\xff/").map(|m| m.pattern), None);
}
