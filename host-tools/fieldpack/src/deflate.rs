//! A raw deflate stream taken apart into its symbols and put together again: how an encoder
//! without a preset-dictionary API (libdeflate) can still compress a chunk against the
//! bundle's dictionary. It compresses dictionary and chunk as one text; the chunk's symbols are
//! kept (their matches may reach back into the dictionary, as the device's window allows) and
//! written as one block with Huffman codes of their own.

/// One LZ77 symbol of a deflate stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sym {
    /// A byte as it is.
    Literal(u8),
    /// A copy of `len` bytes from `dist` bytes back.
    Match {
        /// 3 to 258.
        len: u16,
        /// 1 to 32768.
        dist: u16,
    },
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order code-length code lengths are sent in (RFC 1951, 3.2.7).
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let b = (byte >> (self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(b))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v = 0;
        for i in 0..n {
            v |= self.bit()? << i;
        }
        Some(v)
    }
}

/// A canonical Huffman code for decoding: counts per length and symbols in code order.
struct Decoder {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Decoder {
    fn new(lengths: &[u8]) -> Self {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[usize::from(l)] += 1;
        }
        counts[0] = 0;
        let mut offsets = [0u16; 16];
        for l in 1..15 {
            offsets[l + 1] = offsets[l] + counts[l];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[usize::from(offsets[usize::from(l)])] = s as u16;
                offsets[usize::from(l)] += 1;
            }
        }
        Decoder { counts, symbols }
    }

    fn decode(&self, r: &mut BitReader) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= r.bit()? as i32;
            let count = i32::from(self.counts[len]);
            if code - count < first {
                return self.symbols.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

fn fixed_lengths() -> (Vec<u8>, Vec<u8>) {
    let mut lit = vec![8u8; 288];
    lit[144..256].fill(9);
    lit[256..280].fill(7);
    (lit, vec![5u8; 30])
}

/// The symbols of a raw deflate stream, or `None` if it is not one.
pub fn symbols(stream: &[u8]) -> Option<Vec<Sym>> {
    let mut r = BitReader {
        data: stream,
        pos: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = r.bit()? == 1;
        match r.bits(2)? {
            0 => {
                r.pos = r.pos.next_multiple_of(8);
                let len = r.bits(16)?;
                let nlen = r.bits(16)?;
                if len != !nlen & 0xFFFF {
                    return None;
                }
                for _ in 0..len {
                    out.push(Sym::Literal(r.bits(8)? as u8));
                }
            }
            kind @ (1 | 2) => {
                let (lit, dist) = if kind == 1 {
                    fixed_lengths()
                } else {
                    let hlit = r.bits(5)? as usize + 257;
                    let hdist = r.bits(5)? as usize + 1;
                    let hclen = r.bits(4)? as usize + 4;
                    let mut cl = [0u8; 19];
                    for &i in CL_ORDER.iter().take(hclen) {
                        cl[i] = r.bits(3)? as u8;
                    }
                    let cl = Decoder::new(&cl);
                    let mut lengths: Vec<u8> = Vec::with_capacity(hlit + hdist);
                    while lengths.len() < hlit + hdist {
                        match cl.decode(&mut r)? {
                            s @ 0..=15 => lengths.push(s as u8),
                            16 => {
                                let prev = *lengths.last()?;
                                let n = 3 + r.bits(2)?;
                                lengths.extend(std::iter::repeat_n(prev, n as usize));
                            }
                            17 => lengths.extend(std::iter::repeat_n(0, 3 + r.bits(3)? as usize)),
                            _ => lengths.extend(std::iter::repeat_n(0, 11 + r.bits(7)? as usize)),
                        }
                    }
                    let dist = lengths.split_off(hlit);
                    (lengths, dist)
                };
                let (lit, dist) = (Decoder::new(&lit), Decoder::new(&dist));
                loop {
                    let s = lit.decode(&mut r)?;
                    match s {
                        0..=255 => out.push(Sym::Literal(s as u8)),
                        256 => break,
                        _ => {
                            let i = usize::from(s - 257);
                            let len = *LEN_BASE.get(i)? + r.bits(u32::from(LEN_EXTRA[i]))? as u16;
                            let d = usize::from(dist.decode(&mut r)?);
                            let dist =
                                *DIST_BASE.get(d)? + r.bits(u32::from(DIST_EXTRA[d]))? as u16;
                            out.push(Sym::Match { len, dist });
                        }
                    }
                }
            }
            _ => return None,
        }
        if last {
            return Some(out);
        }
    }
}

/// The symbols that make the text from byte `start` on: those wholly before it are dropped,
/// and a match that runs across it keeps the part after it.
pub fn symbols_from(all: &[Sym], start: usize) -> Vec<Sym> {
    let mut at = 0usize;
    let mut out = Vec::new();
    for &s in all {
        let len = match s {
            Sym::Literal(_) => 1,
            Sym::Match { len, .. } => usize::from(len),
        };
        if at >= start {
            out.push(s);
        } else if at + len > start {
            if let Sym::Match { dist, .. } = s {
                // The same copy from the same distance, shortened; too short for a match, the
                // bytes are sent as they are (the caller knows them: the text at those places).
                let rest = at + len - start;
                out.push(Sym::Match {
                    len: rest as u16,
                    dist,
                });
            }
        }
        at += len;
    }
    out
}

struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, bits: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// Huffman codes go most significant bit first.
    fn put_code(&mut self, code: u32, len: u8) {
        let rev = code.reverse_bits() >> (32 - u32::from(len));
        self.put(rev, u32::from(len));
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Code lengths of at most `limit` bits for `freq` (zero for unused symbols).
fn code_lengths(freq: &[u32], limit: u8) -> Vec<u8> {
    let mut f: Vec<u64> = freq.iter().map(|&x| u64::from(x)).collect();
    loop {
        let lengths = huffman_lengths(&f);
        if lengths.iter().all(|&l| l <= limit) {
            return lengths;
        }
        // Flatten the distribution and try again: rare symbols get shorter codes.
        for x in f.iter_mut().filter(|x| **x > 0) {
            *x = (*x >> 1).max(1);
        }
    }
}

fn huffman_lengths(freq: &[u64]) -> Vec<u8> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let used: Vec<usize> = (0..freq.len()).filter(|&i| freq[i] > 0).collect();
    let mut lengths = vec![0u8; freq.len()];
    match used.len() {
        0 => return lengths,
        1 => {
            lengths[used[0]] = 1;
            return lengths;
        }
        _ => {}
    }
    // Nodes: leaves first, then internal nodes; parent links give the depths.
    let mut parent: Vec<usize> = vec![usize::MAX; used.len()];
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = used
        .iter()
        .enumerate()
        .map(|(node, &s)| Reverse((freq[s], node)))
        .collect();
    while heap.len() > 1 {
        let (Some(Reverse((fa, a))), Some(Reverse((fb, b)))) = (heap.pop(), heap.pop()) else {
            break;
        };
        let node = parent.len();
        parent.push(usize::MAX);
        parent[a] = node;
        parent[b] = node;
        heap.push(Reverse((fa + fb, node)));
    }
    for (leaf, &s) in used.iter().enumerate() {
        let mut depth = 0u8;
        let mut n = leaf;
        while parent[n] != usize::MAX {
            n = parent[n];
            depth = depth.saturating_add(1);
        }
        lengths[s] = depth;
    }
    lengths
}

/// Canonical codes for `lengths` (RFC 1951, 3.2.2).
fn canonical(lengths: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 16];
    for &l in lengths {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 16];
    let mut code = 0;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                0
            } else {
                let c = next[usize::from(l)];
                next[usize::from(l)] += 1;
                c
            }
        })
        .collect()
}

