//! Chunk compression: several raw-deflate encoders, a preset dictionary trained from the
//! articles, and for each chunk the smallest output that the device's decoder reads back
//! exactly.

use std::collections::{HashMap, HashSet};

use fieldpack_format::layout::MAX_EXPANSION;
use fieldpack_format::Codec;
use flate2::{Compress, Compression, FlushCompress, Status};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// zopfli's iterations per block: past a few, each saves little and costs as much as the first.
pub const ZOPFLI_ITERATIONS: u64 = 5;

/// How hard to try.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effort {
    /// miniz_oxide's best level and zlib's best with the dictionary: fastest.
    Fast,
    /// Also libdeflate's near-optimal parsing (level 12), with the dictionary too: within a
    /// quarter percent of zopfli without a dictionary, at ten times zopfli's speed.
    Good,
    /// Also zopfli's near-optimal parsing and block splitting, with the dictionary as history:
    /// the smallest bundles, many times slower.
    Best,
}

impl Effort {
    /// The effort of a `--effort` value.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "fast" => Some(Effort::Fast),
            "good" => Some(Effort::Good),
            "best" => Some(Effort::Best),
            _ => None,
        }
    }

    /// Its `--effort` value.
    pub const fn name(self) -> &'static str {
        match self {
            Effort::Fast => "fast",
            Effort::Good => "good",
            Effort::Best => "best",
        }
    }
}

/// Compresses chunks with a fixed dictionary and effort.
pub struct ChunkCompressor {
    dict: Vec<u8>,
    effort: Effort,
    zopfli_iterations: u64,
    /// Length of zopfli's stream of the dictionary alone: the same for every chunk.
    dict_stream_len: Option<usize>,
}

/// Bytes of raw deflate produced by zopfli for `data` after `history` (which is not output).
///
/// zopfli has no preset-dictionary API, but its streaming encoder compresses each part with the
/// earlier parts as history. Given the dictionary then the chunk, it emits the dictionary's
/// blocks and then the chunk's; the chunk's blocks start at a bit offset that lies within the
/// last byte or two of the dictionary-only stream. Each candidate offset is tried and the one
/// whose bits decode to the chunk is kept.
fn zopfli_with_history(
    history: &[u8],
    history_stream_len: Option<usize>,
    data: &[u8],
    iterations: u64,
) -> Option<Vec<u8>> {
    let opts = zopfli::Options {
        iteration_count: std::num::NonZeroU64::new(iterations.max(1))?,
        ..zopfli::Options::default()
    };
    let encode = |parts: &[&[u8]]| -> Option<Vec<u8>> {
        let mut out = Vec::new();
        {
            let mut enc = zopfli::DeflateEncoder::new(opts, zopfli::BlockType::Dynamic, &mut out);
            for p in parts {
                std::io::Write::write_all(&mut enc, p).ok()?;
            }
            enc.finish().ok()?;
        }
        Some(out)
    };
    if history.is_empty() {
        return encode(&[data]);
    }
    let both = encode(&[history, data])?;
    let prefix_len = match history_stream_len {
        Some(n) => n,
        None => encode(&[history])?.len(),
    };
    // The dictionary-only stream ends at the same bit as the dictionary's blocks in `both`,
    // padded to a byte: the chunk's blocks start in its last byte (or right after it).
    let first = prefix_len.saturating_sub(2) * 8;
    for bit in first..=prefix_len * 8 {
        let mut shifted = shift_bits(&both, bit);
        // The shifted stream may end with a byte of padding bits only.
        for _ in 0..2 {
            if decodes_to(&shifted, history, data) {
                return Some(shifted);
            }
            shifted.pop();
        }
    }
    None
}

