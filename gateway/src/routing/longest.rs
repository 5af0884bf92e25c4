//! The selection rule hosts and routes share: the candidate with the longest literal (suffix of the
//! host, prefix of the path) that fits wins; candidates with that same literal are tried in config
//! order; if none of them accepts the rest, there is no match — never a fallback to a shorter literal.

/// Candidate indexes ordered by literal length, longest first, config order within a length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Longest {
    order: Vec<usize>,
}

impl Longest {
    /// Orders candidates `0..lens.len()` by their literal lengths.
    pub(crate) fn new(lens: &[usize]) -> Longest {
        let mut order: Vec<usize> = (0..lens.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(lens.get(i).copied().unwrap_or(0)));
        Longest { order }
    }

    /// The first candidate, in the rule's order, whose literal `fits` and which `accepts` the rest.
    /// `len` gives a candidate's literal length.
    pub(crate) fn find(
        &self,
        len: impl Fn(usize) -> usize,
        fits: impl Fn(usize) -> bool,
        accepts: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let mut winning_len = None;
        for &candidate in &self.order {
            let candidate_len = len(candidate);
            if winning_len.is_some_and(|winning| candidate_len < winning) {
                break;
            }
            if fits(candidate) {
                winning_len = Some(candidate_len);
                if accepts(candidate) {
                    return Some(candidate);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Longest;

    fn pick(literals: &[&str], accepted: &[usize], path: &str) -> Option<usize> {
        let lens: Vec<usize> = literals.iter().map(|l| l.len()).collect();
        Longest::new(&lens).find(
            |i| lens[i],
            |i| path.starts_with(literals[i]),
            |i| accepted.contains(&i),
        )
    }

    #[test]
    fn longest_fitting_literal_wins() {
        assert_eq!(
            pick(&["/", "/app", "/api/"], &[0, 1, 2], "/application"),
            Some(1)
        );
        assert_eq!(pick(&["/", "/app", "/api/"], &[0, 1, 2], "/zzz"), Some(0));
        assert_eq!(pick(&["/app"], &[0], "/ap"), None);
    }

    #[test]
    fn same_literal_candidates_are_tried_in_config_order() {
        assert_eq!(pick(&["/f/", "/", "/f/"], &[0, 1, 2], "/f/x"), Some(0));
        assert_eq!(pick(&["/f/", "/", "/f/"], &[1, 2], "/f/x"), Some(2));
    }

    #[test]
    fn no_fallback_to_a_shorter_literal() {
        assert_eq!(pick(&["/", "/f/"], &[0], "/f/x"), None);
    }
}
