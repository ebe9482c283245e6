//! `fieldpack build`: from files and folders to one bundle, written atomically.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::compress::{train_dictionary, ChunkCompressor};
use crate::ingest::{self, Article, Outcome, Utf8Policy};
use crate::pack::{assemble, hash128, pack_article, PackOptions, Packed, PackedArticle};
use crate::rules::Rules;

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

/// Reads and cleans every article under `inputs`; errors name the file.
pub fn collect(inputs: &[PathBuf], opts: &BuildOptions) -> Result<Collected> {
    let (found, skipped) = ingest::discover(inputs, &ingest::Excludes::new(&opts.exclude)?)?;
    let mut out = Collected {
        warnings: skipped_warnings(&skipped),
        ..Collected::default()
    };
    let results: Vec<_> = found
        .par_iter()
        .map(|input| read_input(input, opts))
        .collect();
    let mut read: Vec<(Article, u128, String)> = Vec::new();
    for ((result, notes), input) in results.into_iter().zip(&found) {
        out.warnings.extend(notes);
        for article in result? {
            let hash = hash128(&article.body());
            read.push((article, hash, input.path.display().to_string()));
        }
    }
    out.articles = in_bundle_order(read, |a| a.origin.as_str(), &mut out.warnings);
    Ok(out)
}

/// Text read for training the dictionary, at most: enough to find what recurs, bounded so that
/// a build of any size samples the same amount.
const DICTIONARY_SAMPLE_BYTES: u64 = 8 << 20;

/// Files read and compressed together: bounds the text held at once.
const BATCH: usize = 256;

/// Builds a bundle from `inputs`, streaming: articles are read, cleaned and compressed a batch
/// at a time and only their compressed form is kept, so memory follows the bundle, not the
/// input. Returns the bundle and the warnings, each naming its file.
pub fn build(inputs: &[PathBuf], opts: &BuildOptions) -> Result<(Packed, Vec<String>)> {
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

    // The dictionary is trained on evenly spaced articles, up to a fixed amount of text.
    let total: u64 = found
        .iter()
        .map(|i| std::fs::metadata(&i.path).map(|m| m.len()).unwrap_or(0))
        .sum();
    let step = total.div_ceil(DICTIONARY_SAMPLE_BYTES).max(1) as usize;
    let sample: Vec<String> = if opts.pack.dictionary_size == 0 {
        Vec::new()
    } else {
        found
            .par_iter()
            .step_by(step)
            .flat_map_iter(|i| {
                read_input(i, opts)
                    .0
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| a.body())
            })
            .collect()
    };
    let sample_refs: Vec<&str> = sample.iter().map(String::as_str).collect();
    let dictionary = train_dictionary(&sample_refs, opts.pack.dictionary_size);
    drop(sample);
    let compressor = ChunkCompressor::new(dictionary.clone(), opts.pack.effort);

    let bar = if opts.progress && found.len() >= 50 {
        let bar =
            ProgressBar::with_draw_target(Some(found.len() as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} files ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message("packing");
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut packed: Vec<(PackedArticle, u128, String)> = Vec::new();
    let mut chars = std::collections::BTreeSet::new();
    for batch in found.chunks(BATCH) {
        let results: Vec<(String, Result<Vec<PackedArticle>>, Vec<String>)> = batch
            .par_iter()
            .map(|input| {
                let (articles, notes) = read_input(input, opts);
                let packed = articles.and_then(|a| {
                    a.iter()
                        .map(|a| pack_article(a, &compressor, &opts.pack))
                        .collect::<Result<Vec<_>>>()
                });
                bar.inc(1);
                (input.path.display().to_string(), packed, notes)
            })
            .collect();
        for (name, r, notes) in results {
            warnings.extend(notes);
            for mut p in r? {
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
                chars.append(&mut p.chars);
                let hash = p.body_hash;
                packed.push((p, hash, name));
            }
        }
    }
    bar.finish_and_clear();

    let articles = in_bundle_order(packed, |a| a.origin.as_str(), &mut warnings);
    if articles.is_empty() {
        let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        bail!("no articles found in {}", names.join(", "));
    }
    Ok((
        assemble(articles, &chars, dictionary, &opts.pack)?,
        warnings,
    ))
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
