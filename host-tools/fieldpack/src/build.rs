//! `fieldpack build`: from files and folders to one bundle, written atomically.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::compress::{train_dictionary, ChunkCompressor};
use crate::ingest::{self, Article, Outcome, Utf8Policy};
use crate::pack::{assemble, hash128, pack_article, PackOptions, Packed, PackedArticle};
use crate::rules::Rules;
use crate::select::Selection;
use crate::zim::ZimArchive;

/// Everything `build` needs besides the inputs.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Bundle settings.
    pub pack: PackOptions,
    /// Cleaning rules.
    pub rules: Rules,
    /// What to do with invalid UTF-8.
    pub utf8: Utf8Policy,
    /// Show a progress bar (only ever on a terminal).
    pub progress: bool,
    /// The file the bundle will be written to: refused if it is one of the inputs.
    pub output: Option<PathBuf>,
    /// Name a text without a headline whose first sentence names nothing (a salutation, a
    /// dateline, a word or two) after its file, when the name reads as words
    /// ("cholera-treatment.txt").
    pub file_titles: bool,
    /// Glob patterns of files and folders to leave out (`ingest::Excludes`).
    pub exclude: Vec<String>,
    /// One article per chapter of an EPUB book (else one per book).
    pub epub_chapters: bool,
    /// Glob patterns of titles or paths to keep (`Selection`); none: every article.
    pub select: Vec<String>,
    /// Titles to keep, besides `select` (a file of titles, one a line).
    pub select_titles: Vec<String>,
    /// At most this many articles (an archive's most linked first).
    pub limit: Option<usize>,
    /// The bundle at most this many bytes: articles are added while they fit.
    pub max_size: Option<u64>,
}

impl Default for BuildOptions {
    /// The built-in rules, strict UTF-8, default bundle settings, no progress bar.
    fn default() -> Self {
        BuildOptions {
            pack: PackOptions::default(),
            rules: Rules::builtin(),
            utf8: Utf8Policy::Strict,
            progress: false,
            output: None,
            file_titles: true,
            exclude: Vec::new(),
            epub_chapters: false,
            select: Vec::new(),
            select_titles: Vec::new(),
            limit: None,
            max_size: None,
        }
    }
}

/// Puts articles in bundle order and keeps each body once: the stored origins' order (so an
/// extracted bundle rebuilds identically), whatever the order on disk or on the command line.
/// Each item is (article, body hash, file name); duplicates are reported in `warnings`.
fn in_bundle_order<T>(
    mut items: Vec<(T, u128, String)>,
    origin: impl Fn(&T) -> &str,
    warnings: &mut Vec<String>,
) -> Vec<T> {
    items.sort_by(|a, b| {
        origin(&a.0)
            .cmp(origin(&b.0))
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    let mut seen: HashMap<u128, String> = HashMap::new();
    let mut kept = Vec::with_capacity(items.len());
    for (item, hash, name) in items {
        match seen.get(&hash) {
            Some(first) => warnings.push(format!("{name}: duplicate of {first}: kept once")),
            None => {
                seen.insert(hash, name);
                kept.push(item);
            }
        }
    }
    kept
}

/// What collecting the inputs found, besides the articles.
#[derive(Debug, Default)]
pub struct Collected {
    /// The articles, in bundle order, without duplicates.
    pub articles: Vec<Article>,
    /// Warnings for the user, each naming its file.
    pub warnings: Vec<String>,
}

/// Reads one input file: its articles (none when it is skipped; a book's chapters with
/// `--epub-chapters`) and warnings naming the file. Unreadable text is an error; binary, empty
/// and boilerplate-only files are skipped.
fn read_input(input: &ingest::Input, opts: &BuildOptions) -> (Result<Vec<Article>>, Vec<String>) {
    let name = crate::input::path_text(&input.path);
    let outcomes = match ingest::read_all(input, &opts.rules, opts.utf8, opts.epub_chapters) {
        Ok(o) => o,
        Err(e) if e.to_string().starts_with("binary file") => {
            return (Ok(Vec::new()), vec![format!("{name}: skipped: {e}")]);
        }
        Err(e) => {
            return (
                Err(e.context(format!("cannot read article {name}"))),
                Vec::new(),
            )
        }
    };
    let mut articles = Vec::new();
    let mut warnings = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Article(mut a, w) => {
                // A first sentence that names nothing (a salutation, a dateline, a word or
                // two) gives way to a file name that reads as words.
                if opts.file_titles && a.named_by_text && crate::text::is_weak_title(&a.title) {
                    if let Some(t) = crate::text::title_from_file_name(&input.origin) {
                        a.title = t;
                        a.named_by_text = false;
                    }
                }
                warnings.extend(w.into_iter().map(|w| format!("{name}: {w}")));
                articles.push(a);
            }
            Outcome::Skipped(why) => warnings.push(format!("{name}: skipped: {why}")),
        }
    }
    (Ok(articles), warnings)
}

