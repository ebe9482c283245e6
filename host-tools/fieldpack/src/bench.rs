//! `fieldpack dev bench`: the bundle against its peers on the same texts, build throughput and
//! memory, and the device's cost in instructions, measured side by side in one run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use fieldpack_format::bundle::INFLATE_SLACK;
use fieldpack_format::layout::MAX_CHUNK_RAW;
use fieldpack_format::layout::{
    GlyphEntry, GlyphMetrics, SectionEntry, SectionKind, StrikeHeader, GLYPH_RECORD_LEN,
};
use fieldpack_format::Inflater;
use fieldpack_reader::{App, Input, NullDisplay, Profile, MONO};
use serde::Serialize;

use crate::build::{collect, BuildOptions};
use crate::compress::Effort;
use crate::report::section_table;

/// Device cost of the reader's actions, in instructions (callgrind).
#[derive(Clone, Debug, Serialize)]
pub struct DeviceCost {
    /// Display profile.
    pub profile: String,
    /// Open and validate the bundle, set up the reader.
    pub open_bundle: u64,
    /// Open an article from the library (lay it out once, count its pages).
    pub open_article: u64,
    /// Draw a page of it.
    pub render_page: u64,
    /// Turn to the next page and draw it.
    pub turn_page: u64,
    /// Find the first title starting with a prefix.
    pub find_title: u64,
}

/// Everything `bench` measures.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Articles packed.
    pub articles: usize,
    /// Bytes of the input files.
    pub input_bytes: u64,
    /// Bytes of the articles' text as kept (UTF-8 bodies): what every peer compresses.
    pub raw: u64,
    /// `gzip -9` of each article, summed.
    pub gzip9_each: u64,
    /// `zstd -19` of each article, summed.
    pub zstd19_each: Option<u64>,
    /// `xz -9e` of all articles in one stream (no random access: a bound).
    pub xz9e_solid: Option<u64>,
    /// Kiwix `zimwriterfs` of the same texts, without full-text index.
    pub zim: Option<u64>,
    /// The whole bundle.
    pub bundle_total: u64,
    /// Article bodies, the dictionary included.
    pub bundle_bodies: u64,
    /// Of which the preset dictionary.
    pub bundle_dictionary: u64,
    /// Info, article, metadata, chunk and title indexes.
    pub bundle_indexes: u64,
    /// Glyph strikes and their shared bitmaps, as stored (compact, for random access).
    pub bundle_glyphs: u64,
    /// The same glyphs stored plainly: a 12-byte record each, rows padded to whole bytes, no
    /// sharing (format version 1's layout): what the compact layout is measured against.
    pub bundle_glyphs_plain: u64,
    /// What deflate would make of the glyph sections (not stored so, as a device needs random
    /// access: a reference figure).
    pub bundle_glyphs_deflated: u64,
    /// Device profile the bundle was made for.
    pub device: String,
    /// One build per `--effort` of the bundle for `device`: time, throughput and size.
    pub builds: Vec<EffortRow>,
    /// Peak resident memory of the builds, KiB.
    pub build_peak_rss_kib: u64,
    /// zimwriterfs on the same texts: seconds.
    pub zim_seconds: Option<f64>,
    /// MB of input per second.
    pub zim_mb_s: Option<f64>,
    /// Reader cost per profile.
    pub device_cost: Vec<DeviceCost>,
    /// The whole corpus as one zopfli deflate stream: what any deflate reader could reach at
    /// best, without random access (a bound, as xz is for solid compression).
    pub deflate_solid: u64,
    /// One bundle per device window: what fitting a smaller device's RAM costs.
    pub by_window: Vec<WindowRow>,
    /// What each technique gives in a 32 KiB window, bodies and indexes in bytes.
    pub techniques: Vec<(String, u64)>,
}

/// One build of the bench's bundle with one `--effort`.
#[derive(Clone, Debug, Serialize)]
pub struct EffortRow {
    /// The `--effort` value.
    pub effort: String,
    /// Wall-clock seconds (both cores).
    pub seconds: f64,
    /// MB of input per second.
    pub mb_s: f64,
    /// The whole bundle, bytes.
    pub bundle_total: u64,
    /// Its bodies and indexes, bytes.
    pub bodies_and_indexes: u64,
}

