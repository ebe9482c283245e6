//! `fieldpack`: pack folders of articles into bundles for offline reading devices.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use fieldpack::build::{build, write_atomically, write_atomically_with, BuildOptions};
use fieldpack::compress::Effort;
use fieldpack::ingest::Utf8Policy;
use fieldpack::pack::PackOptions;
use fieldpack::rules::{Rules, DEFAULT_RULES};
use fieldpack::{emulate, report, sim};

/// Pack articles into one compact bundle for an offline reading device, and inspect, verify,
/// extract or preview bundles.
#[derive(Parser)]
#[command(name = "fieldpack", version, about, long_about = None, after_help = EXIT_HELP)]
struct Cli {
    /// Say less: no progress bars, summaries or notes (warnings and errors still show).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Say more: every file left out of a build, by name.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pack files and folders of articles (.txt, .md, .html), EPUB books and ZIM archives into
    /// one bundle.
    Build {
        /// Article files or folders (searched recursively).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The bundle to write (replaced atomically; `-`: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Leave out files and folders matching GLOB (repeatable): a pattern without `/`
        /// matches a name at any depth (`--exclude '*.draft.md'`), one with `/` the path below
        /// the input folder (`--exclude 'archive/**'`).
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// Pack each chapter of an EPUB book (each document of its spine) as an article of its
        /// own, titled by the book's table of contents; by default a book is one article.
        #[arg(long)]
        epub_chapters: bool,
        /// Keep only articles whose title, other name (an archive's redirect) or path matches
        /// GLOB, ignoring case (repeatable: any may match): `--select 'Cholera*'`,
        /// `--select '*vaccin*'`.
        #[arg(long, value_name = "GLOB")]
        select: Vec<String>,
        /// Keep only articles whose titles (or other names) FILE lists, one a line, compared
        /// ignoring case and accents (with --select: either keeps an article).
        #[arg(long, value_name = "FILE")]
        select_file: Option<PathBuf>,
        /// At most N articles: from an archive the N its own pages link to most (the articles
        /// a reader of it meets most often), from files the first N in path order.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Keep the bundle at most SIZE bytes (suffixes K, M, G: 1024s; e.g. the flash left on a
        /// device, 12M): articles are added in the order --limit takes them while they fit, and
        /// the count that fitted is reported.
        #[arg(long, value_name = "SIZE", value_parser = byte_size)]
        max_size: Option<u64>,
        /// A title for the bundle, shown on the device's info screen (at most 160 bytes).
        #[arg(long, default_value = "Fieldpack", value_parser = info_text)]
        title: String,
        /// Who made the bundle (at most 160 bytes).
        #[arg(long, default_value = "", value_parser = info_text)]
        creator: String,
        /// Creation date to record; defaults to SOURCE_DATE_EPOCH's day when set, else none, so
        /// that builds stay byte-identical.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = calendar_date)]
        date: Option<String>,
        /// More cleaning rules (see `fieldpack rules`), applied after the built-in ones.
        #[arg(long, value_name = "FILE")]
        rules: Vec<PathBuf>,
        /// Do not apply the built-in cleaning rules.
        #[arg(long)]
        no_default_rules: bool,
        /// Replace invalid UTF-8 with U+FFFD (with a warning) instead of refusing the file.
        #[arg(long)]
        lossy_utf8: bool,
        /// The smallest display profile that must read the bundle: chunk and dictionary sizes are
        /// chosen to fit its memory (128x64 bundles open on every profile).
        #[arg(long, default_value = "128x64", value_parser = PROFILE_NAMES)]
        device: String,
        /// Make the bundle for a Raspberry Pi Pico board: its display's glyphs only (its normal
        /// and larger text), and the 32 KiB window its 264 KiB of RAM afford (smaller bundles
        /// than --device 128x64's 12 KiB window; they need such a board).
        #[arg(long, conflicts_with = "device", value_parser = BOARD_NAMES)]
        board: Option<String>,
        /// Largest decoded chunk of article text in bytes (default: per --device).
        #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(64..=MAX_CHUNK))]
        chunk_size: Option<u32>,
        /// Size of the preset dictionary trained from the articles, in bytes, 0 for none
        /// (default: per --device).
        #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(0..=MAX_CHUNK))]
        dictionary_size: Option<u32>,
        /// Compression effort: good (libdeflate's near-optimal parsing), best (also zopfli: a
        /// few tenths of a percent smaller, over ten times slower) or fast.
        #[arg(long, default_value = "good", value_parser = ["good", "best", "fast"])]
        effort: String,
        /// Print the build's summary as JSON on standard output.
        #[arg(long)]
        json: bool,
        /// Record each article's input path in the bundle (off by default: paths can name the
        /// people an article is about, and `extract` shows them to whoever holds the device).
        #[arg(long)]
        keep_paths: bool,
        /// Title texts without a headline by their first sentence even when it names nothing
        /// ("Dear colleagues,") and the file's name reads as words (by default
        /// "cholera-treatment.txt" is then titled "Cholera treatment"; file names can name
        /// people, so this keeps them out of the bundle).
        #[arg(long)]
        no_file_titles: bool,
        /// Sign the bundle with this secret key (made by `fieldpack keygen`).
        #[arg(long, value_name = "KEY")]
        sign: Option<PathBuf>,
    },
    /// List a bundle's articles: number, title, language, date and size.
    List {
        /// The bundle (`-`: standard input).
        file: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print one article as `extract` writes it: its metadata, then its text.
    Show {
        /// The bundle (`-`: standard input).
        file: PathBuf,
        /// The article: its number (as `list` shows it) or its title (case and accents
        /// ignored; a title several articles share lists them).
        article: String,
        /// Only the text, without the metadata.
        #[arg(long)]
        text: bool,
    },
    /// Show a bundle's header, sections, glyphs and articles.
    Inspect {
        /// The bundle (`-`: standard input).
        file: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check every checksum, article, glyph and index entry; report every damaged part and
    /// exit non-zero on any. A signed bundle's signature is checked too.
    Verify {
        /// The bundle (`-`: standard input).
        file: PathBuf,
        /// The publisher's public key (KEY.pub): the bundle must be signed by it.
        #[arg(long, value_name = "PUB")]
        key: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write every readable article back as UTF-8 text with its metadata; damaged articles are
    /// listed and the exit status is non-zero.
    Extract {
        /// The bundle (`-`: standard input).
        file: PathBuf,
        /// Folder to write into (created if needed).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Replace files that already exist (by default nothing is written if any does).
        #[arg(long)]
        overwrite: bool,
    },
    /// Show a bundle (or a folder of articles, packed in memory) as the device would, one PNG
    /// per key press.
    #[command(after_help = KEY_HELP)]
    Sim {
        /// A bundle, or article files and folders to pack first.
        #[arg(required_unless_present = "card")]
        input: Option<PathBuf>,
        /// A microSD card's image (FAT16 or FAT32) instead: its bundles are on a shelf to
        /// choose from, and the chosen one is read from the card in blocks, as a device does.
        #[arg(long, value_name = "IMAGE", conflicts_with_all = ["input", "state", "window", "trust", "require_signed"])]
        card: Option<PathBuf>,
        /// Display profile.
        #[arg(long, alias = "display", default_value = "320x240", value_parser = PROFILE_NAMES)]
        device: String,
        /// Show it as a Pico board does (its display and its 32 KiB window: the bundles of
        /// `build --board`).
        #[arg(long, conflicts_with = "device", value_parser = BOARD_NAMES)]
        board: Option<String>,
        /// Comma-separated key script: up, down, left, right, select, back, hold, pageup,
        /// pagedown, find:TEXT (see below).
        #[arg(long, default_value = "")]
        keys: String,
        /// Folder for the screenshots 000.png, 001.png, ...
        #[arg(
            short,
            long,
            alias = "out",
            value_name = "DIR",
            required_unless_present = "window"
        )]
        output: Option<PathBuf>,
        /// Open an interactive window instead: arrows, Enter (Select), Backspace (Back); with
        /// Shift, the long presses (or Page Up, Page Down, H); needs a build with `--features
        /// window` and SDL2.
        #[arg(long)]
        window: bool,
        /// Pixel scale of the screenshots (default: about 640 pixels wide).
        #[arg(long, conflicts_with = "raw", value_parser = clap::value_parser!(u32).range(1..=16))]
        scale: Option<u32>,
        /// Screenshots at 1:1, one image pixel per display pixel.
        #[arg(long)]
        raw: bool,
        /// Also write the whole key script as one animated GIF.
        #[arg(long, value_name = "FILE")]
        gif: Option<PathBuf>,
        /// Milliseconds each GIF frame shows.
        #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u32).range(10..=60_000))]
        gif_delay: u32,
        /// A publisher's public key (KEY.pub) the simulated device trusts (repeatable).
        #[arg(long, value_name = "PUB")]
        trust: Vec<PathBuf>,
        /// Open only bundles signed by a trusted key, as a device built that way does.
        #[arg(long)]
        require_signed: bool,
        /// The device's state region as a file (its raw flash image, created when missing):
        /// the reader reopens where the last run left it, and remembers this run.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
    },
    /// Write a bundle as a UF2 file for a Raspberry Pi Pico board: hold BOOTSEL, plug the Pico
    /// in, copy the file to the drive that appears.
    Uf2 {
        /// The bundle (or, with --firmware, the board's firmware: an ELF file).
        bundle: PathBuf,
        /// Make the firmware's UF2 from the ELF file given instead of a bundle's.
        #[arg(long)]
        firmware: bool,
        /// The UF2 file to write (`-`: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// The board (they share one flash layout: the bundle at 0x10100000, after 1 MiB of
        /// firmware).
        #[arg(long, default_value = "pico-oled", value_parser = BOARD_NAMES)]
        board: String,
    },
    /// Make a publisher key pair for signing bundles: KEY (secret) and KEY.pub (public).
    Keygen {
        /// The publisher's name, recorded in every bundle the key signs.
        #[arg(long)]
        name: String,
        /// The secret key file to write; the public key goes beside it with `.pub` added.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Print the built-in cleaning rules (a starting point for your own rules file).
    Rules,
    /// Print a shell's completion script for fieldpack (bash: `fieldpack completions bash >
    /// ~/.local/share/bash-completion/completions/fieldpack`).
    Completions {
        /// The shell: bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Write the manual pages: fieldpack.1 and one for each command (fieldpack-build.1, ...).
    Man {
        /// The folder to write them to (made if missing).
        #[arg(short, long, alias = "out", value_name = "DIR")]
        output: PathBuf,
    },
    /// Developer tools: run the firmware in emulators, measure it, benchmark bundles (they need
    /// the firmware a Fieldpack checkout builds; see `fieldpack dev --help`).
    #[command(subcommand)]
    Dev(Dev),
}

/// Developer tools.
#[derive(Subcommand)]
#[command(after_help = DEV_HELP)]
enum Dev {
    /// Run the real firmware in an emulator with a bundle and a key script: QEMU's
    /// lm3s6965evb, or a Raspberry Pi Pico board in rp2040js; write its frames as PNGs named
    /// like `sim`'s, so the two folders compare file by file.
    #[command(after_help = KEY_HELP)]
    Emulate {
        /// The bundle.
        bundle: PathBuf,
        /// Display profile (a Pico board's is its own; default for the lm3s6965evb: 320x240).
        #[arg(long, alias = "display", value_parser = PROFILE_NAMES)]
        device: Option<String>,
        /// Comma-separated key script: up, down, left, right, select, back, hold, pageup,
        /// pagedown (see below; the Pico boards have no left or right).
        #[arg(long, default_value = "")]
        keys: String,
        /// Folder for the screenshots 000.png, 001.png, ...
        #[arg(short, long, alias = "out", value_name = "DIR")]
        output: PathBuf,
        /// The emulated board: the lm3s6965evb (QEMU: Cortex-M3, 256 KiB flash, 64 KiB RAM),
        /// or a Pico with its display (rp2040js): pico-oled, pico-epaper, pico-display,
        /// pico-display-2.
        #[arg(long, default_value = "lm3s6965evb", value_parser = ["lm3s6965evb", "pico-oled", "pico-epaper", "pico-display", "pico-display-2"])]
        board: String,
        /// Firmware ELF (default: found as `fieldpack dev --help` says).
        #[arg(long, value_name = "ELF")]
        firmware: Option<PathBuf>,
        /// Where the firmware reads the bundle: its flash region (up to 104 KiB), a host file
        /// read in blocks through semihosting (any size; an SD card's stand-in), or auto.
        #[arg(long, default_value = "auto", value_parser = ["auto", "flash", "file"])]
        storage: String,
        /// Pixel scale of the screenshots (default: as `sim`).
        #[arg(long, conflicts_with = "raw", value_parser = clap::value_parser!(u32).range(1..=16))]
        scale: Option<u32>,
        /// Screenshots at 1:1.
        #[arg(long)]
        raw: bool,
        /// The board's state region as a file (the raw flash image `sim --state` uses, created
        /// when missing): the firmware reopens where it was left and writes what changes.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// A microSD card's image in the board's slot (pico-oled and pico-epaper, with a wired
        /// breakout): its bundles are on a shelf, the chosen one read from the card.
        #[arg(long, value_name = "IMAGE")]
        card: Option<PathBuf>,
    },
    /// Measure the firmware of every profile: flash, static RAM, and peak stack in QEMU.
    Footprint {
        /// Bundle to run with (default: the sample articles, packed).
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        /// Measure a Pico board's firmware in the RP2040 emulator instead (or `all`): also the
        /// time of a page turn on the real chip.
        #[arg(long, value_parser = ["all", "pico-oled", "pico-epaper", "pico-display", "pico-display-2"])]
        board: Option<String>,
        /// Firmware ELF, with --board NAME (default: found as `fieldpack dev --help` says).
        #[arg(long, value_name = "ELF", requires = "board")]
        firmware: Option<PathBuf>,
        /// Print JSON instead of a Markdown table.
        #[arg(long)]
        json: bool,
    },
    /// Compare the bundle with its peers on a corpus: sizes, build speed and memory, and the
    /// device's cost per action in instructions.
    Bench {
        /// Article files and folders.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Device profile the bundle is made for.
        #[arg(long, default_value = "128x64", value_parser = PROFILE_NAMES)]
        device: String,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
        /// Skip the device costs (they need valgrind).
        #[arg(long)]
        no_device_cost: bool,
        /// Instead: generate this many articles from the inputs' paragraphs and measure the
        /// build's memory and the device's cost at the end of the big bundle.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        scale: Option<u64>,
    },
    /// Run one reader action with its instructions counted (used by `bench` under callgrind).
    #[command(hide = true)]
    DeviceOp {
        /// open-bundle, open-article, render-page, turn-page, jump-half, find-title, find-open
        /// or find-type.
        op: String,
        /// The bundle.
        bundle: PathBuf,
        /// Display profile.
        #[arg(long, alias = "display", default_value = "128x64", value_parser = PROFILE_NAMES)]
        device: String,
        /// Article to open.
        #[arg(long, default_value_t = 0)]
        article: u32,
        /// Title prefix to find.
        #[arg(long, default_value = "The")]
        prefix: String,
    },
}

/// The display profiles' names, as the command line accepts them (a wrong one is a usage error
/// that lists these).
const PROFILE_NAMES: [&str; 4] = ["128x64", "296x128", "240x135", "320x240"];

/// The Raspberry Pi Pico boards' names.
const BOARD_NAMES: [&str; 4] = ["pico-oled", "pico-epaper", "pico-display", "pico-display-2"];

/// The largest chunk and dictionary the format allows, as the command line checks them.
const MAX_CHUNK: i64 = fieldpack_format::layout::MAX_CHUNK_RAW as i64;

/// Bytes of the bundle's title and creator the device's info screen keeps.
const INFO_TEXT_MAX: usize = 160;

/// How the developer tools find the firmware, as `fieldpack dev --help` tells it.
const DEV_HELP: &str =
    "The developer tools run the firmware a Fieldpack checkout builds. They look for it, and for
the RP2040 emulator's harness, in the folder $FIELDPACK_DATA names when it is set, else in
share/fieldpack beside the executable's folder (PREFIX/bin/fieldpack: PREFIX/share/fieldpack,
as `bash scripts/install PREFIX` lays it out), else in the checkout the tool was built from;
--firmware ELF names an image directly.";

/// A bundle title or creator: the device shows a line of it, so a longer one is refused
/// rather than cut without a word.
fn info_text(s: &str) -> Result<String, String> {
    if s.len() > INFO_TEXT_MAX {
        return Err(format!(
            "{} bytes; at most {INFO_TEXT_MAX} (the device's information screen shows a line)",
            s.len()
        ));
    }
    Ok(s.to_string())
}

/// A calendar date written YYYY-MM-DD that exists (2024-02-29 does, 2023-02-29 does not).
fn calendar_date(s: &str) -> Result<String, String> {
    let bad = || "not a date written YYYY-MM-DD, such as 2024-05-17".to_string();
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts[..] else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let num = |t: &str| {
        t.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| t.parse::<u32>().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(y), num(m), num(d)) else {
        return Err(bad());
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("month {m} does not exist (01 to 12)")),
    };
    if d == 0 || d > days {
        return Err(format!("{y:04}-{m:02} has no day {d} (01 to {days})"));
    }
    Ok(s.to_string())
}

/// Prints a warning: `warning:` in bold yellow where standard error is a terminal that takes
/// colour (not with NO_COLOR set), as clap's own messages are.
fn warn(message: &str) {
    let style = anstyle::AnsiColor::Yellow.on_default().bold();
    anstream::eprintln!(
        "{style}warning:{style:#} {}",
        fieldpack::input::printable(message)
    );
}

/// Prints an error the same way, `error:` in bold red.
fn error(message: &str) {
    let style = anstyle::AnsiColor::Red.on_default().bold();
    anstream::eprintln!(
        "{style}error:{style:#} {}",
        fieldpack::input::printable(message)
    );
}

/// Refuses to write binary output to a terminal (`-o -` with nothing to take it).
fn check_stdout_for_bytes(what: &str) -> Result<()> {
    anyhow::ensure!(
        !std::io::stdout().is_terminal(),
        "{what} is binary: redirect standard output (`-o - > FILE` or a pipe) instead of \
         printing it to the terminal"
    );
    Ok(())
}

/// What the exit status says, as `fieldpack --help` and the manual page tell it.
const EXIT_HELP: &str = "Exit status:
  0  success
  1  failure: an input, a bundle or a device run failed, or damage was found (verify, extract)
  2  usage error: an unknown command, option or value";

/// The key-script words, as `sim --help` and `emulate --help` list them.
const KEY_HELP: &str = "Key-script words (the device's buttons and gestures):
  up       previous entry or page
  down     next entry or page
  left     previous page; in the library, the bundle's information
  right    next page; in a list, open
  select   open; on a page, the next page
  back     back to the library; from the library, the information
  hold     long press of Select: set or remove a bookmark on a page; remove one from the
           bookmarks; in the library, find a title
  pageup   long press of Up: a screenful of entries up; on a page, a tenth of the article
           back; in Find, back to the boxes
  pagedown long press of Down: a screenful of entries down; on a page, a tenth of the article
           on; in Find, into the list of titles
  find:TEXT  (sim only) the presses a person makes to bring the search screen's cursor onto the
           first title starting with TEXT (case and accents folded); each word's count is printed

The library lists Continue entries (the last articles read, where they were left) and a
Bookmarks entry above the articles. On the search screen (hold in the library) the characters
that continue the titles are in three boxes, the likeliest on the left: Up, Select and Down pick
the left, middle and right box (a box of one types it, a larger one splits in three); Back
undoes; pagedown moves into the list of matching titles, where Select opens one.";

fn profile_named(name: &str) -> Result<fieldpack_reader::Profile> {
    fieldpack_reader::profile_by_name(name).with_context(|| {
        let names: Vec<&str> = fieldpack_reader::PROFILES.iter().map(|p| p.name).collect();
        format!("unknown display {name:?} (profiles: {})", names.join(", "))
    })
}

/// The bytes of a bundle file, or of a bundle packed in memory from article files or folders.
fn load_or_pack(input: &std::path::Path) -> Result<Vec<u8>> {
    if fieldpack::input::is_stdio(input) {
        return report::read_file(input);
    }
    if input.is_file() {
        let bytes = report::read_file(input)?;
        if bytes.starts_with(&fieldpack_format::layout::MAGIC[..4]) || !has_article_ext(input) {
            return Ok(bytes);
        }
    }
    let opts = BuildOptions::default();
    let (packed, warnings) = build(&[input.to_path_buf()], &opts)?;
    for w in &warnings {
        warn(w);
    }
    Ok(packed.to_bytes())
}

/// Prints a report as pretty JSON or as the text `render` makes of it.
fn print_report<T: serde::Serialize + ?Sized>(
    report: &T,
    json: bool,
    render: impl Fn(&T) -> String,
) -> Result<()> {
    if json {
        // Every report carries the version of its shape, first (docs/json.md).
        let mut value = serde_json::to_value(report)?;
        if let serde_json::Value::Object(fields) = &mut value {
            if !fields.contains_key("schema_version") {
                let mut versioned = serde_json::Map::new();
                versioned.insert("schema_version".into(), report::SCHEMA_VERSION.into());
                versioned.append(fields);
                value = serde_json::Value::Object(versioned);
            }
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", render(report));
    }
    Ok(())
}

/// The sample articles the developer tools measure with by default.
fn sample_articles() -> Result<PathBuf> {
    let p = fieldpack::data::locate("articles", "assets/articles");
    anyhow::ensure!(
        p.is_dir(),
        "{} (or give --bundle FILE)",
        fieldpack::data::missing("sample articles", &p)
    );
    Ok(p)
}

/// Writes bytes to `path`, replaced atomically, or to standard output for `-`.
fn write_output(path: &std::path::Path, bytes: &[u8], what: &str) -> Result<()> {
    if fieldpack::input::is_stdio(path) {
        check_stdout_for_bytes(what)?;
        let mut out = std::io::stdout().lock();
        std::io::Write::write_all(&mut out, bytes)
            .and_then(|()| std::io::Write::flush(&mut out))
            .context("cannot write to standard output")
    } else {
        write_atomically(path, bytes)
    }
}

/// A size in bytes: a number, optionally followed by K, M or G (1024, 1024^2, 1024^3; `KiB`,
/// `MiB`, `GiB` and `B` are read alike).
fn byte_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size in bytes (e.g. 4000000, 12M)"))?;
    let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("{s:?}: unknown unit (K, M or G)")),
    };
    n.checked_mul(scale)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("{s:?} is not a usable size"))
}

