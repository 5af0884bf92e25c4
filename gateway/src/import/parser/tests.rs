use super::*;
use crate::import::lexer::tokenize;

fn parse_text(text: &str) -> Result<Vec<Assignment>, Error> {
    parse(&tokenize(text)?)
}

fn value(text: &str) -> Value {
    let mut file = parse_text(&format!("x = {text}")).unwrap();
    file.remove(0).value.value
}

fn syntax_error(text: &str) -> (Pos, String) {
    match parse_text(text) {
        Err(Error::Syntax { pos, message }) => (pos, message),
        other => panic!("expected a syntax error for {text:?}, got {other:?}"),
    }
}

fn at(line: u32, col: u32) -> Pos {
    Pos { line, col }
}

#[test]
fn scalars_and_references() {
    assert_eq!(value("'a'"), Value::Str("a".into()));
    assert_eq!(value("\"b\""), Value::Str("b".into()));
    assert_eq!(value("6767"), Value::Number(6767));
    assert_eq!(value("main"), Value::Ref("main".into()));
}

#[test]
fn classes_lists_and_dicts() {
    let Value::Class { name, params } = value("Dir(base='t/', index_file='i')") else {
        panic!("not a class");
    };
    assert_eq!(name, "Dir");
    assert_eq!(params[0].0, "base");
    assert_eq!(params[1].1.value, Value::Str("i".into()));
    assert_eq!(params[1].1.pos, at(1, 31));
    assert_eq!(
        value("[a, b]"),
        Value::List(vec![
            Expr {
                value: Value::Ref("a".into()),
                pos: at(1, 6)
            },
            Expr {
                value: Value::Ref("b".into()),
                pos: at(1, 9)
            },
        ])
    );
    let Value::Dict(pairs) = value("{'/': h, \"@chat\": Handler()}") else {
        panic!("not a dict");
    };
    assert_eq!(pairs[0].0, "/");
    assert_eq!(pairs[1].0, "@chat");
    assert_eq!(value("[]"), Value::List(vec![]));
    assert_eq!(value("{}"), Value::Dict(vec![]));
    assert_eq!(
        value("Server()"),
        Value::Class {
            name: "Server".into(),
            params: vec![]
        }
    );
}

#[test]
fn commas_are_optional_between_elements_as_in_m2sh() {
    let Value::Class { params, .. } = value("Server(a=1\n b=2 c=[x y] d={'k': 1 'l': 2})") else {
        panic!("not a class");
    };
    assert_eq!(params.len(), 4);
    let Value::List(items) = &params[2].1.value else {
        panic!("not a list");
    };
    let items: Vec<&Value> = items.iter().map(|e| &e.value).collect();
    assert_eq!(items, [&Value::Ref("x".into()), &Value::Ref("y".into())]);
    let Value::Dict(pairs) = &params[3].1.value else {
        panic!("not a dict");
    };
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["k", "l"]);
}

#[test]
fn several_assignments_keep_order_and_positions() {
    let file = parse_text("a = 1\n# note\nb = 'x' # tail\n").unwrap();
    assert_eq!(file.len(), 2);
    assert_eq!(file[1].name, "b");
    assert_eq!(file[1].pos, at(3, 1));
}

#[test]
fn trailing_commas_are_refused_like_m2sh() {
    assert_eq!(syntax_error("servers = [main,]").0, at(1, 17));
    assert_eq!(syntax_error("s = {'a': 1,}").0, at(1, 13));
    assert_eq!(syntax_error("s = Dir(a=1,)").0, at(1, 13));
}

#[test]
fn errors_name_the_position_and_what_was_expected() {
    let (pos, message) = syntax_error("x = Dir('a/')");
    assert_eq!(pos, at(1, 9));
    assert!(message.contains("positional"), "{message}");
    let (pos, message) = syntax_error("x = {k: 1}");
    assert_eq!(pos, at(1, 6));
    assert!(message.contains("keys are strings"), "{message}");
    assert_eq!(syntax_error("x = {'k' 1}").0, at(1, 10));
    assert_eq!(syntax_error("x = True").0, at(1, 5));
    assert_eq!(syntax_error("Main = Server()").0, at(1, 1));
    assert_eq!(syntax_error("x 1").0, at(1, 3));
    assert_eq!(syntax_error("x = [1, 2").0, at(1, 9));
    let (pos, message) = syntax_error("");
    assert_eq!(pos, at(1, 1));
    assert!(message.contains("file ends"), "{message}");
    assert_eq!(syntax_error("x = Server\ny = 1").0, at(2, 1));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!("x = {}", "[".repeat(10_000));
    let (_, message) = syntax_error(&text);
    assert!(message.contains("nested deeper"), "{message}");
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse_text(&text);
    }

    #[test]
    fn arbitrary_m2sh_like_text_never_panics(
        text in "[a-zA-Z_=(){}\\[\\],:'\" 0-9#\\\\\n]{0,300}"
    ) {
        let _ = crate::import::import_m2sh(&text, &crate::import::Options::default());
    }
}
