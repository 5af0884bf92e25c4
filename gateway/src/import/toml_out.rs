//! A small TOML text writer for the converted config: sections, `key = value` lines with aligned
//! trailing comments, and string quoting that keeps route patterns readable (literal `'...'`
//! strings when a value holds a backslash, so `'/(.*\.json)'` is written as in Mongrel2).

/// Column trailing comments start at when the line is shorter.
const COMMENT_COLUMN: usize = 54;

/// The text being written.
#[derive(Debug, Default)]
pub struct Out {
    text: String,
}

impl Out {
    /// `# text` for each line of `text`.
    pub fn comment(&mut self, indent: &str, text: &str) {
        for line in text.lines() {
            self.text.push_str(indent);
            self.text.push('#');
            if !line.is_empty() {
                self.text.push(' ');
                self.text.push_str(line);
            }
            self.text.push('\n');
        }
    }

    /// An empty line.
    pub fn blank(&mut self) {
        self.text.push('\n');
    }

    /// A section header such as `[gateway]` or `  [[host.route]]`, optionally commented.
    pub fn section(&mut self, indent: &str, header: &str, comment: Option<&str>) {
        self.line(format!("{indent}{header}"), comment);
    }

    /// `key = value` (value already TOML), optionally commented.
    pub fn key(&mut self, indent: &str, key: &str, value: &str, comment: Option<&str>) {
        self.line(format!("{indent}{key} = {value}"), comment);
    }

    /// `key = "text"`, quoted by [`string`].
    pub fn text_key(&mut self, indent: &str, key: &str, value: &str, comment: Option<&str>) {
        self.key(indent, key, &string(value), comment);
    }

    fn line(&mut self, mut line: String, comment: Option<&str>) {
        if let Some(comment) = comment {
            let width = line.chars().count();
            let pad = COMMENT_COLUMN.saturating_sub(width).max(1);
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str("# ");
            line.push_str(&comment.replace('\n', " "));
        }
        self.text.push_str(&line);
        self.text.push('\n');
    }

    /// The text written.
    pub fn finish(self) -> String {
        self.text
    }
}

/// `name` as a TOML key: bare when it can be (`A-Z a-z 0-9 _ -`), else quoted, so a target
/// named `favicon.ico` is `[target."favicon.ico"]`, not a nested table.
pub fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        name.to_owned()
    } else {
        string(name)
    }
}

/// `value` as a TOML string: a literal string (`'...'`) when it holds a backslash and can be one,
/// else a basic string (`"..."`) with `\` `"` and control characters escaped.
pub fn string(value: &str) -> String {
    let literal_ok = !value.contains('\'') && !value.chars().any(char::is_control);
    if value.contains('\\') && literal_ok {
        return format!("'{value}'");
    }
    let mut out = String::with_capacity(value.len().saturating_add(2));
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: &str) -> String {
        let doc: toml::Table = toml::from_str(&format!("k = {}", string(value))).unwrap();
        doc["k"].as_str().unwrap().to_owned()
    }

    #[test]
    fn strings_round_trip_through_a_toml_parser() {
        for value in [
            "plain",
            r"/testsmulti/(.*\.json)",
            r#"q\"x"#,
            "it's",
            r"it's \ both",
            "tab\tnew\nline",
            "\u{1}",
            "",
        ] {
            assert_eq!(parsed(value), value);
        }
        assert_eq!(string(r"/(.*\.json)"), r"'/(.*\.json)'");
        assert_eq!(string("/"), "\"/\"");
    }

    #[test]
    fn keys_are_bare_only_when_they_can_be() {
        assert_eq!(key("chat-handler_2"), "chat-handler_2");
        assert_eq!(key("favicon.ico"), "\"favicon.ico\"");
        assert_eq!(key(".ttf"), "\".ttf\"");
    }

    #[test]
    fn comments_align_and_lines_end() {
        let mut out = Out::default();
        out.section("", "[gateway]", None);
        out.text_key("", "sender_id", "x", Some("Server(uuid=...)"));
        out.comment("  ", "a\n\nb");
        let text = out.finish();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "[gateway]");
        assert_eq!(lines[1].find('#'), Some(COMMENT_COLUMN));
        assert_eq!(&lines[2..], ["  # a", "  #", "  # b"]);
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips(value in "\\PC{0,64}|[\\\\'\"\n\t\u{1}a]{0,16}") {
            proptest::prop_assert_eq!(parsed(&value), value);
        }
    }
}