fn len_code(len: u16) -> usize {
    LEN_BASE.iter().rposition(|&b| b <= len).unwrap_or(0)
}

fn dist_code(dist: u16) -> usize {
    DIST_BASE.iter().rposition(|&b| b <= dist).unwrap_or(0)
}

/// `syms` as one final dynamic-Huffman deflate block. Matches shorter than 3 bytes must not be
/// among them.
pub fn encode(syms: &[Sym]) -> Vec<u8> {
    let mut lit_freq = vec![0u32; 286];
    let mut dist_freq = vec![0u32; 30];
    lit_freq[256] = 1;
    for s in syms {
        match *s {
            Sym::Literal(b) => lit_freq[usize::from(b)] += 1,
            Sym::Match { len, dist } => {
                lit_freq[257 + len_code(len)] += 1;
                dist_freq[dist_code(dist)] += 1;
            }
        }
    }
    // A code of one symbol is incomplete, which decoders may refuse: give each code two.
    if lit_freq.iter().filter(|&&f| f > 0).count() < 2 {
        lit_freq[0] = lit_freq[0].max(1);
    }
    if dist_freq.iter().filter(|&&f| f > 0).count() < 2 {
        for f in dist_freq.iter_mut().take(2) {
            *f = (*f).max(1);
        }
    }
    let lit_len = code_lengths(&lit_freq, 15);
    let dist_len = code_lengths(&dist_freq, 15);
    let hlit = lit_len
        .iter()
        .rposition(|&l| l > 0)
        .map_or(257, |i| i + 1)
        .max(257);
    let hdist = dist_len
        .iter()
        .rposition(|&l| l > 0)
        .map_or(1, |i| i + 1)
        .max(1);

    // The two length lists, run-length coded with the code-length alphabet.
    let all: Vec<u8> = lit_len[..hlit]
        .iter()
        .chain(&dist_len[..hdist])
        .copied()
        .collect();
    let mut rle: Vec<(u8, u32, u32)> = Vec::new(); // (symbol, extra value, extra bits)
    let mut i = 0;
    while i < all.len() {
        let l = all[i];
        let mut run = 1;
        while i + run < all.len() && all[i + run] == l {
            run += 1;
        }
        let mut left = run;
        if l == 0 {
            while left >= 11 {
                let n = left.min(138);
                rle.push((18, (n - 11) as u32, 7));
                left -= n;
            }
            if left >= 3 {
                rle.push((17, (left - 3) as u32, 3));
                left = 0;
            }
        } else {
            rle.push((l, 0, 0));
            left -= 1;
            while left >= 3 {
                let n = left.min(6);
                rle.push((16, (n - 3) as u32, 2));
                left -= n;
            }
        }
        for _ in 0..left {
            rle.push((l, 0, 0));
        }
        i += run;
    }
    let mut cl_freq = vec![0u32; 19];
    for &(s, _, _) in &rle {
        cl_freq[usize::from(s)] += 1;
    }
    let cl_len = code_lengths(&cl_freq, 7);
    let hclen = CL_ORDER
        .iter()
        .rposition(|&s| cl_len[s] > 0)
        .map_or(4, |i| i + 1)
        .max(4);

    let (lit_code, dist_code_tab, cl_code) = (
        canonical(&lit_len),
        canonical(&dist_len),
        canonical(&cl_len),
    );
    let mut w = BitWriter {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    w.put(1, 1); // final block
    w.put(2, 2); // dynamic Huffman codes
    w.put((hlit - 257) as u32, 5);
    w.put((hdist - 1) as u32, 5);
    w.put((hclen - 4) as u32, 4);
    for &s in CL_ORDER.iter().take(hclen) {
        w.put(u32::from(cl_len[s]), 3);
    }
    for &(s, extra, bits) in &rle {
        w.put_code(cl_code[usize::from(s)], cl_len[usize::from(s)]);
        if bits > 0 {
            w.put(extra, bits);
        }
    }
    for s in syms {
        match *s {
            Sym::Literal(b) => w.put_code(lit_code[usize::from(b)], lit_len[usize::from(b)]),
            Sym::Match { len, dist } => {
                let lc = len_code(len);
                w.put_code(lit_code[257 + lc], lit_len[257 + lc]);
                w.put(u32::from(len - LEN_BASE[lc]), u32::from(LEN_EXTRA[lc]));
                let dc = dist_code(dist);
                w.put_code(dist_code_tab[dc], dist_len[dc]);
                w.put(u32::from(dist - DIST_BASE[dc]), u32::from(DIST_EXTRA[dc]));
            }
        }
    }
    w.put_code(lit_code[256], lit_len[256]);
    w.finish()
}

/// A raw deflate stream of `data` whose matches may reach into `history` (placed right before
/// it, as a preset dictionary is): `compress` encodes `history` and `data` as one text, and the
/// symbols that make `data` are written again as a stream of their own.
pub fn with_history(
    history: &[u8],
    data: &[u8],
    compress: impl Fn(&[u8]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let mut both = Vec::with_capacity(history.len() + data.len());
    both.extend_from_slice(history);
    both.extend_from_slice(data);
    let syms = symbols(&compress(&both)?)?;
    let mut tail = symbols_from(&syms, history.len());
    // A match cut to one or two bytes is not a match: send those bytes as literals.
    let mut at = 0usize;
    let mut fixed = Vec::with_capacity(tail.len());
    for s in tail.drain(..) {
        match s {
            Sym::Match { len, .. } if len < 3 => {
                for k in 0..usize::from(len) {
                    fixed.push(Sym::Literal(*data.get(at + k)?));
                }
                at += usize::from(len);
            }
            Sym::Match { len, .. } => {
                at += usize::from(len);
                fixed.push(s);
            }
            Sym::Literal(_) => {
                at += 1;
                fixed.push(s);
            }
        }
    }
    (at == data.len()).then(|| encode(&fixed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::decodes_to;

    #[test]
    fn symbols_round_trip_through_our_encoder() {
        let text = include_str!("../../../assets/articles/000_ac89483567ee3ac3.txt").as_bytes();
        let stream = miniz_oxide::deflate::compress_to_vec(text, 10);
        let syms = symbols(&stream).expect("parses");
        let again = encode(&syms);
        assert!(decodes_to(&again, &[], text));
        assert_eq!(symbols(&again), Some(syms));
    }

    #[test]
    fn a_chunk_cut_out_of_dictionary_and_chunk_decodes_after_the_dictionary() {
        let text = include_str!("../../../assets/articles/000_ac89483567ee3ac3.txt").as_bytes();
        let (dict, data) = text.split_at(2000);
        let data = &data[..3000];
        let lazy = |d: &[u8]| Some(miniz_oxide::deflate::compress_to_vec(d, 10));
        let s = with_history(dict, data, lazy).expect("encodes");
        assert!(decodes_to(&s, dict, data));
        // Reaching into the dictionary pays: smaller than the chunk alone.
        let alone = miniz_oxide::deflate::compress_to_vec(data, 10);
        assert!(s.len() < alone.len(), "{} vs {}", s.len(), alone.len());
    }

    #[test]
    fn stored_and_fixed_blocks_parse() {
        let text = b"abcabcabcabc hello hello hello";
        for level in [0, 1] {
            let stream = miniz_oxide::deflate::compress_to_vec(text, level);
            let syms = symbols(&stream).expect("parses");
            assert!(decodes_to(&encode(&syms), &[], text));
        }
        assert_eq!(symbols(&[0xFF, 0xFF]), None);
    }

    #[test]
    fn garbage_is_refused_not_a_panic() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for n in 0..3000 {
            let bytes: Vec<u8> = (0..n % 97)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            if let Some(syms) = symbols(&bytes) {
                // Whatever parses can be written again.
                let _ = encode(&syms);
            }
        }
    }
}