/// The bits of `data` from bit `start` on (LSB-first, as deflate packs them), realigned to 0.
fn shift_bits(data: &[u8], start: usize) -> Vec<u8> {
    let (byte, bit) = (start / 8, start % 8);
    let src = data.get(byte..).unwrap_or(&[]);
    if bit == 0 {
        return src.to_vec();
    }
    (0..src.len())
        .map(|i| {
            let lo = src[i] >> bit;
            let hi = src.get(i + 1).map_or(0, |&b| b << (8 - bit));
            lo | hi
        })
        .collect()
}

/// Whether raw deflate `stream`, decoded after `dict` as the device does, gives `want`.
pub fn decodes_to(stream: &[u8], dict: &[u8], want: &[u8]) -> bool {
    let mut out = vec![0u8; dict.len() + want.len() + 1];
    out[..dict.len()].copy_from_slice(dict);
    let mut state = Box::new(DecompressorOxide::new());
    let (status, used, produced) = decompress(
        &mut state,
        stream,
        &mut out,
        dict.len(),
        inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
    );
    status == TINFLStatus::Done
        && produced == want.len()
        && &out[dict.len()..dict.len() + want.len()] == want
        // The device refuses streams with bytes after their end.
        && used == stream.len()
}

thread_local! {
    /// One zlib state per thread, reset between chunks: a new one per chunk costs a few hundred
    /// KiB of allocation each time, and a long build's heap fragments around them.
    static ZLIB: std::cell::RefCell<Compress> = std::cell::RefCell::new(Compress::new(Compression::best(), false));
}

thread_local! {
    /// One libdeflate compressor per thread (its level-12 state is a few hundred KiB).
    static LIBDEFLATE: std::cell::RefCell<Option<libdeflater::Compressor>> =
        const { std::cell::RefCell::new(None) };
}

/// Raw deflate of `data` by libdeflate at its highest level (no dictionary: it has no API for
/// one).
fn libdeflate_best(data: &[u8]) -> Option<Vec<u8>> {
    LIBDEFLATE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let c = match cell.as_mut() {
            Some(c) => c,
            None => cell.insert(libdeflater::Compressor::new(
                libdeflater::CompressionLvl::best(),
            )),
        };
        let mut out = vec![0u8; c.deflate_compress_bound(data.len())];
        let n = c.deflate_compress(data, &mut out).ok()?;
        out.truncate(n);
        Some(out)
    })
}

fn zlib_with_dict(dict: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    ZLIB.with(|z| {
        let mut c = z.borrow_mut();
        c.reset();
        zlib_stream(&mut c, dict, data)
    })
}

fn zlib_stream(c: &mut Compress, dict: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    if !dict.is_empty() {
        c.set_dictionary(dict).ok()?;
    }
    let mut out = Vec::with_capacity(data.len() + 64);
    loop {
        let before = c.total_in() as usize;
        let status = c
            .compress_vec(
                &data[before.min(data.len())..],
                &mut out,
                FlushCompress::Finish,
            )
            .ok()?;
        match status {
            Status::StreamEnd => return Some(out),
            _ => out.reserve(out.capacity().max(256)),
        }
    }
}