/// Bodies and indexes of a bundle made for one device window.
#[derive(Clone, Debug, Serialize)]
pub struct WindowRow {
    /// Device profile the bundle was made for.
    pub device: String,
    /// The decode window the device has, bytes.
    pub window_bytes: usize,
    /// Chunk size the build used.
    pub chunk_size: usize,
    /// Dictionary size the build used.
    pub dictionary_size: usize,
    /// Bodies and indexes with the default effort (`good`).
    pub good: u64,
    /// Bodies and indexes with `--effort best`.
    pub best: u64,
}

/// Bytes of the sections of `kinds`.
fn section_bytes(entries: &[SectionEntry], kinds: &[SectionKind]) -> u64 {
    entries
        .iter()
        .filter(|e| kinds.contains(&e.kind))
        .map(|e| u64::from(e.len))
        .sum()
}

/// Bytes of `bundle`'s bodies (dictionary included) and of its indexes.
fn bodies_and_indexes(bundle: &[u8]) -> Result<(u64, u64)> {
    let (_, entries) = section_table(bundle)?;
    Ok((
        section_bytes(&entries, &[SectionKind::Bodies, SectionKind::Dictionary]),
        section_bytes(
            &entries,
            &[
                SectionKind::Info,
                SectionKind::Articles,
                SectionKind::Meta,
                SectionKind::Chunks,
                SectionKind::Titles,
            ],
        ),
    ))
}

/// Bytes of `data` as one raw deflate stream by zopfli.
fn zopfli_size(data: &[u8]) -> Result<u64> {
    use std::io::Write;
    let mut out = Vec::new();
    let mut enc = zopfli::DeflateEncoder::new(
        zopfli::Options::default(),
        zopfli::BlockType::Dynamic,
        &mut out,
    );
    enc.write_all(data)?;
    enc.finish()?;
    Ok(out.len() as u64)
}

fn tool_size(tool: &str, args: &[&str], input: &Path) -> Option<u64> {
    let out = Command::new(tool)
        .args(args)
        .arg(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout.len() as u64)
}

/// Peak resident memory of the largest child process waited for so far, in KiB.
pub fn peak_children_rss_kib() -> u64 {
    // SAFETY: getrusage fills the struct it is given; RUSAGE_CHILDREN covers waited-for children.
    #[allow(unsafe_code)]
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) == 0 {
            u.ru_maxrss as u64
        } else {
            0
        }
    }
}

/// Seconds a `fieldpack build` of `inputs` takes in a child process (whose memory
/// [`peak_children_rss_kib`] then includes).
pub fn timed_build(inputs: &[PathBuf], out: &Path, device: &str, effort: &str) -> Result<f64> {
    timed_build_with(inputs, out, device, effort, &[])
}

/// [`timed_build`] with more `build` options.
fn timed_build_with(
    inputs: &[PathBuf],
    out: &Path,
    device: &str,
    effort: &str,
    options: &[&str],
) -> Result<f64> {
    let exe = std::env::current_exe()?;
    let start = Instant::now();
    let status = Command::new(exe)
        .args(["build", "-q", "--device", device, "--effort", effort])
        .args(options)
        .arg("-o")
        .arg(out)
        .args(inputs)
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("fieldpack build failed");
    }
    Ok(start.elapsed().as_secs_f64())
}

/// A 48x48 grey PNG: zimwriterfs insists on an illustration.
fn illustration(path: &Path) -> Result<()> {
    image::RgbImage::from_pixel(48, 48, image::Rgb([128, 128, 128]))
        .save(path)
        .context("illustration")
}