fn has_article_ext(p: &std::path::Path) -> bool {
    fieldpack::ingest::Kind::of(p).is_some()
}

fn days_to_date(days: i64) -> String {
    // Civil-from-days (Howard Hinnant's algorithm): no date crate needed for one conversion.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn run(cli: Cli) -> Result<()> {
    let Cli {
        quiet,
        verbose,
        command,
    } = cli;
    match command {
        Command::Build {
            inputs,
            output,
            exclude,
            epub_chapters,
            select,
            select_file,
            limit,
            max_size,
            title,
            creator,
            date,
            rules: rule_files,
            no_default_rules,
            lossy_utf8,
            device,
            board,
            chunk_size,
            dictionary_size,
            effort,
            json,
            keep_paths,
            no_file_titles,
            sign,
        } => {
            let to_stdout = fieldpack::input::is_stdio(&output);
            if to_stdout {
                if json {
                    <Cli as clap::CommandFactory>::command()
                        .error(
                            clap::error::ErrorKind::ArgumentConflict,
                            "--json prints on standard output, where -o - writes the bundle: give -o FILE",
                        )
                        .exit();
                }
                check_stdout_for_bytes("a bundle")?;
            } else {
                // Said now, not after the whole build.
                fieldpack::build::destination_folder(&output)?;
            }
            let sign = sign
                .as_deref()
                .map(fieldpack::sign::read_secret)
                .transpose()?;
            let board = board.as_deref().map(fieldpack::uf2::board).transpose()?;
            let device = match &board {
                Some(b) => fieldpack::pico::profile(b)?,
                None => profile_named(&device)?,
            };
            let (default_chunk, default_dict) = device.bundle_sizes();
            let chunk_size = chunk_size.map_or(default_chunk, |c| c as usize);
            let dictionary_size = dictionary_size.map_or(default_dict, |d| d as usize);
            let mut rules = if no_default_rules {
                Rules::default()
            } else {
                Rules::builtin()
            };
            for f in &rule_files {
                rules.extend_from_file(f)?;
            }
            let created = match date {
                Some(d) => Some(d),
                None => match std::env::var("SOURCE_DATE_EPOCH") {
                    Ok(s) => {
                        let secs: i64 = s
                            .trim()
                            .parse()
                            .context("SOURCE_DATE_EPOCH is not a number")?;
                        Some(days_to_date(secs.div_euclid(86_400)))
                    }
                    Err(_) => None,
                },
            };
            let window = chunk_size + dictionary_size + fieldpack_format::bundle::INFLATE_SLACK;
            anyhow::ensure!(
                window <= device.window_bytes,
                "a {chunk_size}-byte chunk and a {dictionary_size}-byte dictionary need a {window}-byte window; the {} device has {} bytes (use --device for a bigger one)",
                device.name,
                device.window_bytes
            );
            let opts = BuildOptions {
                pack: PackOptions {
                    title,
                    creator,
                    created,
                    chunk_size,
                    dictionary_size,
                    effort: Effort::from_name(&effort).unwrap_or(Effort::Good),
                    keep_paths,
                    sign,
                    // A board's bundle carries its display's two strikes (normal and larger
                    // text); others carry all four, for any display.
                    size_classes: match &board {
                        Some(_) => {
                            let mut c = vec![device.size_class, device.larger_class];
                            c.sort_unstable();
                            c.dedup();
                            c
                        }
                        None => fieldpack::glyphs::SIZE_CLASSES.to_vec(),
                    },
                },
                output: (!to_stdout).then(|| output.clone()),
                exclude,
                epub_chapters,
                select,
                select_titles: match &select_file {
                    Some(f) => fieldpack::input::read_text_file(f, 64 << 20)?
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect(),
                    None => Vec::new(),
                },
                limit,
                max_size,
                file_titles: !no_file_titles,
                rules,
                utf8: if lossy_utf8 {
                    Utf8Policy::Lossy
                } else {
                    Utf8Policy::Strict
                },
                progress: !quiet && std::io::stderr().is_terminal(),
            };
            let (packed, warnings) = build(&inputs, &opts)?;
            let (left_out, warnings) = fieldpack::build::split_left_out(warnings);
            for w in &warnings {
                warn(w);
            }
            if verbose {
                for f in &left_out {
                    eprintln!("left out: {}", fieldpack::input::printable(f));
                }
            } else if !quiet && !left_out.is_empty() {
                eprintln!(
                    "left out {} that {} (.txt, .md, .html, .epub, .zim): -v lists them",
                    fieldpack::input::count(left_out.len(), "file"),
                    if left_out.len() == 1 {
                        "is not an article"
                    } else {
                        "are not articles"
                    }
                );
            }
            for (c, uses) in &packed.missing_glyphs {
                for u in uses {
                    warn(&format!(
                        "no font has U+{:04X} {c:?}: used {} in article {} \"{}\" ({}); shown as \u{FFFD}",
                        *c as u32,
                        fieldpack::input::count(u.count, "time"),
                        u.article,
                        u.title,
                        u.origin
                    ));
                }
            }
            if to_stdout {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                packed
                    .write_to(&mut out)
                    .and_then(|()| std::io::Write::flush(&mut out))
                    .context("cannot write the bundle to standard output")?;
            } else {
                write_atomically_with(&output, |w| packed.write_to(w))?;
            }
            let raw: usize = packed.stats.iter().map(|s| s.raw).sum();
            let summary = fieldpack::build::Summary {
                output: if to_stdout {
                    "standard output".into()
                } else {
                    fieldpack::input::path_text(&output)
                },
                articles: packed.stats.len(),
                text_bytes: raw as u64,
                bundle_bytes: packed.len() as u64,
                ratio: fieldpack::report::ratio(packed.len() as u64, raw as u64),
                left_out: left_out.clone(),
                warnings: warnings.clone(),
            };
            if json {
                print_report(&summary, true, |_| String::new())?;
            } else if !quiet {
                eprintln!(
                    "wrote {}: {}, {} bytes of text in {} bytes ({:.1}%)",
                    summary.output,
                    fieldpack::input::count(summary.articles, "article"),
                    raw,
                    packed.len(),
                    packed.len() as f64 * 100.0 / raw.max(1) as f64
                );
            }
            if let Some(b) = board {
                let max = b.flash.bundle_max() as usize;
                if packed.len() > max {
                    warn(&format!(
                        "the bundle is {} bytes; the {}'s flash holds {max} bytes of bundle (fieldpack uf2 will refuse it): pack fewer articles",
                        packed.len(),
                        b.name
                    ));
                }
            }
            Ok(())
        }
        Command::Uf2 {
            bundle,
            firmware: true,
            output,
            board,
        } => {
            let board = fieldpack::uf2::board(&board)?;
            let bytes = report::read_file(&bundle)?;
            let uf2 = fieldpack::uf2::firmware_uf2(&bytes, &board)
                .with_context(|| fieldpack::input::path_text(&bundle))?;
            write_output(&output, &uf2, "a UF2 file")?;
            if quiet {
                return Ok(());
            }
            eprintln!(
                "wrote {}: the {} firmware ({} blocks)",
                fieldpack::input::path_text(&output),
                board.name,
                uf2.len() / fieldpack::uf2::BLOCK
            );
            Ok(())
        }
        Command::Uf2 {
            bundle,
            firmware: false,
            output,
            board,
        } => {
            let board = fieldpack::uf2::board(&board)?;
            let bytes = report::read_file(&bundle)?;
            let uf2 = fieldpack::uf2::bundle_uf2(&bytes, &board)
                .with_context(|| fieldpack::input::path_text(&bundle))?;
            write_output(&output, &uf2, "a UF2 file")?;
            if quiet {
                return Ok(());
            }
            eprintln!(
                "wrote {}: {} bytes of bundle at {:#010x} of the {} ({} blocks)",
                fieldpack::input::path_text(&output),
                bytes.len(),
                board.flash.bundle_addr,
                board.name,
                uf2.len() / fieldpack::uf2::BLOCK
            );
            Ok(())
        }
        Command::Keygen { name, output } => {
            let (secret, public) = fieldpack::sign::keygen(&name)?;
            let mut pub_path = output.clone().into_os_string();
            pub_path.push(".pub");
            let pub_path = PathBuf::from(pub_path);
            for p in [&output, &pub_path] {
                anyhow::ensure!(
                    std::fs::symlink_metadata(p).is_err(),
                    "{} already exists: not replaced (a lost secret key cannot be made again)",
                    p.display()
                );
            }
            fieldpack::build::write_new_private(&output, secret.as_bytes())?;
            write_atomically(&pub_path, public.as_bytes())?;
            eprintln!(
                "wrote {} (secret: keep it off the devices) and {} (give it to readers)",
                output.display(),
                pub_path.display()
            );
            Ok(())
        }
        Command::List { file, json } => {
            let list = report::list(&file)?;
            print_report(&list, json, report::render_list)?;
            for p in &list.problems {
                eprintln!("{}: damaged: {p}", fieldpack::input::printable(&list.file));
            }
            anyhow::ensure!(list.problems.is_empty(), Damaged);
            Ok(())
        }
        Command::Show {
            file,
            article,
            text,
        } => {
            let a = report::find_article(&file, &article)?;
            let shown = if text {
                fieldpack::blocks::body_to_text(&a.body)
            } else {
                report::article_text(&a)
            };
            let mut out = std::io::stdout().lock();
            std::io::Write::write_all(&mut out, shown.as_bytes())
                .and_then(|()| std::io::Write::flush(&mut out))
                .context("cannot write to standard output")?;
            Ok(())
        }
        Command::Inspect { file, json } => {
            let r = report::inspect(&file)?;
            print_report(&r, json, report::render_inspection)?;
            // What could not be shown is said on standard error, as `verify` says it.
            for p in &r.problems {
                eprintln!("{}: damaged: {p}", fieldpack::input::printable(&r.file));
            }
            anyhow::ensure!(r.problems.is_empty(), Damaged);
            Ok(())
        }
        Command::Verify { file, key, json } => {
            let key = key
                .as_deref()
                .map(fieldpack::sign::read_public)
                .transpose()?;
            let v = report::verify(&file, key.as_ref())?;
            if json || v.ok {
                print_report(&v, json, |v| {
                    format!("{}\n", report::render_verification(v))
                })?;
            } else {
                // Damage is diagnostics: on standard error, as the tool's other errors.
                eprintln!("{}", report::render_verification(&v));
            }
            anyhow::ensure!(v.ok, Damaged);
            Ok(())
        }
        Command::Extract {
            file,
            output,
            overwrite,
        } => {
            anyhow::ensure!(
                !fieldpack::input::is_stdio(&output),
                "extract writes a folder of files: give -o DIR (`fieldpack show` prints one article)"
            );
            let r = report::extract(&file, &output, overwrite)?;
            for p in &r.damaged {
                eprintln!("damaged, not extracted: {p}");
            }
            if !quiet {
                eprintln!(
                    "extracted {} of {} into {}",
                    r.written,
                    fieldpack::input::count(r.written + r.damaged.len(), "article"),
                    fieldpack::input::path_text(&output)
                );
            }
            anyhow::ensure!(r.damaged.is_empty(), Damaged);
            Ok(())
        }
        Command::Sim {
            input,
            card,
            device,
            board,
            keys,
            output: out,
            window,
            scale,
            raw,
            gif,
            gif_delay,
            trust,
            require_signed,
            state,
        } => {
            let profile = match board.as_deref().map(fieldpack::uf2::board).transpose()? {
                Some(b) => fieldpack::pico::profile(&b)?,
                None => profile_named(&device)?,
            };
            let steps = sim::parse_script(&keys)?;
            let scale = if raw {
                1
            } else {
                scale.unwrap_or_else(|| sim::default_scale(&profile))
            };
            if let Some(card) = card {
                let keys: Vec<_> = steps
                    .iter()
                    .map(|s| match s {
                        sim::Step::Key(k) => Ok(*k),
                        sim::Step::Find(_) => Err(anyhow::anyhow!(
                            "find: words need a bundle, not --card (the shelf comes first)"
                        )),
                    })
                    .collect::<Result<_>>()?;
                let image = report::read_file(&card)?;
                let frames = fieldpack::card::run(image, profile, &keys)
                    .with_context(|| fieldpack::input::path_text(&card))?;
                let out = out.context("--out is needed")?;
                let paths = sim::write_frames(&frames, &out, scale)?;
                if let Some(g) = gif {
                    sim::write_gif(&frames, &g, scale, gif_delay)?;
                }
                if !quiet {
                    eprintln!(
                        "wrote {} to {}",
                        fieldpack::input::count(paths.len(), "screenshot"),
                        out.display()
                    );
                }
                return Ok(());
            }
            let input = input.context("a bundle or articles to show")?;
            let bytes = load_or_pack(&input)?;
            // Said here as well as on the simulated screen: the fix is on the host.
            if let Ok(b) = fieldpack_format::Bundle::open(&bytes[..]) {
                let needed = b.window_needed() as usize;
                if needed > profile.window_bytes {
                    let also = if profile.name == "128x64" {
                        ""
                    } else {
                        " (or --device 128x64, which every device reads)"
                    };
                    warn(&format!(
                        "{} needs a {needed}-byte window to read; the {} device has {} bytes, so it will show an error: build it with --device {}{also}",
                        fieldpack::input::path_text(&input),
                        profile.name,
                        profile.window_bytes,
                        profile.name
                    ));
                }
            }
            let trusted: Vec<fieldpack::sign::PublicKeyFile> = trust
                .iter()
                .map(|p| fieldpack::sign::read_public(p))
                .collect::<Result<_>>()?;
            let trust = sim::TrustList::new(&trusted, require_signed);
            if window {
                #[cfg(feature = "window")]
                return sim::interactive(&bytes, profile, scale);
                #[cfg(not(feature = "window"))]
                anyhow::bail!("this fieldpack was built without a window: cargo build --release -p fieldpack --features window (needs SDL2, Debian: libsdl2-dev)");
            }
            let out = out.context("--out is needed")?;
            let mut image = state.as_deref().map(sim::read_state).transpose()?;
            let (keys, finds) =
                sim::expand_script(&bytes, profile, trust.policy(), image.as_deref(), &steps)?;
            for f in &finds {
                eprintln!(
                    "find:{}: {} presses to {}",
                    f.text,
                    f.presses,
                    fieldpack::input::printable(&f.title)
                );
            }
            let frames =
                sim::run_session(&bytes, profile, &keys, trust.policy(), image.as_deref_mut())?;
            if let (Some(path), Some(image)) = (&state, &image) {
                write_atomically(path, image)?;
            }
            let paths = sim::write_frames(&frames, &out, scale)?;
            if let Some(g) = gif {
                sim::write_gif(&frames, &g, scale, gif_delay)?;
            }
            if !quiet {
                eprintln!(
                    "wrote {} to {}",
                    fieldpack::input::count(paths.len(), "screenshot"),
                    out.display()
                );
            }
            Ok(())
        }
        Command::Dev(Dev::Emulate {
            bundle,
            device: display,
            keys,
            output: out,
            board,
            firmware,
            storage,
            scale,
            raw,
            state,
            card,
        }) => {
            let keys = sim::parse_keys(&keys)?;
            let scale_for = |profile: &fieldpack_reader::Profile| {
                if raw {
                    1
                } else {
                    scale.unwrap_or_else(|| sim::default_scale(profile))
                }
            };
            if board != "lm3s6965evb" {
                let board = fieldpack::uf2::board(&board)?;
                let profile = fieldpack::pico::profile(&board)?;
                if let Some(d) = display.as_deref().filter(|d| *d != board.profile) {
                    anyhow::bail!(
                        "the {} has a {} display, not {d} (leave --display out)",
                        board.name,
                        board.profile
                    );
                }
                if storage != "auto" && storage != "flash" {
                    anyhow::bail!("the {} reads its bundle from flash", board.name);
                }
                if let Some(path) = &state {
                    let image = sim::read_state(path)?;
                    if std::fs::symlink_metadata(path).is_err() {
                        write_atomically(path, &image)?;
                    }
                }
                let bytes = report::read_file(&bundle)?;
                let firmware =
                    firmware.unwrap_or_else(|| fieldpack::pico::default_firmware(&board));
                let run = fieldpack::pico::run_with_card(
                    &board,
                    &profile,
                    &firmware,
                    &bytes,
                    &keys,
                    state.as_deref(),
                    card.as_deref(),
                )?;
                let paths = sim::write_frames(&run.frames, &out, scale_for(&profile))?;
                let r = &run.report;
                for t in &r.turns {
                    eprintln!(
                        "{:>6}: {:>10} cycles, {:>7} bus bytes, page turn {:.1} ms",
                        t.key,
                        t.cycles,
                        t.bus_bytes,
                        r.turn_ms(t)
                    );
                }
                eprintln!(
                    "{}: stack-high-water {} bytes, flash {} sectors erased, {} pages programmed",
                    r.board,
                    r.stack_bytes.unwrap_or(0),
                    r.flash.erased_sectors,
                    r.flash.programmed_pages
                );
                if !quiet {
                    eprintln!(
                        "wrote {} to {}",
                        fieldpack::input::count(paths.len(), "screenshot"),
                        out.display()
                    );
                }
                return Ok(());
            }
            if card.is_some() {
                anyhow::bail!("the lm3s6965evb has no card slot: --card takes a Pico board");
            }
            let profile = profile_named(display.as_deref().unwrap_or("320x240"))?;
            let mut extra = Vec::new();
            if let Some(path) = &state {
                // Checked (and made, erased, when missing) as `sim` does.
                let image = sim::read_state(path)?;
                if std::fs::symlink_metadata(path).is_err() {
                    write_atomically(path, &image)?;
                }
                let path = path
                    .canonicalize()
                    .with_context(|| format!("cannot read {}", path.display()))?;
                extra.push(format!("state={}", path.display()));
            }
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            let firmware = firmware.unwrap_or_else(|| emulate::default_firmware(&profile));
            let size = std::fs::metadata(&bundle)
                .with_context(|| format!("cannot read {}", bundle.display()))?
                .len();
            let kind = match storage.as_str() {
                "flash" => emulate::StorageKind::Flash,
                "file" => emulate::StorageKind::File,
                _ if size as usize <= emulate::BUNDLE_FLASH_LEN => emulate::StorageKind::Flash,
                _ => emulate::StorageKind::File,
            };
            let run = emulate::run(&firmware, Some(&bundle), kind, &profile, &keys, &extra)?;
            let paths = sim::write_frames(&run.frames, &out, scale_for(&profile))?;
            eprintln!("{}", run.report);
            if !quiet {
                eprintln!(
                    "wrote {} to {}",
                    fieldpack::input::count(paths.len(), "screenshot"),
                    out.display()
                );
            }
            Ok(())
        }
        Command::Dev(Dev::Footprint {
            bundle,
            board: Some(board),
            firmware,
            json,
        }) => {
            let boards: Vec<fieldpack::uf2::Board> = if board == "all" {
                fieldpack::uf2::BOARDS.to_vec()
            } else {
                vec![fieldpack::uf2::board(&board)?]
            };
            anyhow::ensure!(
                firmware.is_none() || boards.len() == 1,
                "--firmware names one board's image: give --board NAME, not all"
            );
            let bytes = match &bundle {
                Some(p) => report::read_file(p)?,
                None => load_or_pack(&sample_articles()?)?,
            };
            let mut rows = Vec::new();
            for b in &boards {
                let fw = firmware
                    .clone()
                    .unwrap_or_else(|| fieldpack::pico::default_firmware(b));
                rows.push(fieldpack::footprint::measure_board(b, &fw, &bytes)?);
            }
            print_report(&serde_json::json!({ "boards": rows }), json, |_| {
                fieldpack::footprint::board_table(&rows)
            })
        }
        Command::Dev(Dev::Footprint {
            bundle,
            board: None,
            firmware: _,
            json,
        }) => {
            let dir = tempfile::tempdir()?;
            let bundle = match bundle {
                Some(b) => b,
                None => {
                    let p = dir.path().join("sample.fpk");
                    write_atomically(&p, &load_or_pack(&sample_articles()?)?)?;
                    p
                }
            };
            let mut rows = Vec::new();
            for profile in fieldpack_reader::PROFILES {
                let fw = emulate::default_firmware(&profile);
                rows.push(fieldpack::footprint::measure(&profile, &fw, &bundle)?);
            }
            print_report(&serde_json::json!({ "profiles": rows }), json, |_| {
                fieldpack::footprint::table(&rows)
            })
        }
        Command::Dev(Dev::Bench {
            inputs,
            device,
            json,
            no_device_cost,
            scale,
        }) => {
            if let Some(n) = scale {
                let r = fieldpack::scale::run(&inputs, n as usize)?;
                return print_report(&r, json, fieldpack::scale::render);
            }
            let device = profile_named(&device)?;
            let r = fieldpack::bench::run(&inputs, &device, !no_device_cost)?;
            print_report(&r, json, fieldpack::bench::render)
        }
        Command::Dev(Dev::DeviceOp {
            op,
            bundle,
            device,
            article,
            prefix,
        }) => {
            let bytes = report::read_file(&bundle)?;
            fieldpack::bench::device_op(&bytes, profile_named(&device)?, &op, article, &prefix)
        }
        Command::Rules => {
            print!("{DEFAULT_RULES}");
            Ok(())
        }
        Command::Completions { shell } => {
            // The commands a person types: the hidden ones (run by `dev bench`) are left out.
            let mut typed = without_hidden(&<Cli as clap::CommandFactory>::command());
            clap_complete::generate(shell, &mut typed, "fieldpack", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { output: out } => {
            std::fs::create_dir_all(&out).with_context(|| fieldpack::input::path_text(&out))?;
            let cmd = <Cli as clap::CommandFactory>::command();
            // A page for the tool and one for each command, nested ones included
            // (fieldpack-dev-emulate.1), each named as man(1) finds it and showing the
            // command as typed.
            let mut pages = vec![("fieldpack".to_string(), cmd.clone())];
            let mut todo: Vec<(String, clap::Command)> = vec![("fieldpack".into(), cmd)];
            while let Some((path, parent)) = todo.pop() {
                for c in parent.get_subcommands().filter(|c| !c.is_hide_set()) {
                    let typed = format!("{path} {}", c.get_name());
                    let page = c.clone().name(typed.clone()).bin_name(typed.clone());
                    pages.push((typed.replace(' ', "-"), page.clone()));
                    todo.push((typed, c.clone()));
                }
            }
            for (name, page) in &pages {
                let mut bytes = Vec::new();
                clap_mangen::Man::new(page.clone())
                    .title(name.clone())
                    .render(&mut bytes)?;
                write_atomically(&out.join(format!("{name}.1")), &bytes)?;
            }
            if !quiet {
                eprintln!(
                    "wrote {} to {}",
                    fieldpack::input::count(pages.len(), "manual page"),
                    fieldpack::input::path_text(&out)
                );
            }
            Ok(())
        }
    }
}

/// `cmd` with its hidden subcommands left out, at every depth.
fn without_hidden(cmd: &clap::Command) -> clap::Command {
    let visible: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(without_hidden)
        .collect();
    // Rebuilt with the visible subcommands only: clap has no way to remove one.
    let mut out = clap::Command::new(cmd.get_name().to_string())
        .args(cmd.get_arguments().cloned())
        .subcommands(visible);
    if let Some(v) = cmd.get_version() {
        out = out.version(v.to_string());
    }
    if let Some(a) = cmd.get_about() {
        out = out.about(a.clone());
    }
    out
}

/// A report that has already said what is damaged: exit non-zero without another message.
#[derive(Debug)]
struct Damaged;

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("damage found")
    }
}

impl std::error::Error for Damaged {}

fn main() -> ExitCode {
    fieldpack::build::remove_temporary_files_on_interrupt();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Damaged>() => ExitCode::FAILURE,
        Err(e) => {
            error(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}