fn skipped_warnings(skipped: &[ingest::Skipped]) -> Vec<String> {
    skipped
        .iter()
        .map(|(p, why)| format!("{}: skipped: {why}", crate::input::path_text(p)))
        .collect()
}

/// Splits a build's warnings into the files left out because they are not articles (named
/// one by one only when asked: a saved web page brings many) and the rest.
pub fn split_left_out(warnings: Vec<String>) -> (Vec<String>, Vec<String>) {
    let tail = format!(": skipped: {}", ingest::NOT_ARTICLE);
    let (left_out, rest): (Vec<String>, Vec<String>) =
        warnings.into_iter().partition(|w| w.ends_with(&tail));
    let names = left_out
        .into_iter()
        .map(|w| w[..w.len() - tail.len()].to_string())
        .collect();
    (names, rest)
}

/// What `build --json` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// The bundle written (`-`: standard output).
    pub output: String,
    /// Articles packed.
    pub articles: usize,
    /// Bytes of article text.
    pub text_bytes: u64,
    /// Bytes of the bundle.
    pub bundle_bytes: u64,
    /// `bundle_bytes / text_bytes`, to 4 decimals.
    pub ratio: f64,
    /// Input files left out because they are not articles.
    pub left_out: Vec<String>,
    /// Every other warning, each naming its file.
    pub warnings: Vec<String>,
}

/// Where one article (or a file of articles) of a build comes from.
#[derive(Clone, Copy, Debug)]
enum Unit {
    /// An input file (`found[i]`).
    File(usize),
    /// Article `article` of archive `archive`.
    Zim { archive: usize, article: usize },
}

/// A build's inputs: the files found and the archives opened, and every unit to read, in the
/// order they are taken (files first, then each archive's articles: by links to them when a
/// limit or a size is set, else by path).
struct Plan {
    found: Vec<ingest::Input>,
    archives: Vec<ZimArchive>,
    units: Vec<Unit>,
    warnings: Vec<String>,
}