/// Runs the whole comparison on `inputs`.
pub fn run(inputs: &[PathBuf], device: &Profile, with_device_cost: bool) -> Result<BenchReport> {
    let dir = tempfile::tempdir()?;
    let opts = BuildOptions::default();
    let collected = collect(inputs, &opts)?;
    let (found, _) = crate::ingest::discover(inputs, &crate::ingest::Excludes::default())?;
    let input_bytes: u64 = found
        .iter()
        .map(|i| std::fs::metadata(&i.path).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mb = input_bytes as f64 / 1e6;

    // Builds first: the peak memory of children is a high-water mark over all of them.
    let mut builds = Vec::new();
    for effort in [Effort::Fast, Effort::Good, Effort::Best] {
        let path = dir.path().join(format!("{}.fpk", effort.name()));
        let seconds = timed_build(inputs, &path, device.name, effort.name())?;
        let bytes = std::fs::read(&path)?;
        let (bodies, indexes) = bodies_and_indexes(&bytes)?;
        builds.push(EffortRow {
            effort: effort.name().to_string(),
            seconds,
            mb_s: mb / seconds,
            bundle_total: bytes.len() as u64,
            bodies_and_indexes: bodies + indexes,
        });
    }
    let build_peak_rss_kib = peak_children_rss_kib();
    // The headline bundle is the default one.
    let default_path = dir.path().join(format!("{}.fpk", Effort::Good.name()));
    let bundle = std::fs::read(&default_path)?;

    // The peers compress exactly the texts the bundle keeps.
    let texts = dir.path().join("texts");
    std::fs::create_dir(&texts)?;
    let mut all = Vec::new();
    let (mut raw, mut gzip9_each, mut zstd19_each) = (0u64, 0u64, Some(0u64));
    for (i, a) in collected.articles.iter().enumerate() {
        let body = a.body();
        let p = texts.join(format!("a{i:06}.txt"));
        std::fs::write(&p, &body)?;
        raw += body.len() as u64;
        gzip9_each += tool_size("gzip", &["-9", "-n", "-c"], &p).context("gzip is needed")?;
        zstd19_each =
            zstd19_each.and_then(|z| Some(z + tool_size("zstd", &["-19", "-q", "-c"], &p)?));
        all.extend_from_slice(body.as_bytes());
        all.push(b'\n');
    }
    let solid = dir.path().join("all.txt");
    std::fs::write(&solid, &all)?;
    let xz9e_solid = tool_size("xz", &["-9e", "-c", "-T1"], &solid);
    let deflate_solid = zopfli_size(&all)?;

    let mut by_window = Vec::new();
    for p in [
        fieldpack_reader::profile::OLED_128X64,
        fieldpack_reader::profile::EPAPER_296X128,
        fieldpack_reader::profile::TFT_320X240,
    ] {
        let size = |effort: Effort| -> Result<u64> {
            let path = if p.name == device.name {
                dir.path().join(format!("{}.fpk", effort.name()))
            } else {
                let path = dir.path().join(format!("{}-{}.fpk", p.name, effort.name()));
                timed_build(inputs, &path, p.name, effort.name())?;
                path
            };
            let (bodies, indexes) = bodies_and_indexes(&std::fs::read(&path)?)?;
            Ok(bodies + indexes)
        };
        let (good, best) = (size(Effort::Good)?, size(Effort::Best)?);
        let (chunk_size, dictionary_size) = p.bundle_sizes();
        by_window.push(WindowRow {
            device: p.name.to_string(),
            window_bytes: p.window_bytes,
            chunk_size,
            dictionary_size,
            good,
            best,
        });
    }

    let (mut zim, mut zim_seconds) = (None, None);
    if Command::new("zimwriterfs")
        .arg("--version")
        .output()
        .is_ok()
    {
        std::fs::write(
            texts.join("index.html"),
            "<html><head><title>Fieldpack bench</title></head><body></body></html>",
        )?;
        illustration(&texts.join("illustration.png"))?;
        let out = dir.path().join("bench.zim");
        let start = Instant::now();
        let ok = Command::new("zimwriterfs")
            .args([
                "-w",
                "index.html",
                "-I",
                "illustration.png",
                "-l",
                "eng",
                "-t",
                "bench",
                "-d",
                "bench",
                "-c",
                "bench",
                "-p",
                "bench",
                "-j",
                "-J",
                "2",
            ])
            .arg(&texts)
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?
            .success();
        if ok {
            zim_seconds = Some(start.elapsed().as_secs_f64());
            zim = Some(std::fs::metadata(&out)?.len());
        }
    }

    let (_, entries) = section_table(&bundle)?;
    let (bundle_bodies, bundle_indexes) = bodies_and_indexes(&bundle)?;
    let glyph_bytes: Vec<u8> = entries
        .iter()
        .filter(|e| matches!(e.kind, SectionKind::Glyphs | SectionKind::GlyphBitmaps))
        .flat_map(|e| bundle[e.offset as usize..(e.offset + e.len) as usize].to_vec())
        .collect();
    let glyphs_plain = plain_glyph_bytes(&bundle, &entries);
    // What each technique gives, in the 320x240 profile's 32 KiB window: without a dictionary
    // the whole window goes to the chunk.
    let big = fieldpack_reader::profile::TFT_320X240;
    let whole_window = MAX_CHUNK_RAW.min(big.window_bytes - INFLATE_SLACK);
    let mut techniques = Vec::new();
    for (what, effort) in [
        (
            "lazy matching (miniz_oxide level 10), no dictionary",
            Effort::Fast,
        ),
        ("+ near-optimal parsing (libdeflate level 12)", Effort::Good),
        ("+ zopfli's parsing and block splitting", Effort::Best),
    ] {
        let path = dir
            .path()
            .join(format!("whole-window-{}.fpk", effort.name()));
        timed_build_with(
            inputs,
            &path,
            big.name,
            effort.name(),
            &[
                "--dictionary-size",
                "0",
                "--chunk-size",
                &whole_window.to_string(),
            ],
        )?;
        let (bodies, indexes) = bodies_and_indexes(&std::fs::read(&path)?)?;
        techniques.push((
            format!("{what}, {} KiB chunks", whole_window / 1024),
            bodies + indexes,
        ));
    }
    if let Some(w) = by_window.iter().find(|w| w.device == big.name) {
        techniques.push((
            format!(
                "+ a {} KiB dictionary trained from the articles, {} KiB chunks (`--effort best`)",
                w.dictionary_size / 1024,
                w.chunk_size / 1024
            ),
            w.best,
        ));
    }
    let device_cost = if with_device_cost {
        [
            fieldpack_reader::profile::OLED_128X64,
            fieldpack_reader::profile::TFT_320X240,
        ]
        .iter()
        .map(|p| device_cost(&default_path, p))
        .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    Ok(BenchReport {
        articles: collected.articles.len(),
        input_bytes,
        raw,
        gzip9_each,
        zstd19_each,
        xz9e_solid,
        zim,
        bundle_total: bundle.len() as u64,
        bundle_bodies,
        bundle_dictionary: section_bytes(&entries, &[SectionKind::Dictionary]),
        bundle_indexes,
        bundle_glyphs: glyph_bytes.len() as u64,
        bundle_glyphs_plain: glyphs_plain,
        bundle_glyphs_deflated: miniz_oxide::deflate::compress_to_vec(&glyph_bytes, 10).len()
            as u64,
        device: device.name.to_string(),
        builds,
        build_peak_rss_kib,
        zim_seconds,
        zim_mb_s: zim_seconds.map(|s| mb / s),
        device_cost,
        deflate_solid,
        by_window,
        techniques,
    })
}

/// The function callgrind counts instructions in (`--toggle-collect`).
// An unmangled name, so that callgrind can be told it; nothing else defines it.
#[allow(unsafe_code)]
#[no_mangle]
#[inline(never)]
pub fn fieldpack_measured(f: &mut dyn FnMut()) {
    f()
}

/// The reader actions `device-op` measures.
pub const OPS: [&str; 8] = [
    "open-bundle",
    "open-article",
    "render-page",
    "turn-page",
    "jump-half",
    "find-title",
    "find-open",
    "find-type",
];

/// Runs one reader action on `bundle`, the measured part inside [`fieldpack_measured`].
pub fn device_op(
    bundle: &[u8],
    profile: Profile,
    op: &str,
    article: u32,
    prefix: &str,
) -> Result<()> {
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; profile.window_bytes];
    let mut display = NullDisplay::new(profile.width, profile.height);
    if op == "open-bundle" {
        fieldpack_measured(&mut || {
            let mut app = App::new(bundle, profile, &mut inflater, &mut window);
            std::hint::black_box(app.typesetter().is_some());
        });
        return Ok(());
    }
    if op == "find-title" {
        let mut b = fieldpack_format::Bundle::open(bundle)?;
        let mut buf = [0u8; fieldpack_format::layout::MAX_META_LEN];
        let mut found = Ok(0);
        fieldpack_measured(&mut || found = b.find_title(prefix, &mut buf));
        found?;
        return Ok(());
    }
    let mut app = App::new(bundle, profile, &mut inflater, &mut window);
    if op == "find-open" {
        // Opening the search: every title's range and the characters they start with.
        fieldpack_measured(&mut || app.handle(Input::Hold));
        return Ok(());
    }
    if op == "find-type" {
        // One character typed: the likeliest (the left box, split until it holds one).
        app.handle(Input::Hold);
        let offers = app.search().is_some_and(|s| s.offers_shown());
        anyhow::ensure!(offers, "every title fits the list: nothing to type");
        for _ in 0..16 {
            let one = app
                .search()
                .is_some_and(|s| s.boxes()[0].1.saturating_sub(s.boxes()[0].0) <= 1);
            if one {
                break;
            }
            app.handle(Input::Up);
        }
        fieldpack_measured(&mut || app.handle(Input::Up));
        return Ok(());
    }
    app.select_article(article);
    match op {
        "open-article" => fieldpack_measured(&mut || app.handle(Input::Select)),
        "render-page" => {
            app.handle(Input::Select);
            fieldpack_measured(&mut || {
                let _ = app.draw(&mut display, &MONO);
            });
        }
        "turn-page" => {
            app.handle(Input::Select);
            let _ = app.draw(&mut display, &MONO);
            fieldpack_measured(&mut || {
                app.handle(Input::Down);
                let _ = app.draw(&mut display, &MONO);
            });
        }
        "jump-half" => {
            app.handle(Input::Select);
            fieldpack_measured(&mut || app.jump_to_percent(50));
        }
        other => bail!("unknown device operation {other}"),
    }
    Ok(())
}

/// Instructions of one reader action, counted by callgrind in a child process.
pub fn count_instructions(
    bundle: &Path,
    profile: &Profile,
    op: &str,
    article: u32,
    prefix: &str,
) -> Result<u64> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("callgrind.out");
    let exe = std::env::current_exe()?;
    let status = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=fieldpack_measured",
        ])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .args([
            "dev",
            "device-op",
            op,
            "--device",
            profile.name,
            "--article",
            &article.to_string(),
        ])
        // One word, so that a prefix starting with '-' is not taken for an option.
        .arg(format!("--prefix={prefix}"))
        .arg(bundle)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("valgrind is needed for device costs (apt-get install valgrind)")?;
    if !status.status.success() {
        let err = String::from_utf8_lossy(&status.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.starts_with("=="))
            .unwrap_or("");
        bail!("callgrind run of {op} failed: {last}");
    }
    let text = std::fs::read_to_string(&out)?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .context("no instruction count in callgrind's output")
}