impl ChunkCompressor {
    /// A compressor with `dict` as the bundle's dictionary (may be empty).
    pub fn new(dict: Vec<u8>, effort: Effort) -> Self {
        let zopfli_iterations = std::env::var("FIELDPACK_ZOPFLI_ITERATIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(ZOPFLI_ITERATIONS);
        let dict_stream_len = (effort == Effort::Best && !dict.is_empty())
            .then(|| zopfli_with_history(&[], None, &dict, zopfli_iterations).map(|s| s.len()))
            .flatten();
        ChunkCompressor {
            dict,
            effort,
            zopfli_iterations,
            dict_stream_len,
        }
    }

    /// The smallest encoding of `raw` that decodes back exactly.
    pub fn compress(&self, raw: &[u8]) -> (Codec, Vec<u8>) {
        let mut best = (Codec::Stored, raw.to_vec());
        let mut consider = |codec: Codec, data: Option<Vec<u8>>| {
            if let Some(d) = data {
                let dict: &[u8] = if codec == Codec::DeflateDict {
                    &self.dict
                } else {
                    &[]
                };
                // A reader refuses chunks that expand more than MAX_EXPANSION times: text that
                // repetitive (never a real article's) is stored instead.
                let within = (d.len() as u64) * u64::from(MAX_EXPANSION) >= raw.len() as u64;
                if within && d.len() < best.1.len() && decodes_to(&d, dict, raw) {
                    best = (codec, d);
                }
            }
        };
        consider(
            Codec::Deflate,
            Some(miniz_oxide::deflate::compress_to_vec(raw, 10)),
        );
        if !self.dict.is_empty() {
            consider(Codec::DeflateDict, zlib_with_dict(&self.dict, raw));
        }
        if self.effort >= Effort::Good {
            consider(Codec::Deflate, libdeflate_best(raw));
            if !self.dict.is_empty() {
                // libdeflate has no dictionary API: it parses dictionary and chunk as one text,
                // and the chunk's part is written out again on its own.
                consider(
                    Codec::DeflateDict,
                    crate::deflate::with_history(&self.dict, raw, libdeflate_best),
                );
            }
        }
        if self.effort == Effort::Best {
            // With a dictionary, zopfli without it almost never wins: one run, not two.
            if self.dict.is_empty() {
                consider(
                    Codec::Deflate,
                    zopfli_with_history(&[], None, raw, self.zopfli_iterations),
                );
            } else {
                consider(
                    Codec::DeflateDict,
                    zopfli_with_history(
                        &self.dict,
                        self.dict_stream_len,
                        raw,
                        self.zopfli_iterations,
                    ),
                );
            }
        }
        // Encoders allocate for the worst case; a build keeps every chunk until it is written.
        best.1.shrink_to_fit();
        best
    }
}

/// Hashes 8-byte pieces (already well mixed text) with one multiplication: SipHash was most of
/// the training's time.
#[derive(Default, Clone, Copy)]
struct PieceHasher(u64);

impl std::hash::Hasher for PieceHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (x ^ (x >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

type PieceHash = std::hash::BuildHasherDefault<PieceHasher>;

/// Trains a preset dictionary of at most `size` bytes from the article bodies: the passages
/// whose 8-byte pieces recur in the most articles, the most useful last (nearest the text, so
/// that references to them are shortest).
pub fn train_dictionary(bodies: &[&str], size: usize) -> Vec<u8> {
    const K: usize = 8;
    const SEG: usize = 48;
    if size == 0 || bodies.len() < 2 {
        return Vec::new();
    }
    let piece = |b: &[u8], i: usize| -> u64 {
        let mut k = [0u8; K];
        k.copy_from_slice(&b[i..i + K]);
        u64::from_le_bytes(k)
    };
    // In how many articles each 8-byte piece occurs.
    let mut df: HashMap<u64, u32, PieceHash> = HashMap::default();
    let mut seen: HashSet<u64, PieceHash> = HashSet::default();
    for b in bodies {
        let b = b.as_bytes();
        seen.clear();
        for i in (0..b.len().saturating_sub(K)).step_by(2) {
            let p = piece(b, i);
            if seen.insert(p) {
                *df.entry(p).or_insert(0) += 1;
            }
        }
    }
    // Candidate passages, scored by how widely their pieces recur.
    let mut cands: Vec<(u64, &[u8])> = Vec::new();
    for b in bodies {
        let b = b.as_bytes();
        let mut i = 0;
        while i + SEG <= b.len() {
            let seg = &b[i..i + SEG];
            let score: u64 = (0..SEG - K)
                .step_by(2)
                .map(|j| {
                    u64::from(
                        df.get(&piece(seg, j))
                            .copied()
                            .unwrap_or(0)
                            .saturating_sub(1),
                    )
                })
                .sum();
            if score > 0 {
                cands.push((score, seg));
            }
            i += SEG / 2;
        }
    }
    // Highest score first; ties by bytes, so the dictionary is deterministic.
    cands.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let mut covered: HashSet<u64, PieceHash> = HashSet::default();
    let mut picked: Vec<&[u8]> = Vec::new();
    let mut total = 0;
    for (_, seg) in cands {
        let pieces: Vec<u64> = (0..SEG - K).step_by(2).map(|j| piece(seg, j)).collect();
        let new = pieces.iter().filter(|p| !covered.contains(*p)).count();
        if new * 2 < pieces.len() {
            continue;
        }
        covered.extend(pieces);
        picked.push(seg);
        total += seg.len();
        if total >= size {
            break;
        }
    }
    // Most useful last.
    let mut dict: Vec<u8> = picked
        .iter()
        .rev()
        .flat_map(|s| s.iter().copied())
        .collect();
    if dict.len() > size {
        dict.drain(..dict.len() - size);
    }
    dict
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "The jury said it did find that many of the registration and election laws are outmoded or inadequate and often ambiguous. The jury said the city should act.";

    #[test]
    fn every_candidate_decodes_and_the_dictionary_helps() {
        let dict =
            b"the registration and election laws are outmoded or inadequate and often ambiguous"
                .to_vec();
        let plain = ChunkCompressor::new(Vec::new(), Effort::Best).compress(TEXT.as_bytes());
        let with = ChunkCompressor::new(dict.clone(), Effort::Best).compress(TEXT.as_bytes());
        assert_eq!(with.0, Codec::DeflateDict);
        assert!(
            with.1.len() < plain.1.len(),
            "{} vs {}",
            with.1.len(),
            plain.1.len()
        );
        assert!(decodes_to(&with.1, &dict, TEXT.as_bytes()));
        assert!(decodes_to(&plain.1, &[], TEXT.as_bytes()));
    }

    #[test]
    fn each_effort_is_no_bigger_and_libdeflate_decodes_on_the_device() {
        let article = include_str!("../../../assets/articles/000_ac89483567ee3ac3.txt").as_bytes();
        let ld = libdeflate_best(article).expect("libdeflate");
        assert!(decodes_to(&ld, &[], article));
        let sizes: Vec<usize> = [Effort::Fast, Effort::Good, Effort::Best]
            .iter()
            .map(|&e| {
                let (_, data) = ChunkCompressor::new(Vec::new(), e).compress(article);
                assert!(decodes_to(&data, &[], article));
                data.len()
            })
            .collect();
        assert!(sizes.windows(2).all(|w| w[1] <= w[0]), "{sizes:?}");
        // Near-optimal parsing beats miniz_oxide's lazy matching on real prose.
        assert!(sizes[1] < sizes[0], "{sizes:?}");
    }

    #[test]
    fn zopfli_after_a_dictionary_is_cut_out_exactly() {
        let dict = TEXT.as_bytes();
        let data = b"The jury said many of the laws are outmoded, inadequate and often ambiguous.";
        let s = zopfli_with_history(dict, None, data, 3).expect("found the chunk's bits");
        assert!(decodes_to(&s, dict, data));
    }

    #[test]
    fn incompressible_chunks_are_stored() {
        let noise: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(
            ChunkCompressor::new(Vec::new(), Effort::Fast)
                .compress(&noise)
                .0,
            Codec::Stored
        );
    }

    #[test]
    fn training_is_deterministic_and_bounded() {
        let bodies = [
            "the cat sat on the mat and the dog sat on the log",
            "the cat sat on the mat again, and the dog sat on the log again",
            "a cat sat on the mat; the dog sat on the log",
        ];
        let a = train_dictionary(&bodies, 40);
        assert_eq!(a, train_dictionary(&bodies, 40));
        assert!(!a.is_empty() && a.len() <= 40);
    }
}
