use super::*;
use crate::import::lexer::tokenize;
use crate::import::parser::parse;

const HANDLER: &str = "h = Handler(send_spec='tcp://127.0.0.1:1', send_ident='a', \
                       recv_spec='tcp://127.0.0.1:2', recv_ident='')\n";

fn site(text: &str) -> Result<Site, Error> {
    load(&parse(&tokenize(text)?)?)
}

fn one_server(body: &str) -> Site {
    site(&format!(
        "{HANDLER}main = Server(uuid='u1', name='main', port=6767, default_host='localhost', \
         hosts=[Host(name='localhost', routes={body})])\nservers = [main]\n"
    ))
    .unwrap()
}

fn invalid_at(text: &str) -> (Pos, String) {
    match site(text) {
        Err(Error::Invalid { pos, message }) => (pos, message),
        other => panic!("expected an invalid-config error, got {other:?}"),
    }
}

#[test]
fn loads_server_fields_hosts_and_targets() {
    let site = one_server(
        "{'/': h, '/s/': Dir(base='s/', index_file='i.html', default_ctype='text/plain', \
         cache_ttl=5), '/p/': Proxy(addr='127.0.0.1', port=8080)}",
    );
    let server = &site.servers[0];
    assert_eq!(server.uuid.as_deref(), Some("u1"));
    assert_eq!(server.port, Some(6767));
    assert_eq!(server.default_host.as_deref(), Some("localhost"));
    let host = &server.hosts[0];
    assert_eq!(
        (host.name.as_str(), host.matching.as_str()),
        ("localhost", "localhost")
    );
    assert_eq!(host.routes.len(), 3);
    let Target::Handler(h) = &host.routes[0].target else {
        panic!("not a handler");
    };
    assert_eq!(h.send_spec.as_deref(), Some("tcp://127.0.0.1:1"));
    assert_eq!(h.recv_ident.as_deref(), Some(""));
    assert_eq!(
        host.routes[1].target,
        Target::Dir(Dir {
            base: Some("s/".into()),
            index_file: Some("i.html".into()),
            default_ctype: Some("text/plain".into()),
            cache_ttl: 5,
        })
    );
    assert_eq!(
        host.routes[2].target,
        Target::Proxy(Proxy {
            addr: Some("127.0.0.1".into()),
            port: Some(8080),
        })
    );
    assert!(site.skipped.is_empty(), "{:?}", site.skipped);
}

#[test]
fn settings_mimetypes_filters_and_xrequests() {
    let site = site(&format!(
        "{HANDLER}f = Filter(name='/null.so', settings={{'a': [1]}})\n\
         main = Server(uuid='u', port=1, filters=[f], xrequests=[Xrequest(name='/x.so')], \
         hosts=[Host(name='h', matching='(.+)h', routes={{'/': h}})])\n\
         settings = {{'zeromq.threads': 1, 'upload.temp_store': '/tmp/x.XXXXXX', 'zeromq.threads': 2}}\n\
         mimetypes = {{'.ttf': 'application/x-font-ttf'}}\nservers = [main]"
    ))
    .unwrap();
    let server = &site.servers[0];
    assert_eq!(server.filters, ["/null.so"]);
    assert_eq!(server.xrequests, ["/x.so"]);
    assert_eq!(server.hosts[0].matching, "(.+)h");
    assert_eq!(
        site.settings,
        [
            ("upload.temp_store".to_owned(), "/tmp/x.XXXXXX".to_owned()),
            ("zeromq.threads".to_owned(), "2".to_owned()),
        ]
    );
    assert_eq!(site.mimetypes.len(), 1);
}

#[test]
fn last_definition_and_last_route_key_win_as_in_m2sh() {
    let site = site(&format!(
        "{HANDLER}h = Handler(send_spec='tcp://127.0.0.1:5', recv_spec='tcp://127.0.0.1:6')\n\
         main = Server(uuid='u', port=1, hosts=[Host(name='h', routes={{'/': h, '/': Dir(base='d/')}})])\n\
         servers = [main]"
    ))
    .unwrap();
    let routes = &site.servers[0].hosts[0].routes;
    assert_eq!(routes.len(), 1);
    assert!(matches!(routes[0].target, Target::Dir(_)));
}

#[test]
fn routes_m2sh_skips_are_warnings() {
    let site = one_server("{'/a': nothere, '/b': Foo(a=1), '/c': 5, '/d': g, '/ok': h}");
    let routes = &site.servers[0].hosts[0].routes;
    assert_eq!(routes.len(), 1);
    assert_eq!(site.skipped.len(), 4, "{:?}", site.skipped);
    assert!(site.skipped[0]
        .reason
        .contains("unknown variable `nothere`"));
    assert!(site.skipped[1].reason.contains("Foo"));
    let site = site_with_ref();
    assert!(site.skipped[0].reason.contains("one reference only"));
}

fn site_with_ref() -> Site {
    site(&format!(
        "{HANDLER}g = h\nmain = Server(uuid='u', port=1, hosts=[Host(name='h', routes={{'/': g}})])\n\
         servers = [main]"
    ))
    .unwrap()
}

#[test]
fn unknown_parameters_are_warnings() {
    let site = site(&format!(
        "{HANDLER}main = Server(uuid='u', port=1, matching='(.*)', hosts=[Host(name='h', routes={{'/': h}})])\n\
         servers = [main]"
    ))
    .unwrap();
    assert_eq!(site.skipped.len(), 1);
    assert!(
        site.skipped[0].reason.contains("matching"),
        "{}",
        site.skipped[0]
    );
    let site = one_server("{'/': Dir(base='d/', colour='red')}");
    assert_eq!(site.skipped.len(), 1);
    assert_eq!(site.skipped[0].object, "Host \"localhost\" route \"/\"");
    assert!(site.skipped[0].reason.contains("Dir(colour=...)"));
}

#[test]
fn what_m2sh_refuses_to_load_is_an_error_with_a_position() {
    let (pos, message) = invalid_at(HANDLER);
    assert_eq!(pos, Pos { line: 1, col: 1 });
    assert!(message.contains("servers"));
    let (pos, message) = invalid_at(&format!(
        "{HANDLER}main = Server(uuid='u', port='6767')\nservers = [main]"
    ));
    assert_eq!(pos, Pos { line: 2, col: 30 });
    assert!(message.contains("port"), "{message}");
    assert_eq!(invalid_at("servers = 1").0, Pos { line: 1, col: 11 });
    assert_eq!(invalid_at("servers = [x]").0, Pos { line: 1, col: 12 });
    assert_eq!(
        invalid_at("x = Host(name='a')\nservers = [x]").0,
        Pos { line: 1, col: 5 }
    );
    let (_, message) = invalid_at("main = Server(hosts=[h])\nh = 1\nservers = [main]");
    assert!(message.contains("Host"), "{message}");
}

#[test]
fn routes_that_are_not_a_dict_load_no_routes() {
    let site = one_server("[h]");
    assert!(site.servers[0].hosts[0].routes.is_empty());
    assert!(site.skipped[0].reason.contains("not a dict"));
}