/// Bytes the bundle's glyphs would take stored plainly: per strike a 16-byte header, per glyph
/// a 12-byte record and its own bitmap in rows of whole bytes.
fn plain_glyph_bytes(bundle: &[u8], entries: &[SectionEntry]) -> u64 {
    use fieldpack_format::layout::{GLYPH_METRICS_LEN, STRIKE_HEADER_LEN};
    let mut total = 0u64;
    for e in entries.iter().filter(|e| e.kind == SectionKind::Glyphs) {
        let sec = &bundle[e.offset as usize..(e.offset + e.len) as usize];
        let Some(h) = sec
            .get(..STRIKE_HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .map(StrikeHeader::decode)
        else {
            continue;
        };
        total += STRIKE_HEADER_LEN as u64;
        let records = &sec[h.records_offset() as usize..];
        for rec in records.chunks_exact(GLYPH_RECORD_LEN) {
            let entry = GlyphEntry::decode(rec.try_into().expect("8 bytes"));
            let at = StrikeHeader::metrics_offset(entry.metrics) as usize;
            let Some(m) = sec
                .get(at..at + GLYPH_METRICS_LEN)
                .and_then(|m| m.try_into().ok())
                .map(GlyphMetrics::decode)
            else {
                continue;
            };
            total += 12 + u64::from(m.width).div_ceil(8) * u64::from(m.height);
        }
    }
    total
}

/// All reader actions for one profile; the article measured is the middle one.
pub fn device_cost(bundle: &Path, profile: &Profile) -> Result<DeviceCost> {
    let bytes = std::fs::read(bundle)?;
    let b = fieldpack_format::Bundle::open(&bytes[..])?;
    let article = b.article_count() / 2;
    let c = |op: &str| count_instructions(bundle, profile, op, article, "The");
    Ok(DeviceCost {
        profile: profile.name.to_string(),
        open_bundle: c("open-bundle")?,
        open_article: c("open-article")?,
        render_page: c("render-page")?,
        turn_page: c("turn-page")?,
        find_title: c("find-title")?,
    })
}

fn pct(part: u64, whole: u64) -> String {
    format!("{:.1}%", part as f64 * 100.0 / whole.max(1) as f64)
}

/// The report as a Markdown table.
pub fn render(r: &BenchReport) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{} articles, {} bytes of input files, {} bytes of article text\n\n",
        r.articles, r.input_bytes, r.raw
    ));
    s.push_str("| what | bytes | of raw text |\n| --- | ---: | ---: |\n");
    let row = |s: &mut String, name: &str, v: Option<u64>| match v {
        Some(v) => s.push_str(&format!("| {name} | {v} | {} |\n", pct(v, r.raw))),
        None => s.push_str(&format!("| {name} | (tool not installed) | |\n")),
    };
    row(&mut s, "raw article text", Some(r.raw));
    row(&mut s, "gzip -9, each article", Some(r.gzip9_each));
    row(&mut s, "zstd -19, each article", r.zstd19_each);
    row(
        &mut s,
        "xz -9e, all articles in one stream (no random access)",
        r.xz9e_solid,
    );
    row(
        &mut s,
        "deflate (zopfli), all articles in one stream (no random access: the bound for any deflate reader)",
        Some(r.deflate_solid),
    );
    row(&mut s, "Kiwix ZIM (zimwriterfs, no full-text index)", r.zim);
    row(
        &mut s,
        &format!("**Fieldpack bundle** (for {}), total", r.device),
        Some(r.bundle_total),
    );
    row(
        &mut s,
        "&nbsp;&nbsp;article bodies (dictionary included)",
        Some(r.bundle_bodies),
    );
    row(
        &mut s,
        "&nbsp;&nbsp;of which the preset dictionary",
        Some(r.bundle_dictionary),
    );
    row(
        &mut s,
        "&nbsp;&nbsp;indexes (info, articles, metadata, chunks, titles)",
        Some(r.bundle_indexes),
    );
    row(
        &mut s,
        "&nbsp;&nbsp;**bodies + indexes**",
        Some(r.bundle_bodies + r.bundle_indexes),
    );
    row(
        &mut s,
        "&nbsp;&nbsp;glyphs (compact: shared bit-packed bitmaps, metrics table)",
        Some(r.bundle_glyphs),
    );
    row(
        &mut s,
        "&nbsp;&nbsp;glyphs stored plainly (12-byte records, byte rows; reference)",
        Some(r.bundle_glyphs_plain),
    );
    row(
        &mut s,
        "&nbsp;&nbsp;glyphs if deflated whole (no random access; reference)",
        Some(r.bundle_glyphs_deflated),
    );
    s.push_str("\n| bundle made for | window | chunk + dictionary | bodies + indexes | against zstd -19 each | against ZIM | with `--effort best` | against zstd -19 each | against ZIM |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    let against = |v: u64, peer: Option<u64>| match peer {
        Some(p) if p > 0 => format!("{:+.1}%", (v as f64 / p as f64 - 1.0) * 100.0),
        _ => "-".to_string(),
    };
    for w in &r.by_window {
        s.push_str(&format!(
            "| {} | {} KiB | {} + {} KiB | {} | {} | {} | {} | {} | {} |\n",
            w.device,
            w.window_bytes / 1024,
            w.chunk_size / 1024,
            w.dictionary_size / 1024,
            w.good,
            against(w.good, r.zstd19_each),
            against(w.good, r.zim),
            w.best,
            against(w.best, r.zstd19_each),
            against(w.best, r.zim),
        ));
    }
    if let Some((_, first)) = r.techniques.first() {
        s.push_str("\n| each technique, in a 32 KiB window (320x240) | bodies + indexes | against the first |\n| --- | ---: | ---: |\n");
        for (what, v) in &r.techniques {
            s.push_str(&format!(
                "| {what} | {v} | {} |\n",
                against(*v, Some(*first))
            ));
        }
    }
    s.push_str(&format!(
        "\n| build (for {}) | seconds | MB of input / s | bundle | bodies + indexes |\n| --- | ---: | ---: | ---: | ---: |\n",
        r.device
    ));
    for b in &r.builds {
        let default = if b.effort == Effort::Good.name() {
            " (default)"
        } else {
            ""
        };
        s.push_str(&format!(
            "| fieldpack, `--effort {}`{default} | {:.2} | {:.2} | {} | {} |\n",
            b.effort, b.seconds, b.mb_s, b.bundle_total, b.bodies_and_indexes
        ));
    }
    if let (Some(t), Some(m)) = (r.zim_seconds, r.zim_mb_s) {
        let size = r.zim.map_or(String::new(), |z| z.to_string());
        s.push_str(&format!(
            "| zimwriterfs, 2 threads | {t:.2} | {m:.2} | {size} | |\n"
        ));
    }
    s.push_str(&format!(
        "\nPeak memory of the builds: {:.1} MiB\n",
        r.build_peak_rss_kib as f64 / 1024.0
    ));
    if !r.device_cost.is_empty() {
        s.push_str("\n| device cost, instructions (callgrind) | open bundle | open article | render page | turn page | find title |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for d in &r.device_cost {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                d.profile, d.open_bundle, d.open_article, d.render_page, d.turn_page, d.find_title
            ));
        }
    }
    s
}
