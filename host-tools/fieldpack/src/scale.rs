//! `fieldpack dev bench --scale N`: a generated corpus of N articles (distinct titles of a few words
//! taken from the real texts, the texts' paragraphs shuffled beneath), its build's memory and
//! time, the device's cost at the end of the big bundle against the same article in a
//! 10-article bundle, the presses that finding an article by title takes against scrolling to
//! it, and the cost of opening, turning and jumping in articles of 1 KB, 100 KB and 2 MiB.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use fieldpack_reader::profile::{OLED_128X64, TFT_320X240};
use fieldpack_reader::{Profile, Trust};
use serde::Serialize;

use crate::bench::{count_instructions, peak_children_rss_kib, timed_build};
use crate::build::{collect, BuildOptions};
use crate::compress::Effort;
use crate::sim::{expand_script, Step};

/// Titles whose search presses are counted: spread evenly over the bundle.
const PRESS_SAMPLE: usize = 1000;

/// What the scale run measured.
#[derive(Clone, Debug, Serialize)]
pub struct ScaleReport {
    /// Articles generated.
    pub articles: usize,
    /// Bytes of the generated files.
    pub input_bytes: u64,
    /// Bytes of the bundle.
    pub bundle_bytes: u64,
    /// Bytes of its Offers section.
    pub offers_bytes: u64,
    /// Build time, seconds (default effort).
    pub build_seconds: f64,
    /// Peak resident memory of the build, KiB.
    pub build_peak_rss_kib: u64,
    /// Device costs: (profile, action, instructions in the 10-article bundle, in the big one).
    pub device: Vec<(String, String, u64, u64)>,
    /// Presses to reach an article, per profile.
    pub presses: Vec<Presses>,
    /// Device costs by article length: (profile, action, [1 KB, 100 KB, 2 MiB]).
    pub lengths: Vec<(String, String, [u64; 3])>,
}