/// A progress bar on standard error for `len` items of `noun` when asked for and worth it
/// (50 or more), else a hidden one.
fn progress_bar(shown: bool, len: usize, message: &'static str, noun: &str) -> ProgressBar {
    if !shown || len < 50 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{msg}} [{{bar:30}}] {{pos}}/{{len}} {noun} ({{eta}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Redirects that lead nowhere are named one by one up to this many an archive.
const DANGLING_NAMED: usize = 5;

impl Plan {
    fn new(inputs: &[PathBuf], opts: &BuildOptions, ranked: bool) -> Result<Plan> {
        let (found, skipped) = ingest::discover(inputs, &ingest::Excludes::new(&opts.exclude)?)?;
        if let Some(out) = &opts.output {
            if let Some(i) = found.iter().find(|i| crate::input::same_file(&i.path, out)) {
                bail!(
                    "the output {} is also an input ({}): refusing to overwrite it",
                    crate::input::path_text(out),
                    crate::input::path_text(&i.path)
                );
            }
        }
        let mut warnings = skipped_warnings(&skipped);
        let selection = Selection::new(&opts.select, &opts.select_titles)?;
        let mut units = Vec::new();
        let mut archives = Vec::new();
        for (i, input) in found.iter().enumerate() {
            if input.kind != ingest::Kind::Zim {
                units.push(Unit::File(i));
                continue;
            }
            let name = crate::input::path_text(&input.path);
            let archive = ZimArchive::open(&input.path, &input.origin)
                .with_context(|| format!("cannot read archive {name}"))?;
            let n = archive.dangling.len();
            for d in archive.dangling.iter().take(DANGLING_NAMED) {
                warnings.push(format!("{name}: {d}"));
            }
            if n > DANGLING_NAMED {
                warnings.push(format!(
                    "{name}: {} more entries left out (redirects that lead to no article, unreadable entries)",
                    n - DANGLING_NAMED
                ));
            }
            let mut chosen: Vec<usize> = (0..archive.articles.len())
                .filter(|&j| {
                    let a = &archive.articles[j];
                    selection.keeps(&a.title, &a.aliases, &a.path)
                })
                .collect();
            if ranked && chosen.len() > 1 {
                // The articles most linked to first: those the archive's own pages lead a
                // reader to most often (a title order would keep "A..." and drop "Z...").
                // Links come from every page of the archive, chosen or not.
                let bar = progress_bar(
                    opts.progress,
                    archive.articles.len(),
                    "ranking by links",
                    "articles",
                );
                let links = archive.inbound_links(&|n| bar.inc(n));
                bar.finish_and_clear();
                chosen.sort_by(|&x, &y| links[y].cmp(&links[x]).then(x.cmp(&y)));
            }
            let a = archives.len();
            units.extend(chosen.into_iter().map(|article| Unit::Zim {
                archive: a,
                article,
            }));
            archives.push(archive);
        }
        Ok(Plan {
            found,
            archives,
            units,
            warnings,
        })
    }

    /// The bytes of text a unit roughly holds, to sample the dictionary's training text.
    fn size_of(&self, unit: Unit) -> u64 {
        match unit {
            Unit::File(i) => std::fs::metadata(&self.found[i].path).map_or(0, |m| m.len()),
            Unit::Zim { archive, .. } => {
                let a = &self.archives[archive];
                let file = self
                    .found
                    .iter()
                    .find(|f| f.origin == a.name)
                    .and_then(|f| std::fs::metadata(&f.path).ok())
                    .map_or(0, |m| m.len());
                // Compressed HTML: about three times its size as text, shared by its articles.
                file.saturating_mul(3) / a.articles.len().max(1) as u64
            }
        }
    }

    /// The name a unit's messages give (a file, or an archive and the entry's path).
    fn name(&self, unit: Unit) -> String {
        match unit {
            Unit::File(i) => crate::input::path_text(&self.found[i].path),
            Unit::Zim { archive, article } => {
                let a = &self.archives[archive];
                format!(
                    "{}#{}",
                    crate::input::path_text(&self.found_path(archive)),
                    crate::input::printable(&a.articles[article].path)
                )
            }
        }
    }

    fn found_path(&self, archive: usize) -> PathBuf {
        let name = &self.archives[archive].name;
        self.found
            .iter()
            .find(|f| &f.origin == name && f.kind == ingest::Kind::Zim)
            .map_or_else(|| PathBuf::from(name), |f| f.path.clone())
    }

    /// Reads `units` (their positions in `self.units` given with them), in parallel, each
    /// archive cluster decompressed once, and makes `each` of every article kept by
    /// `selection` (an archive's were chosen before): for each unit, what `each` made of its
    /// articles or the error that kept them, and its warnings. A damaged archive entry is a
    /// warning (the rest is read); an unreadable file is an error. Articles are handed to
    /// `each` as they are read, so a batch holds what `each` makes, not their text.
    fn read<T: Send>(
        &self,
        units: &[(usize, Unit)],
        opts: &BuildOptions,
        selection: &Selection,
        each: &(dyn Fn(Article) -> Result<T> + Sync),
    ) -> Vec<(usize, Result<Vec<T>>, Vec<String>)> {
        // One task a file, one a cluster of an archive.
        let mut files = Vec::new();
        let mut clusters: BTreeMap<(usize, u32), Vec<(usize, usize)>> = BTreeMap::new();
        for &(at, unit) in units {
            match unit {
                Unit::File(i) => files.push((at, i)),
                Unit::Zim { archive, article } => {
                    let cluster = self.archives[archive].articles[article].cluster;
                    clusters
                        .entry((archive, cluster))
                        .or_default()
                        .push((at, article));
                }
            }
        }
        let clusters: Vec<_> = clusters.into_iter().collect();
        let from_files = files.par_iter().map(|&(at, i)| {
            let (r, w) = read_input(&self.found[i], opts);
            let made = r.and_then(|articles| {
                articles
                    .into_iter()
                    .filter(|a| selection.keeps(&a.title, &a.aliases, &a.origin))
                    .map(each)
                    .collect::<Result<Vec<T>>>()
            });
            vec![(at, made, w)]
        });
        let from_archives = clusters.par_iter().map(|((archive, cluster), members)| {
            let z = &self.archives[*archive];
            let blobs: Vec<u32> = members.iter().map(|&(_, j)| z.articles[j].blob).collect();
            let shown = crate::input::path_text(&self.found_path(*archive));
            let place = z
                .cluster_offset(*cluster)
                .map_or(String::new(), |o| format!(" at byte offset {o}"));
            let read: Vec<_> = members
                .iter()
                .zip(z.read_cluster(*cluster, &blobs))
                .collect();
            read.into_par_iter()
                .map(|(&(at, j), html)| {
                    let a = &z.articles[j];
                    let entry = crate::input::printable(&a.path);
                    match html.and_then(|h| z.article(a, &h, &opts.rules)) {
                        Ok(Outcome::Article(article, w)) => (
                            at,
                            each(article).map(|t| vec![t]),
                            w.into_iter().map(|w| format!("{shown}#{entry}: {w}")).collect(),
                        ),
                        Ok(Outcome::Skipped(why)) => (
                            at,
                            Ok(Vec::new()),
                            vec![format!("{shown}#{entry}: skipped: {why}")],
                        ),
                        Err(e) => (
                            at,
                            Ok(Vec::new()),
                            vec![format!(
                                "{shown}: entry {entry} (cluster {cluster}{place}) cannot be read: {e:#}: left out, the rest of the archive packed"
                            )],
                        ),
                    }
                })
                .collect::<Vec<_>>()
        });
        let mut out: Vec<_> = from_files.chain(from_archives).flatten().collect();
        out.sort_by_key(|r| r.0);
        out
    }
}

/// Reads and cleans every article under `inputs` (all of them: no limit or size); errors name
/// the file.
pub fn collect(inputs: &[PathBuf], opts: &BuildOptions) -> Result<Collected> {
    let plan = Plan::new(inputs, opts, false)?;
    let mut out = Collected {
        warnings: plan.warnings.clone(),
        ..Collected::default()
    };
    let units: Vec<(usize, Unit)> = plan.units.iter().copied().enumerate().collect();
    let mut read: Vec<(Article, u128, String)> = Vec::new();
    let selection = Selection::new(&opts.select, &opts.select_titles)?;
    for (at, result, notes) in plan.read(&units, opts, &selection, &Ok) {
        out.warnings.extend(notes);
        let name = plan.name(plan.units[at]);
        for article in result? {
            let hash = hash128(&article.body());
            read.push((article, hash, name.clone()));
        }
    }
    out.articles = in_bundle_order(read, |a| a.origin.as_str(), &mut out.warnings);
    Ok(out)
}

/// Text read for training the dictionary, at most: enough to find what recurs, bounded so that
/// a build of any size samples the same amount.
const DICTIONARY_SAMPLE_BYTES: u64 = 8 << 20;

/// A unit packed: its place in the order taken, its name, its articles (or why none), its
/// warnings.
type PackedUnit = (usize, String, Result<Vec<PackedArticle>>, Vec<String>);

/// Units read and compressed together: each archive cluster is decompressed once a batch, and
/// a batch holds only packed articles, so a batch is large.
const BATCH: usize = 4096;

/// What a packed article costs in a bundle at least: its stored text, records and names
/// (shared glyphs and shaped words not counted), to know when more cannot fit.
fn least_cost(p: &PackedArticle) -> u64 {
    let chunks: usize = p.chunks.iter().map(|c| c.1.len()).sum();
    let aliases: usize = p.aliases.iter().map(|a| a.len() + 1 + 8 + 16).sum();
    (chunks
        + p.meta.len()
        + fieldpack_format::layout::ARTICLE_RECORD_LEN
        + fieldpack_format::layout::CHUNK_RECORD_LEN * p.chunks.len()
        + fieldpack_format::layout::TITLE_RECORD_LEN
        + aliases
        + 4 * p.runs.len()) as u64
}

/// Builds a bundle from `inputs`, streaming: articles are read, cleaned and compressed a batch
/// at a time and only their compressed form is kept, so memory follows the bundle, not the
/// input. With a limit or a size, articles are taken in order (the most linked of an archive
/// first) until the limit, or until more would not fit. Returns the bundle and the warnings,
/// each naming its file.
pub fn build(inputs: &[PathBuf], opts: &BuildOptions) -> Result<(Packed, Vec<String>)> {
    let ranked = opts.limit.is_some() || opts.max_size.is_some();
    let plan = Plan::new(inputs, opts, ranked)?;
    let mut warnings = plan.warnings.clone();
    let selection = Selection::new(&opts.select, &opts.select_titles)?;
    let candidates = plan.units.len();
    // With a limit, no more units than articles are wanted (a book may give several).
    let considered = opts.limit.map_or(candidates, |n| n.min(candidates));

    // The dictionary is trained on evenly spaced articles, up to a fixed amount of text.
    let sample: Vec<String> = if opts.pack.dictionary_size == 0 {
        Vec::new()
    } else {
        let sizes: Vec<u64> = plan.units[..considered]
            .iter()
            .map(|&u| plan.size_of(u))
            .collect();
        let total: u64 = sizes.iter().sum();
        let step = total.div_ceil(DICTIONARY_SAMPLE_BYTES).max(1) as usize;
        let picked: Vec<(usize, Unit)> = plan.units[..considered]
            .iter()
            .copied()
            .enumerate()
            .step_by(step)
            .collect();
        plan.read(&picked, opts, &selection, &|a| Ok(a.body()))
            .into_iter()
            .flat_map(|(_, r, _)| r.unwrap_or_default())
            .collect()
    };
    let sample_refs: Vec<&str> = sample.iter().map(String::as_str).collect();
    let dictionary = train_dictionary(&sample_refs, opts.pack.dictionary_size);
    drop(sample);
    let compressor = ChunkCompressor::new(dictionary.clone(), opts.pack.effort);

    let noun = if plan.archives.is_empty() {
        "files"
    } else {
        "articles"
    };
    let bar = progress_bar(opts.progress, considered, "packing", noun);
    // Each packed article with its place in the order taken.
    let mut packed: Vec<((PackedArticle, usize), u128, String)> = Vec::new();
    let mut chars = std::collections::BTreeSet::new();
    let mut taken = 0usize;
    let mut least = 0u64;
    let units: Vec<(usize, Unit)> = plan.units.iter().copied().enumerate().collect();
    // The bar moves an article at a time, and is set right at each batch's end (a file may
    // hold no article, or a book several).
    let pack = |a: Article| {
        let p = pack_article(&a, &compressor, &opts.pack);
        bar.inc(1);
        p
    };
    let mut done = 0u64;
    'batches: for batch in units.chunks(BATCH) {
        let results: Vec<PackedUnit> = plan
            .read(batch, opts, &selection, &pack)
            .into_iter()
            .map(|(at, packed, notes)| (at, plan.name(plan.units[at]), packed, notes))
            .collect();
        done += batch.len() as u64;
        bar.set_position(done);
        for (at, name, r, notes) in results {
            warnings.extend(notes);
            for mut p in r.with_context(|| format!("cannot read article {name}"))? {
                if opts.limit.is_some_and(|n| taken >= n) {
                    break 'batches;
                }
                // A book's chapter is named by the book and its number.
                let name = match p.origin.rfind('#') {
                    Some(i) if name.ends_with(".epub") => format!("{name}{}", &p.origin[i..]),
                    _ => name.clone(),
                };
                if p.meta_shortened {
                    warnings.push(format!(
                        "{name}: title, author or source shortened to fit the format's {}-byte metadata limit",
                        fieldpack_format::layout::MAX_META_LEN
                    ));
                }
                least += least_cost(&p);
                // To fit a size, each article's characters stay with it (a bundle of fewer
                // articles needs fewer glyphs); else they are merged now.
                if opts.max_size.is_none() {
                    chars.append(&mut p.chars);
                }
                let hash = p.body_hash;
                packed.push(((p, at), hash, name));
                taken += 1;
            }
        }
        // What is packed cannot fit already: more would not either.
        if opts.max_size.is_some_and(|max| least > max) {
            break;
        }
    }
    bar.finish_and_clear();
    if let Some(n) = opts.limit {
        if candidates > n {
            let how = if plan.archives.is_empty() {
                "the first in path order"
            } else {
                "the most linked to"
            };
            warnings.push(format!(
                "--limit {n}: {n} articles kept of {candidates}, {how}"
            ));
        }
    }

    let articles = in_bundle_order(packed, |a| a.0.origin.as_str(), &mut warnings);
    if articles.is_empty() {
        let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        if selection.is_all() {
            bail!("no articles found in {}", names.join(", "));
        }
        bail!("no article of {} matches --select", names.join(", "));
    }
    let Some(max) = opts.max_size else {
        let articles = articles.into_iter().map(|(p, _)| p).collect();
        return Ok((
            assemble(articles, &chars, dictionary, &opts.pack)?,
            warnings,
        ));
    };
    let (bundle, kept) = fit(articles, &dictionary, &opts.pack, max)?;
    if kept < candidates {
        warnings.push(format!(
            "--max-size {max}: {kept} of {candidates} articles fitted ({} bytes); the rest left out",
            bundle.len()
        ));
    }
    Ok((bundle, warnings))
}

/// The bundle of the most articles, taken in order, that is at most `max` bytes: estimates
/// from the articles' least costs, then bundles assembled until the longest prefix that fits is
/// found. Returns it and how many articles it holds.
fn fit(
    mut articles: Vec<(PackedArticle, usize)>,
    dictionary: &[u8],
    opts: &PackOptions,
    max: u64,
) -> Result<(Packed, usize)> {
    articles.sort_by_key(|a| a.1);
    let articles: Vec<PackedArticle> = articles.into_iter().map(|a| a.0).collect();
    let none = std::collections::BTreeSet::new();
    let make = |n: usize| -> Result<Packed> {
        let mut some: Vec<PackedArticle> = articles[..n].to_vec();
        // Bundle order is by origin, whatever order they were taken in.
        some.sort_by(|a, b| a.origin.cmp(&b.origin));
        assemble(some, &none, dictionary.to_vec(), opts)
    };
    // The longest prefix whose least costs fit: no longer one can.
    let mut sum = 0u64;
    let mut hi = articles.len();
    for (i, a) in articles.iter().enumerate() {
        sum += least_cost(a);
        if sum > max {
            hi = i;
            break;
        }
    }
    // Binary search over prefix lengths: `lo` fits (or is 0), `hi + 1` does not.
    let mut best: Option<(Packed, usize)> = None;
    let (mut lo, mut hi) = (0usize, hi);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        let b = make(mid)?;
        if b.len() as u64 <= max {
            lo = mid;
            best = Some((b, mid));
        } else {
            hi = mid - 1;
        }
    }
    match best {
        Some(b) => Ok(b),
        None if lo > 0 => Ok((make(lo)?, lo)),
        None => bail!(
            "--max-size {max}: not even one article fits (the smallest bundle of the first is {} bytes)",
            make(1).map_or(0, |b| b.len())
        ),
    }
}

