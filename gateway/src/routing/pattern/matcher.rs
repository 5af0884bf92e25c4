//! The backtracking interpreter behind [`Pattern`](super::Pattern): Lua's `match` algorithm over
//! compiled items, with a step counter so no subject can make it run longer than
//! [`MATCH_STEP_BUDGET`]. Recursion happens once per quantified item, so its depth is bounded by the
//! number of items (at most [`MAX_PATTERN_BYTES`](super::MAX_PATTERN_BYTES)).

use super::set::ByteSet;
use super::{Item, OverBudget, Quant, MATCH_STEP_BUDGET};

/// Matches `items` against `subject` from offset 0; with `whole` the match must also end at the end
/// of `subject` (backtracking until it does). Returns the end offset of the first match found.
pub(super) fn run(
    items: &[Item],
    subject: &[u8],
    whole: bool,
) -> Result<Option<usize>, OverBudget> {
    let mut matcher = Matcher {
        items,
        subject,
        whole,
        steps: 0,
    };
    matcher.at(0, 0)
}

/// State of one match: the subject, the items and the steps spent so far.
struct Matcher<'a> {
    items: &'a [Item],
    subject: &'a [u8],
    whole: bool,
    steps: u32,
}

impl Matcher<'_> {
    /// Spends one step, failing once the budget is gone.
    fn tick(&mut self) -> Result<(), OverBudget> {
        self.steps += 1;
        if self.steps > MATCH_STEP_BUDGET {
            Err(OverBudget)
        } else {
            Ok(())
        }
    }

    /// Whether the byte at `pos` exists and is in `set`.
    fn accepts(&self, set: &ByteSet, pos: usize) -> bool {
        self.subject
            .get(pos)
            .is_some_and(|&byte| set.contains(byte))
    }

    /// Matches items from `item` on against the subject from `pos`.
    fn at(&mut self, mut pos: usize, mut item: usize) -> Result<Option<usize>, OverBudget> {
        loop {
            self.tick()?;
            let Some(current) = self.items.get(item) else {
                let done = !self.whole || pos == self.subject.len();
                return Ok(done.then_some(pos));
            };
            match current {
                Item::End => return Ok((pos == self.subject.len()).then_some(pos)),
                Item::Balance { open, close } => match self.balance(pos, *open, *close)? {
                    Some(end) => pos = end,
                    None => return Ok(None),
                },
                Item::Frontier(set) => {
                    let previous = pos.checked_sub(1).and_then(|p| self.subject.get(p));
                    let next = self.subject.get(pos);
                    let outside_before = !set.contains(previous.copied().unwrap_or(0));
                    if !(outside_before && set.contains(next.copied().unwrap_or(0))) {
                        return Ok(None);
                    }
                }
                Item::Single { set, quant } => match quant {
                    Quant::One if self.accepts(set, pos) => pos += 1,
                    Quant::One => return Ok(None),
                    Quant::Optional => {
                        if self.accepts(set, pos) {
                            if let Some(end) = self.at(pos + 1, item + 1)? {
                                return Ok(Some(end));
                            }
                        }
                    }
                    Quant::Star => return self.greedy(pos, set, item),
                    Quant::Plus if self.accepts(set, pos) => {
                        return self.greedy(pos + 1, set, item)
                    }
                    Quant::Plus => return Ok(None),
                    Quant::Lazy => return self.lazy(pos, set, item),
                },
            }
            item += 1;
        }
    }

    /// `*` and `+`: takes as many bytes of `set` as possible, then gives them back one at a time
    /// until the rest of the pattern matches.
    fn greedy(
        &mut self,
        pos: usize,
        set: &ByteSet,
        item: usize,
    ) -> Result<Option<usize>, OverBudget> {
        let mut count = 0;
        while self.accepts(set, pos + count) {
            self.tick()?;
            count += 1;
        }
        loop {
            if let Some(end) = self.at(pos + count, item + 1)? {
                return Ok(Some(end));
            }
            match count.checked_sub(1) {
                Some(fewer) => count = fewer,
                None => return Ok(None),
            }
        }
    }

    /// `-`: tries the rest of the pattern first, taking one more byte of `set` after each failure.
    fn lazy(
        &mut self,
        mut pos: usize,
        set: &ByteSet,
        item: usize,
    ) -> Result<Option<usize>, OverBudget> {
        loop {
            if let Some(end) = self.at(pos, item + 1)? {
                return Ok(Some(end));
            }
            if !self.accepts(set, pos) {
                return Ok(None);
            }
            pos += 1;
        }
    }

    /// `\bxy`: from an `open` byte at `pos` to the `close` byte that balances it; returns the offset
    /// after that `close`.
    fn balance(&mut self, pos: usize, open: u8, close: u8) -> Result<Option<usize>, OverBudget> {
        if self.subject.get(pos) != Some(&open) {
            return Ok(None);
        }
        let mut depth = 1usize;
        for (offset, &byte) in self.subject.iter().enumerate().skip(pos + 1) {
            self.tick()?;
            if byte == close {
                depth -= 1;
                if depth == 0 {
                    return Ok(Some(offset + 1));
                }
            } else if byte == open {
                depth += 1;
            }
        }
        Ok(None)
    }
}