/// Presses to reach an article from the library, over a sample of titles.
#[derive(Clone, Debug, Serialize)]
pub struct Presses {
    /// Display profile.
    pub profile: String,
    /// Titles sampled (those with a prefix no other title shares).
    pub titles: usize,
    /// Title search: mean and worst presses (entering the search included, opening not).
    pub search_mean: f64,
    /// Half the titles take at most this many presses.
    pub search_median: usize,
    /// Nine titles in ten take at most this many.
    pub search_p90: usize,
    /// Worst case.
    pub search_worst: usize,
    /// Scrolling the library one entry a press (both ways round): mean and worst.
    pub scroll_mean: f64,
    /// Worst case.
    pub scroll_worst: usize,
    /// Scrolling with a screenful a long press: mean and worst.
    pub page_mean: f64,
    /// Worst case.
    pub page_worst: usize,
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

/// A title of 3 to 7 words running on from a random place in the texts, as a headline reads:
/// distinct from every title made before.
fn title(words: &[&str], rng: &mut Rng, seen: &mut HashSet<String>) -> String {
    loop {
        let n = 3 + rng.below(5);
        let at = rng.below(words.len().saturating_sub(n).max(1));
        let mut t = words[at..(at + n).min(words.len())]
            .iter()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(first) = t.chars().next() {
            let upper: String = first.to_uppercase().collect();
            t.replace_range(..first.len_utf8(), &upper);
        }
        if t.chars().count() >= 8
            && seen.insert(fieldpack_format::fold::fold_str(&t).collect::<String>())
        {
            return t;
        }
    }
}

fn article_text(title: &str, paragraphs: &[String], rng: &mut Rng) -> String {
    let n = 3 + rng.below(6);
    let mut text = format!("{title}\n\n");
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
    let words: Vec<&str> = paragraphs
        .iter()
        .flat_map(|p| p.split_whitespace())
        .collect();
    let dir = tempfile::tempdir()?;
    let big = dir.path().join("big");
    let small = dir.path().join("small");
    std::fs::create_dir_all(&small)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut seen = HashSet::new();
    let mut input_bytes = 0u64;
    let mut last_title = String::new();
    for i in 0..n {
        let sub = big.join(format!("{:03}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&sub)?;
        }
        let t = title(&words, &mut rng, &mut seen);
        let text = article_text(&t, &paragraphs, &mut rng);
        input_bytes += text.len() as u64;
        let name = format!("a{i:07}.txt");
        if i < 9 {
            std::fs::write(small.join(&name), &text)?;
        }
        if i == n - 1 {
            std::fs::write(small.join(&name), &text)?;
            last_title = t;
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
        for op in [
            "open-bundle",
            "open-article",
            "turn-page",
            "find-title",
            "find-open",
            "find-type",
        ] {
            // Ten titles may all fit the search list: then nothing is typed (0).
            let s = count_instructions(&small_fpk, &p, op, 9, &prefix).or_else(|e| {
                if op == "find-type" {
                    Ok(0)
                } else {
                    Err(e)
                }
            })?;
            let b = count_instructions(&big_fpk, &p, op, (n - 1) as u32, &prefix)?;
            device.push((p.name.to_string(), op.to_string(), s, b));
        }
    }
    let big_bytes = std::fs::read(&big_fpk)?;
    let presses = [OLED_128X64, TFT_320X240]
        .iter()
        .map(|p| presses(&big_bytes, *p))
        .collect::<Result<Vec<_>>>()?;
    let lengths = lengths(&paragraphs, dir.path())?;
    let offers_bytes = {
        let b = fieldpack_format::Bundle::open(&big_bytes[..])?;
        b.sections()
            .iter()
            .find(|(k, _)| *k == fieldpack_format::SectionKind::Offers)
            .map_or(0, |(_, s)| u64::from(s.len))
    };
    Ok(ScaleReport {
        articles: n,
        input_bytes,
        bundle_bytes: big_bytes.len() as u64,
        offers_bytes,
        build_seconds,
        build_peak_rss_kib,
        device,
        presses,
        lengths,
    })
}

/// The presses that reach a sample of the bundle's articles: by title search (the simulator's
/// `find:` with the shortest prefix no other title shares), and by scrolling the library.
fn presses(bundle: &[u8], profile: Profile) -> Result<Presses> {
    let mut b = fieldpack_format::Bundle::open(bundle)?;
    let n = b.article_count() as usize;
    let mut buf = [0u8; fieldpack_format::layout::MAX_META_LEN];
    let mut titles = Vec::with_capacity(n);
    for i in 0..n as u32 {
        let rec = b.article(i)?;
        titles.push(b.meta(&rec, &mut buf)?.title.to_string());
    }
    // Shortest unique prefixes from the folded titles' neighbours in sorted order.
    let mut sorted: Vec<(Vec<char>, usize)> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| (fieldpack_format::fold::fold_str(t).collect(), i))
        .collect();
    sorted.sort();
    let common = |a: &[char], b: &[char]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let mut unique = vec![None; n];
    for (k, (f, i)) in sorted.iter().enumerate() {
        let before = k.checked_sub(1).map_or(0, |j| common(f, &sorted[j].0));
        let after = sorted.get(k + 1).map_or(0, |s| common(f, &s.0));
        let need = before.max(after) + 1;
        if need <= f.len() {
            // The title's own characters, as many as fold to the prefix needed (marks that fold
            // away make the two counts differ).
            let mut prefix = String::new();
            let mut folded = 0;
            for c in titles[*i].chars() {
                if folded >= need {
                    break;
                }
                prefix.push(c);
                folded += fieldpack_format::fold::fold(c).count();
            }
            unique[*i] = Some(prefix);
        }
    }
    let rows = {
        let mut inflater = Box::new(fieldpack_format::Inflater::new());
        let mut window = vec![0u8; profile.window_bytes];
        fieldpack_reader::App::new(bundle, profile, &mut inflater, &mut window).library_rows()
            as usize
    };
    let mut search = Vec::new();
    let mut scroll = Vec::new();
    let mut paged = Vec::new();
    let step = (n / PRESS_SAMPLE).max(1);
    for i in (0..n).step_by(step) {
        let Some(prefix) = &unique[i] else { continue };
        let steps = [Step::Find(prefix.clone())];
        let (_, finds) = expand_script(bundle, profile, Trust::default(), None, &steps)
            .with_context(|| format!("find:{prefix}"))?;
        anyhow::ensure!(
            finds[0].title == titles[i],
            "find:{prefix} reached another title"
        );
        search.push(finds[0].presses);
        // The library's row i, from row 0: down, or up round the end.
        scroll.push(i.min(n - i));
        let forward = i / rows + i % rows;
        let back = n - 1 - i;
        let backward = 1 + back / rows + back % rows;
        paged.push(if i == 0 { 0 } else { forward.min(backward) });
    }
    let mean = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len().max(1) as f64;
    let mut sorted = search.clone();
    sorted.sort_unstable();
    let at = |q: usize| sorted.get(sorted.len() * q / 100).copied().unwrap_or(0);
    let worst = |v: &[usize]| v.iter().max().copied().unwrap_or(0);
    Ok(Presses {
        profile: profile.name.to_string(),
        titles: search.len(),
        search_mean: mean(&search),
        search_median: at(50),
        search_p90: at(90),
        search_worst: worst(&search),
        scroll_mean: mean(&scroll),
        scroll_worst: worst(&scroll),
        page_mean: mean(&paged),
        page_worst: worst(&paged),
    })
}

/// Device costs for articles of 1 KB, 100 KB and 2 MiB of text, packed in one bundle.
fn lengths(
    paragraphs: &[String],
    dir: &std::path::Path,
) -> Result<Vec<(String, String, [u64; 3])>> {
    let src = dir.join("lengths");
    std::fs::create_dir_all(&src)?;
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for (i, size) in [1_000usize, 100_000, 2 << 20].into_iter().enumerate() {
        let mut text = format!("An article of {size} bytes\n\n");
        while text.len() < size {
            text.push_str(&paragraphs[rng.below(paragraphs.len())]);
            text.push('\n');
        }
        // Cut at a character boundary, then at the last paragraph that fits.
        let mut end = size.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        if let Some(nl) = text.rfind('\n') {
            text.truncate(nl + 1);
        }
        std::fs::write(src.join(format!("{i}.txt")), text)?;
    }
    let fpk = dir.join("lengths.fpk");
    timed_build(
        std::slice::from_ref(&src),
        &fpk,
        OLED_128X64.name,
        Effort::Good.name(),
    )?;
    let mut out = Vec::new();
    for p in [OLED_128X64, TFT_320X240] {
        for op in ["open-article", "turn-page", "jump-half"] {
            let mut row = [0u64; 3];
            for (a, slot) in row.iter_mut().enumerate() {
                *slot = count_instructions(&fpk, &p, op, a as u32, "")?;
            }
            out.push((p.name.to_string(), op.to_string(), row));
        }
    }
    Ok(out)
}

/// The report as Markdown.
pub fn render(r: &ScaleReport) -> String {
    let mut s = format!(
        "{} generated articles, {:.1} MB of input; bundle {:.1} MB (title offers {} bytes), built in {:.1} s (default `--effort good`), peak memory {:.1} MiB\n\n",
        r.articles,
        r.input_bytes as f64 / 1e6,
        r.bundle_bytes as f64 / 1e6,
        r.offers_bytes,
        r.build_seconds,
        r.build_peak_rss_kib as f64 / 1024.0
    );
    s.push_str("| profile | action | 10-article bundle | big bundle | ratio |\n| --- | --- | ---: | ---: | ---: |\n");
    for (p, op, small, big) in &r.device {
        if *small == 0 {
            s.push_str(&format!("| {p} | {op} | (all titles listed) | {big} | |\n"));
            continue;
        }
        s.push_str(&format!(
            "| {p} | {op} | {small} | {big} | {:.2} |\n",
            *big as f64 / (*small).max(1) as f64
        ));
    }
    s.push_str("\nPresses to reach an article (a sample of titles spread over the bundle):\n\n");
    s.push_str("| profile | titles | title search: mean | median | 90% | worst | scrolling: mean | worst | a screenful a long press: mean | worst |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for p in &r.presses {
        s.push_str(&format!(
            "| {} | {} | {:.1} | {} | {} | {} | {:.0} | {} | {:.0} | {} |\n",
            p.profile,
            p.titles,
            p.search_mean,
            p.search_median,
            p.search_p90,
            p.search_worst,
            p.scroll_mean,
            p.scroll_worst,
            p.page_mean,
            p.page_worst
        ));
    }
    s.push_str("\nDevice instructions by article length:\n\n| profile | action | 1 KB | 100 KB | 2 MiB |\n| --- | --- | ---: | ---: | ---: |\n");
    for (p, op, v) in &r.lengths {
        s.push_str(&format!(
            "| {p} | {op} | {} | {} | {} |\n",
            v[0], v[1], v[2]
        ));
    }
    s
}