/// Temporary files being written now, removed if the tool is interrupted.
static TEMPORARY_FILES: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn temporary_files() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARY_FILES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Makes Ctrl-C (and SIGTERM, SIGHUP) remove the temporary file of a write in progress before
/// the tool exits, so an interrupted build or extract leaves nothing behind.
pub fn remove_temporary_files_on_interrupt() {
    // The handler runs on its own thread (ctrlc's), where taking the lock is safe.
    let _ = ctrlc::set_handler(|| {
        for p in temporary_files().drain(..) {
            let _ = std::fs::remove_file(p);
        }
        std::process::exit(130);
    });
}

/// Writes `bytes` to `path` so that readers see either the old file or the whole new one:
/// a temporary file beside it, flushed to disk, then renamed over it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// Writes what `write` produces to `path` as [`write_atomically`] does. The temporary file has
/// an unpredictable name and is created only if no file (or link) has that name, so a link
/// planted in the folder cannot redirect the write; renaming replaces a link at `path` itself
/// rather than writing through it.
/// The folder a file will be written into, checked to exist: a build says so before its work,
/// not after it.
pub fn destination_folder(path: &Path) -> Result<PathBuf> {
    let shown = crate::input::path_text(path);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if path.file_name().is_none() {
        bail!("{shown} is not a file name");
    }
    if !dir.is_dir() {
        bail!(
            "cannot write {shown}: the folder {} does not exist",
            crate::input::path_text(&dir)
        );
    }
    Ok(dir)
}

pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let shown = crate::input::path_text(path);
    let dir = destination_folder(path)?;
    let name = path
        .file_name()
        .with_context(|| format!("{shown} is not a file name"))?;
    // A replaced file keeps its permissions; a new one is readable by all, as files that
    // `cp` or an editor make (tempfile's own default, owner only, suits secrets, not bundles).
    use std::os::unix::fs::PermissionsExt;
    let permissions = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
    let tmp = tempfile::Builder::new()
        .permissions(permissions)
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot write {shown}"))?;
    let tmp_path = tmp.path().to_path_buf();
    temporary_files().push(tmp_path.clone());
    let result = (|| -> Result<()> {
        let f = tmp.as_file();
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        write(&mut w)
            .and_then(|()| w.flush())
            .with_context(|| format!("cannot write {shown}"))?;
        drop(w);
        f.sync_all()
            .with_context(|| format!("cannot flush {shown}"))?;
        Ok(())
    })();
    let result = result.and_then(|()| {
        tmp.persist(path)
            .map(drop)
            .map_err(|e| anyhow::anyhow!("cannot move the new file to {shown}: {}", e.error))
    });
    // On failure the temporary file was removed when `tmp` was dropped.
    temporary_files().retain(|p| p != &tmp_path);
    result
}

/// Writes a new file readable by its owner only (a secret key), refusing to replace anything.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let shown = crate::input::path_text(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {shown}"))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {shown}"))
}
