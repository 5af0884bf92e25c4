use super::{OverBudget, Pattern, PatternError, MAX_PATTERN_BYTES};
use proptest::prelude::*;

fn start(pattern: &str, subject: &str) -> Option<usize> {
    Pattern::compile(pattern)
        .unwrap()
        .match_start(subject.as_bytes())
        .unwrap()
}

fn whole(pattern: &str, subject: &str) -> bool {
    Pattern::compile(pattern)
        .unwrap()
        .match_whole(subject.as_bytes())
        .unwrap()
}

#[test]
fn captured_route_patterns_behave_as_in_mongrel2() {
    assert_eq!(start(r"(.*\.json)", "a.json"), Some(6));
    assert_eq!(start(r"(.*\.json)", "a.json.bak"), Some(6));
    assert_eq!(start(r"(.*\.json)", "a.txt"), None);
    assert_eq!(start(r"(.*\.json)", ""), None);
    assert_eq!(start(r"(\d+)$", "123"), Some(3));
    assert_eq!(start(r"(\d+)$", "12a"), None);
    assert_eq!(start(r"(\d+)$", ""), None);
}

#[test]
fn matching_is_anchored_at_the_start_only() {
    assert_eq!(start("b", "ab"), None);
    assert_eq!(start("a", "ab"), Some(1));
    assert_eq!(start("", "anything"), Some(0));
}

#[test]
fn quantifiers() {
    assert_eq!(start("a*", "aaab"), Some(3));
    assert_eq!(start("a*b", "b"), Some(1));
    assert_eq!(start("a+", "b"), None);
    assert_eq!(start("a+b", "aab"), Some(3));
    assert_eq!(start("a-", "aaa"), Some(0));
    assert_eq!(start("a-b", "aab"), Some(3));
    assert_eq!(start("a?b", "ab"), Some(2));
    assert_eq!(start("a?b", "b"), Some(1));
    assert_eq!(start("a?a", "a"), Some(1));
}

#[test]
fn classes_sets_and_ranges() {
    assert_eq!(start(r"\a+", "abc1"), Some(3));
    assert_eq!(start(r"\D+", "ab1"), Some(2));
    assert_eq!(start(r"\w+", "a_b"), Some(1));
    assert_eq!(start(r"[a-c]+", "abcd"), Some(3));
    assert_eq!(start(r"[^/]+", "seg/x"), Some(3));
    assert_eq!(start(r"[\d.]+", "1.2x"), Some(3));
    assert_eq!(start(r"[]]", "]"), Some(1));
    assert_eq!(start(r"[^]]+", "ab]"), Some(2));
    assert_eq!(start(r"[a-]+", "-a-b"), Some(3));
    assert_eq!(start(r"[\]]", "]"), Some(1));
    assert_eq!(start(r"\.", "x"), None);
    assert_eq!(start(".", "\u{0}"), Some(1));
}

#[test]
fn balance_and_frontier() {
    assert_eq!(start(r"\b()", "(a(b))c"), Some(6));
    assert_eq!(start(r"\b()", "(a(b)"), None);
    assert_eq!(start(r"\b||", "|x|"), Some(3));
    assert_eq!(start(r"\f[\w]\w+", "word rest"), Some(4));
    assert_eq!(start(r"a\f[\d]", "a1"), Some(1));
    assert_eq!(start(r"\d\f[\d]", "12"), None);
    assert_eq!(start(r"x\f[\z]", "x"), Some(1));
    assert_eq!(start(r"x\f[^\w]", "x"), Some(1));
}

#[test]
fn dollar_anchors_only_at_the_very_end_and_parens_are_ignored() {
    assert_eq!(start("a$", "ab"), None);
    assert_eq!(start("a$b", "a$b"), Some(3));
    assert_eq!(start("(a$)", "a$"), Some(2));
    assert_eq!(start("(a)+", "a+"), Some(2));
    assert_eq!(start("(a)+", "aa"), None);
    assert_eq!(start("*x", "*x"), Some(2));
    assert_eq!(start("^a", "^a"), Some(2));
}

#[test]
fn whole_matches_backtrack_to_the_end() {
    assert!(whole("(.+)", "x"));
    assert!(!whole("(.+)", ""));
    assert!(whole("(.-)", "abc"));
    assert!(!whole("a", "ab"));
    assert!(whole(r"(\w+)\.", "www."));
}

#[test]
fn malformed_patterns_are_rejected() {
    let err = |p: &str| Pattern::compile(p).unwrap_err();
    assert_eq!(err("ab\\"), PatternError::TrailingEscape);
    assert_eq!(err("x[ab"), PatternError::UnterminatedSet { at: 1 });
    assert_eq!(err("[a\\"), PatternError::UnterminatedSet { at: 0 });
    assert_eq!(err("[]"), PatternError::UnterminatedSet { at: 0 });
    assert_eq!(err("a\\bx"), PatternError::IncompleteBalance { at: 1 });
    assert_eq!(err("\\fx"), PatternError::FrontierWithoutSet { at: 0 });
    assert_eq!(err("\\f[a"), PatternError::UnterminatedSet { at: 2 });
    let long = "a".repeat(MAX_PATTERN_BYTES + 1);
    assert_eq!(
        err(&long),
        PatternError::TooLong {
            len: MAX_PATTERN_BYTES + 1,
            max: MAX_PATTERN_BYTES
        }
    );
}

#[test]
fn catastrophic_backtracking_is_cut_off_by_the_budget() {
    let pattern = Pattern::compile(".*.*.*.*.*.*x").unwrap();
    let subject = vec![b'a'; 200];
    assert_eq!(pattern.match_start(&subject), Err(OverBudget));
    assert_eq!(pattern.match_whole(&subject), Err(OverBudget));
}

#[test]
fn long_realistic_paths_stay_within_the_budget() {
    let pattern = Pattern::compile(r"(.*\.json)").unwrap();
    let mut subject = vec![b'a'; 16 * 1024];
    subject.extend_from_slice(b".json");
    assert_eq!(pattern.match_start(&subject), Ok(Some(subject.len())));
}

#[test]
fn source_text_is_kept_verbatim() {
    assert_eq!(
        Pattern::compile(r"(.*\.json)").unwrap().as_str(),
        r"(.*\.json)"
    );
}

proptest! {
    #[test]
    fn never_panics_on_any_pattern_or_subject(
        pattern in "[ab.()\\[\\]^$*+?\\\\-]{0,24}|[ -~]{0,24}",
        subject in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        if let Ok(compiled) = Pattern::compile(&pattern) {
            let start = compiled.match_start(&subject);
            if let Ok(Some(end)) = start {
                prop_assert!(end <= subject.len());
            }
            if compiled.match_whole(&subject) == Ok(true) && subject.is_empty() {
                prop_assert_eq!(start, Ok(Some(0)));
            }
        }
    }
}
