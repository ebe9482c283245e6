//! Boilerplate removal: the rules in one place, the built-in set plus the user's own.

use anyhow::{bail, Context, Result};
use regex::Regex;
use std::path::Path;

/// The built-in rules, also printed by `fieldpack rules`.
pub const DEFAULT_RULES: &str = include_str!("default.rules");

/// What a rule does to the paragraphs it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Remove every match inside each paragraph.
    Strip,
    /// Drop a paragraph that matches as a whole.
    Drop,
    /// Drop matching paragraphs at the end of the article.
    DropTail,
}

/// One cleaning rule.
#[derive(Clone, Debug)]
pub struct Rule {
    action: Action,
    pattern: Regex,
}

/// An ordered set of cleaning rules.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    /// Parses a rules text; `origin` names it in errors (a file name, "built-in rules").
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (word, pattern) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let action = match word {
                "strip" => Action::Strip,
                "drop" => Action::Drop,
                "drop-tail" => Action::DropTail,
                other => bail!(
                    "{origin}:{}: unknown rule action {other:?} (expected strip, drop or drop-tail)",
                    n + 1
                ),
            };
            let pattern = pattern.trim();
            if pattern.is_empty() {
                bail!("{origin}:{}: rule has no pattern", n + 1);
            }
            let source = match action {
                Action::Strip => pattern.to_string(),
                Action::Drop | Action::DropTail => anchor(pattern),
            };
            let pattern = Regex::new(&source)
                .with_context(|| format!("{origin}:{}: bad pattern {pattern:?}", n + 1))?;
            rules.push(Rule { action, pattern });
        }
        Ok(Rules { rules })
    }

    /// The built-in rules.
    pub fn builtin() -> Self {
        // The built-in text is part of the binary and covered by tests; it always parses.
        Self::parse(DEFAULT_RULES, "built-in rules").unwrap_or_default()
    }

    /// Adds the rules of a user's file after these.
    pub fn extend_from_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read rules file {}", path.display()))?;
        let more = Self::parse(&text, &path.display().to_string())?;
        self.rules.extend(more.rules);
        Ok(())
    }

    /// Applies `strip` rules to one raw paragraph.
    pub fn strip(&self, paragraph: &str) -> String {
        let mut s = paragraph.to_string();
        for r in self.rules.iter().filter(|r| r.action == Action::Strip) {
            if r.pattern.is_match(&s) {
                s = r.pattern.replace_all(&s, " ").into_owned();
            }
        }
        s
    }

    /// Drops boilerplate paragraphs (already normalised and stripped); returns how many went.
    pub fn drop_boilerplate(&self, paragraphs: &mut Vec<String>) -> usize {
        let before = paragraphs.len();
        // A rule matches a paragraph's text, whatever block it is.
        let text = |p: &str| crate::blocks::split_mark(p).2.to_string();
        paragraphs.retain(|p| {
            !p.is_empty()
                && !self
                    .rules
                    .iter()
                    .any(|r| r.action == Action::Drop && r.pattern.is_match(&text(p)))
        });
        while paragraphs.last().is_some_and(|p| {
            self.rules
                .iter()
                .any(|r| r.action == Action::DropTail && r.pattern.is_match(&text(p)))
        }) {
            paragraphs.pop();
        }
        before - paragraphs.len()
    }
}

fn anchor(pattern: &str) -> String {
    // Flags like (?i) must stay in front of the group they apply to.
    let (flags, rest) = match pattern.strip_prefix("(?") {
        Some(r) => match r.split_once(')') {
            Some((f, rest)) if f.chars().all(|c| c.is_ascii_alphabetic()) => {
                (format!("(?{f})"), rest)
            }
            _ => (String::new(), pattern),
        },
        None => (String::new(), pattern),
    };
    format!("{flags}^(?:{rest})$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse_and_work() {
        let r = Rules::parse(DEFAULT_RULES, "built-in").expect("built-in rules parse");
        assert_eq!(r.strip("[ad_1]Human rights").trim(), "Human rights");
        let mut ps = vec![
            "Body text.".to_string(),
            "Advertisement".to_string(),
            "More body.".to_string(),
            "Source link".to_string(),
        ];
        assert_eq!(r.drop_boilerplate(&mut ps), 2);
        assert_eq!(ps, ["Body text.", "More body."]);
    }

    #[test]
    fn source_link_only_at_the_end() {
        let r = Rules::builtin();
        let mut ps = vec!["Source link".to_string(), "Body.".to_string()];
        r.drop_boilerplate(&mut ps);
        assert_eq!(ps.len(), 2);
    }

    #[test]
    fn bad_rules_name_the_line() {
        let e = Rules::parse("strip a\nexplode b", "my.rules").expect_err("bad action");
        assert!(e.to_string().contains("my.rules:2"), "{e}");
        let e = Rules::parse("drop (", "x.rules").expect_err("bad regex");
        assert!(format!("{e:#}").contains("x.rules:1"), "{e:#}");
    }
}
