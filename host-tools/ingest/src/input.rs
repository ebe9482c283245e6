//! Reading files the user names, safely: only regular files, never more than a limit, and a
//! FIFO or a device never opened for a blocking read.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// `n` and a noun, the noun in the plural unless `n` is 1 ("1 article", "2 articles").
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Largest article file read, in bytes: far above any real article (the longest Wikipedia
/// pages are a few MB of HTML), far below what would exhaust a laptop's memory.
pub const MAX_ARTICLE_FILE: u64 = 64 << 20;

/// Largest EPUB book read (illustrated books are big; their text is a small part).
pub const MAX_BOOK_FILE: u64 = 256 << 20;

/// Largest bundle file read: the format's own limit (offsets are 32-bit).
pub const MAX_BUNDLE_FILE: u64 = u32::MAX as u64;

/// What a path is, in words, for a file that is not a regular one.
fn kind_words(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a folder"
    } else if ft.is_fifo() {
        "a named pipe (FIFO)"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Whether a path given on the command line means standard input or output (`-`).
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads a regular file whole, refusing anything else and anything over `limit` bytes.
///
/// The file is opened without blocking (so a FIFO cannot hang the tool) and checked through
/// the open handle (so it cannot be swapped between the check and the read).
pub fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "{}: {}, not a regular file: refused",
            path.display(),
            kind_words(meta.file_type())
        );
    }
    if meta.len() > limit {
        bail!(
            "{}: {} bytes, over the limit of {} bytes",
            path.display(),
            meta.len(),
            limit
        );
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow while it is read: the limit holds whatever its size said.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{}: grew past the limit of {limit} bytes while it was read",
            path.display()
        );
    }
    Ok(bytes)
}

/// Reads a small regular text file (a key, a rules file) as UTF-8.
pub fn read_text_file(path: &Path, limit: u64) -> Result<String> {
    let bytes = read_regular_file(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: invalid UTF-8 at byte offset {}",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Whether two paths name the same file (same device and inode).
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Text safe to print on a terminal: control characters (escape sequences among them) shown as
/// `\u{..}` escapes instead of being obeyed.
pub fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// A path as text safe to print and to store: invalid UTF-8 bytes as `\xNN` (so two different
/// names never become one), control characters escaped.
pub fn path_text(p: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = p.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&printable(chunk.valid()));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bad_bytes() {
        assert_eq!(printable("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(printable("ok ü"), "ok ü");
        use std::os::unix::ffi::OsStrExt;
        let a = Path::new(std::ffi::OsStr::from_bytes(b"x\xff.txt"));
        let b = Path::new(std::ffi::OsStr::from_bytes(b"x\xfe.txt"));
        assert_ne!(path_text(a), path_text(b));
        assert_eq!(path_text(a), "x\\xFF.txt");
    }
}
