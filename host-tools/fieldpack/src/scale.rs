//! `fieldpack bench --scale N`: a generated corpus of N articles (the real texts' paragraphs,
//! shuffled), its build's memory and time, and the device's cost at the end of a big bundle
//! against the same article in a 10-article bundle.

use std::path::PathBuf;

use anyhow::{bail, Result};
use fieldpack_reader::profile::{OLED_128X64, TFT_320X240};
use serde::Serialize;

use crate::bench::{count_instructions, peak_children_rss_kib, timed_build};
use crate::build::{collect, BuildOptions};
use crate::compress::Effort;

/// What the scale run measured.
#[derive(Clone, Debug, Serialize)]
pub struct ScaleReport {
    /// Articles generated.
    pub articles: usize,
    /// Bytes of the generated files.
    pub input_bytes: u64,
    /// Bytes of the bundle.
    pub bundle_bytes: u64,
    /// Build time, seconds (default effort).
    pub build_seconds: f64,
    /// Peak resident memory of the build, KiB.
    pub build_peak_rss_kib: u64,
    /// Device costs: (profile, action, instructions in the 10-article bundle, in the big one).
    pub device: Vec<(String, String, u64, u64)>,
}

/// A small deterministic generator (xorshift64*): the same corpus every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn article_text(paragraphs: &[String], rng: &mut Rng) -> String {
    let n = 3 + rng.below(6);
    let mut text = String::new();
    for _ in 0..n {
        text.push_str(&paragraphs[rng.below(paragraphs.len())]);
        text.push('\n');
    }
    text
}

/// Generates `n` articles from the paragraphs of `corpus` and measures.
pub fn run(corpus: &[PathBuf], n: usize) -> Result<ScaleReport> {
    if n < 11 {
        bail!("--scale needs at least 11 articles");
    }
    let opts = BuildOptions::default();
    let paragraphs: Vec<String> = collect(corpus, &opts)?
        .articles
        .into_iter()
        .flat_map(|a| a.paragraphs)
        .filter(|p| p.len() > 40)
        .collect();
    let dir = tempfile::tempdir()?;
    let big = dir.path().join("big");
    let small = dir.path().join("small");
    std::fs::create_dir_all(&small)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut input_bytes = 0u64;
    let mut last_title = String::new();
    for i in 0..n {
        let sub = big.join(format!("{:03}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&sub)?;
        }
        let text = article_text(&paragraphs, &mut rng);
        input_bytes += text.len() as u64;
        let name = format!("a{i:07}.txt");
        if i < 9 {
            std::fs::write(small.join(&name), &text)?;
        }
        if i == n - 1 {
            std::fs::write(small.join(&name), &text)?;
            last_title = crate::text::first_sentence(text.lines().next().unwrap_or(""), 80);
        }
        std::fs::write(sub.join(name), text)?;
    }
    // The big build first: the children's peak memory is a high-water mark.
    let big_fpk = dir.path().join("big.fpk");
    let build_seconds = timed_build(
        std::slice::from_ref(&big),
        &big_fpk,
        OLED_128X64.name,
        Effort::Good.name(),
    )?;
    let build_peak_rss_kib = peak_children_rss_kib();
    let small_fpk = dir.path().join("small.fpk");
    timed_build(
        std::slice::from_ref(&small),
        &small_fpk,
        OLED_128X64.name,
        Effort::Good.name(),
    )?;
    // What a reader would type: the first letters of a title both bundles hold.
    let prefix: String = last_title.chars().take(6).collect();

    let mut device = Vec::new();
    for p in [OLED_128X64, TFT_320X240] {
        for op in ["open-bundle", "open-article", "turn-page", "find-title"] {
            let s = count_instructions(&small_fpk, &p, op, 9, &prefix)?;
            let b = count_instructions(&big_fpk, &p, op, (n - 1) as u32, &prefix)?;
            device.push((p.name.to_string(), op.to_string(), s, b));
        }
    }
    Ok(ScaleReport {
        articles: n,
        input_bytes,
        bundle_bytes: std::fs::metadata(&big_fpk)?.len(),
        build_seconds,
        build_peak_rss_kib,
        device,
    })
}

/// The report as Markdown.
pub fn render(r: &ScaleReport) -> String {
    let mut s = format!(
        "{} generated articles, {:.1} MB of input; bundle {:.1} MB, built in {:.1} s (default `--effort good`), peak memory {:.1} MiB\n\n",
        r.articles,
        r.input_bytes as f64 / 1e6,
        r.bundle_bytes as f64 / 1e6,
        r.build_seconds,
        r.build_peak_rss_kib as f64 / 1024.0
    );
    s.push_str("| profile | action | 10-article bundle | big bundle | ratio |\n| --- | --- | ---: | ---: | ---: |\n");
    for (p, op, small, big) in &r.device {
        s.push_str(&format!(
            "| {p} | {op} | {small} | {big} | {:.2} |\n",
            *big as f64 / (*small).max(1) as f64
        ));
    }
    s
}
