use super::*;
use crate::import::model::{Dir, Handler, Proxy, Route};

fn handler(port: u16) -> Target {
    Target::Handler(Handler {
        send_spec: Some(format!("tcp://127.0.0.1:{port}")),
        recv_spec: Some(format!("tcp://127.0.0.1:{}", port + 1)),
        recv_ident: Some(String::new()),
        protocol: Some("json".into()),
        ..Handler::default()
    })
}

fn dir(base: &str) -> Target {
    Target::Dir(Dir {
        base: Some(base.into()),
        ..Dir::default()
    })
}

fn proxy() -> Target {
    Target::Proxy(Proxy {
        addr: Some("127.0.0.1".into()),
        port: Some(8080),
    })
}

fn host(name: &str, routes: &[(&str, Target)]) -> Host {
    Host {
        name: name.into(),
        matching: name.into(),
        routes: routes
            .iter()
            .map(|(path, target)| Route {
                path: (*path).into(),
                target: target.clone(),
            })
            .collect(),
    }
}

fn server(hosts: Vec<Host>) -> Server {
    Server {
        default_host: Some("b".into()),
        chroot: Some("/var/www/".into()),
        hosts,
        ..Server::default()
    }
}

#[test]
fn targets_are_shared_by_content_and_named_after_their_first_route() {
    let plan = plan(&server(vec![
        host(
            "a",
            &[("/chat/", proxy()), ("@chat", handler(1)), ("/", proxy())],
        ),
        host("b", &[("/x/", handler(1)), ("/", dir("s/"))]),
    ]));
    let names: Vec<&str> = plan.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["root", "chat", "root-dir"]);
    assert_eq!(plan.targets[0].used_by, ["a \"/\"", "a \"/chat/\""]);
    assert_eq!(
        plan.hosts[1].routes[1],
        ("/x/".to_owned(), "chat".to_owned())
    );
    let Target::Dir(d) = &plan.targets[2].target else {
        panic!("not a dir");
    };
    assert_eq!(d.base.as_deref(), Some("/var/www/s/"));
    let Target::Handler(h) = &plan.targets[1].target else {
        panic!("not a handler");
    };
    assert_eq!((h.recv_ident.as_ref(), h.protocol.as_ref()), (None, None));
}

#[test]
fn routes_are_sorted_with_patterns_before_the_plain_route_of_their_prefix() {
    let plan = plan(&server(vec![host(
        "b",
        &[
            ("/t/", dir("t/")),
            ("/", proxy()),
            (r"/t/(.*\.json)", dir("j/")),
            ("/t/(a)", dir("a/")),
        ],
    )]));
    let paths: Vec<&str> = plan.hosts[0].routes.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(paths, ["/", "/t/(.*\\.json)", "/t/(a)", "/t/"]);
    let shared: Vec<_> = plan
        .warnings
        .iter()
        .filter(|w| w.reason.contains("share a prefix"))
        .collect();
    assert_eq!(shared.len(), 2, "{:?}", plan.warnings);
}

#[test]
fn default_host_is_marked_or_replaced_with_a_warning() {
    let plan1 = plan(&server(vec![
        host("a", &[("/", proxy())]),
        host("b", &[("/", proxy())]),
    ]));
    assert_eq!(
        plan1.hosts.iter().map(|h| h.default).collect::<Vec<_>>(),
        [false, true]
    );
    assert!(plan1.warnings.is_empty(), "{:?}", plan1.warnings);
    let mut other = server(vec![host("a", &[("/", proxy())])]);
    other.default_host = Some("nope".into());
    let plan2 = plan(&other);
    assert!(plan2.hosts[0].default);
    assert!(plan2.warnings[0].reason.contains("\"nope\""));
}

#[test]
fn unusable_routes_and_hosts_are_skipped_with_reasons() {
    let broken = Target::Handler(Handler::default());
    let plan = plan(&server(vec![
        host("a", &[("/", broken)]),
        host(
            "b",
            &[("/", Target::Proxy(Proxy::default())), ("/d/", dir("d/"))],
        ),
        host("b", &[("/", proxy())]),
        host("", &[("/", proxy())]),
    ]));
    assert_eq!(plan.hosts.len(), 1);
    assert_eq!(plan.hosts[0].routes.len(), 1);
    let reasons: Vec<&str> = plan.warnings.iter().map(|w| w.reason.as_str()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons[0].contains("send_spec"));
    assert!(reasons[1].contains("host not converted"));
    assert!(reasons[2].contains("Proxy without"));
    assert!(reasons[3].contains("unique"));
    assert!(reasons[4].contains("no name"));
}

#[test]
fn handlers_sharing_an_endpoint_become_one_target() {
    let mut other = handler(1);
    if let Target::Handler(h) = &mut other {
        h.send_ident = Some("other".into());
    }
    let plan = plan(&server(vec![host(
        "b",
        &[("/a", handler(1)), ("/b", other)],
    )]));
    assert_eq!(plan.targets.len(), 1);
    assert_eq!(plan.hosts[0].routes[1].1, "a");
    assert!(plan.warnings[0].reason.contains("binds an endpoint"));
}

#[test]
fn names_are_slugs_of_the_literal_prefix() {
    let plan = plan(&server(vec![host(
        "b",
        &[
            ("/api/v1/(.*)", handler(1)),
            ("<chat", handler(3)),
            ("/a b/", handler(5)),
            (&format!("/{}", "x".repeat(200)), handler(7)),
        ],
    )]));
    let names: Vec<&str> = plan.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names[..3], ["a-b", "api-v1", "x".repeat(48).as_str()][..]);
    assert_eq!(names[3], "chat");
}

#[test]
fn chroot_joins_paths() {
    use names::in_chroot;
    assert_eq!(in_chroot(None, "/logs/a.log"), "/logs/a.log");
    assert_eq!(in_chroot(Some(""), "tests/"), "tests/");
    assert_eq!(in_chroot(Some("./"), "/logs/a.log"), "./logs/a.log");
    assert_eq!(in_chroot(Some("/var/www"), "tests/"), "/var/www/tests/");
}

#[test]
fn idents_scale0_cannot_take_are_dropped_with_a_warning() {
    let mut odd = handler(1);
    if let Target::Handler(h) = &mut odd {
        h.send_ident = Some("has space".into());
        h.recv_ident = Some("x".repeat(200));
    }
    let plan = plan(&server(vec![host("b", &[("/", odd)])]));
    let Target::Handler(h) = &plan.targets[0].target else {
        panic!("not a handler");
    };
    assert_eq!((h.send_ident.as_ref(), h.recv_ident.as_ref()), (None, None));
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
    assert!(plan.warnings[0].reason.contains("send_ident=\"has space\""));
}
