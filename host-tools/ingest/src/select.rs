//! Choosing articles: glob patterns over titles, aliases and paths, and lists of titles.

use anyhow::{Context, Result};

/// Which articles a build keeps: glob patterns matched against each article's title, its
/// aliases and its path (case-insensitively), and a list of titles (compared as a search
/// compares them: ignoring case and accents). Empty: every article.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    globs: Option<globset::GlobSet>,
    titles: std::collections::HashSet<String>,
}

impl Selection {
    /// A selection of `patterns` (globs) and `titles` (exact titles); errors name the pattern.
    pub fn new(patterns: &[String], titles: &[String]) -> Result<Selection> {
        let globs = if patterns.is_empty() {
            None
        } else {
            let mut b = globset::GlobSetBuilder::new();
            for p in patterns {
                let g = globset::GlobBuilder::new(p)
                    .case_insensitive(true)
                    .literal_separator(false)
                    .build()
                    .with_context(|| format!("--select {p:?}: not a valid pattern"))?;
                b.add(g);
            }
            Some(b.build().context("--select patterns")?)
        };
        Ok(Selection {
            globs,
            titles: titles
                .iter()
                .map(|t| fold(t.trim()))
                .filter(|t| !t.is_empty())
                .collect(),
        })
    }

    /// Whether every article is kept.
    pub fn is_all(&self) -> bool {
        self.globs.is_none() && self.titles.is_empty()
    }

    /// Whether an article with this title, these aliases and this path is kept.
    pub fn keeps(&self, title: &str, aliases: &[String], path: &str) -> bool {
        if self.is_all() {
            return true;
        }
        let names = || std::iter::once(title).chain(aliases.iter().map(String::as_str));
        if !self.titles.is_empty() && names().any(|n| self.titles.contains(&fold(n))) {
            return true;
        }
        self.globs
            .as_ref()
            .is_some_and(|g| names().chain([path]).any(|n| g.is_match(n)))
    }
}

fn fold(s: &str) -> String {
    fieldpack_format::fold::fold_str(s).collect()
}
