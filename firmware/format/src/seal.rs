//! Signed bundles: an Ed25519 signature over the root of a SHA-256 hash tree of the bundle's
//! blocks. A reader checks the signature once when it opens a bundle, then each block it reads
//! against the tree, so a signed bundle never shows a byte its publisher did not sign, and
//! opening one costs the same for 10 articles or 100,000.
//!
//! `SPEC.md` ("Signed bundles") describes the same bytes in prose.

use sha2::{Digest, Sha256};

use crate::error::{Error, StorageError};
use crate::layout::{SectionKind, HEADER_LEN, SECTION_ENTRY_LEN};
use crate::storage::Storage;

/// Bytes of one hash (SHA-256).
pub const HASH_LEN: usize = 32;

/// Bytes of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

/// Bytes of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// log2 of the bytes of one hashed block (4 KiB, as fs-verity).
pub const BLOCK_SHIFT: u8 = 12;

/// Longest signer name, in bytes of UTF-8.
pub const MAX_SIGNER_LEN: usize = 64;

/// Fixed part of the `Signature` section, before the signer's name.
pub const SIGNATURE_FIXED_LEN: usize = 136;

/// What is signed starts with these bytes, so that a Fieldpack signature means nothing anywhere
/// else.
pub const SIGNING_CONTEXT: &[u8; 16] = b"fieldpack-seal-1";

/// Offset of the signed part within the `Signature` section: root, lengths and signer.
const SIGNED_FROM: usize = PUBLIC_KEY_LEN + SIGNATURE_LEN;

/// Most blocks whose check a reader remembers: a page's chunk, the glyphs and the indexes it
/// reads are a handful of 4 KiB blocks.
const VERIFIED_CACHE: usize = 8;

/// Bytes read from storage at a time while hashing.
const PIECE: usize = 256;

/// The leaf hash of a block: `SHA-256(0x00 || block)`.
pub fn leaf_hash_start() -> Sha256 {
    let mut h = Sha256::new();
    h.update([0u8]);
    h
}

/// The hash of an inner node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &[u8; HASH_LEN], right: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Number of blocks of `content_len` bytes.
pub const fn block_count(content_len: u32) -> u32 {
    content_len.div_ceil(1 << BLOCK_SHIFT)
}

/// Bytes of the `HashTree` section for `leaves` blocks: every level but the root's.
pub const fn tree_len(leaves: u32) -> u64 {
    let mut total = 0u64;
    let mut n = leaves as u64;
    while n > 1 {
        total += n * HASH_LEN as u64;
        n = n.div_ceil(2);
    }
    total
}

/// The byte ranges of block 0 that are hashed as zeros: the header's two checksums and the
/// `crc` field of the `Signature` and `HashTree` table entries, which a writer can only fill in
/// after signing.
pub fn is_unsigned_byte(at: u32, sealed_entries: &[u32]) -> bool {
    (16..20).contains(&at)
        || (28..32).contains(&at)
        || sealed_entries
            .iter()
            .any(|&e| e != 0 && (e + 12..e + 16).contains(&at))
}

/// The decoded fixed part of a `Signature` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureBlock {
    /// The signer's Ed25519 public key.
    pub public_key: [u8; PUBLIC_KEY_LEN],
    /// The signature over [`SIGNING_CONTEXT`] and the bytes from the root on.
    pub signature: [u8; SIGNATURE_LEN],
    /// Root of the hash tree.
    pub root: [u8; HASH_LEN],
    /// Bytes covered by the tree, from offset 0.
    pub content_len: u32,
    /// log2 of the block size.
    pub block_shift: u8,
    /// Length of the signer's name that follows.
    pub signer_len: u8,
}

impl SignatureBlock {
    /// Encodes the fixed part (the signer's name follows it).
    pub fn encode(&self) -> [u8; SIGNATURE_FIXED_LEN] {
        let mut b = [0u8; SIGNATURE_FIXED_LEN];
        b[..32].copy_from_slice(&self.public_key);
        b[32..96].copy_from_slice(&self.signature);
        b[96..128].copy_from_slice(&self.root);
        b[128..132].copy_from_slice(&self.content_len.to_le_bytes());
        b[132] = self.block_shift;
        b[133] = self.signer_len;
        b
    }

    /// Decodes the fixed part.
    pub fn decode(b: &[u8; SIGNATURE_FIXED_LEN]) -> Self {
        let mut s = SignatureBlock {
            public_key: [0; PUBLIC_KEY_LEN],
            signature: [0; SIGNATURE_LEN],
            root: [0; HASH_LEN],
            content_len: u32::from_le_bytes([b[128], b[129], b[130], b[131]]),
            block_shift: b[132],
            signer_len: b[133],
        };
        s.public_key.copy_from_slice(&b[..32]);
        s.signature.copy_from_slice(&b[32..96]);
        s.root.copy_from_slice(&b[96..128]);
        s
    }
}

/// The message an Ed25519 signature signs: the context, then the section from the root on.
/// `section` is the whole `Signature` section; returns the bytes written to `out`.
pub fn signed_message(section: &[u8], out: &mut [u8]) -> Option<usize> {
    let signed = section.get(SIGNED_FROM..)?;
    let n = SIGNING_CONTEXT.len() + signed.len();
    out.get_mut(..SIGNING_CONTEXT.len())?
        .copy_from_slice(SIGNING_CONTEXT);
    out.get_mut(SIGNING_CONTEXT.len()..n)?
        .copy_from_slice(signed);
    Some(n)
}

/// Who signed an open bundle: the key the signature was checked with. (The name the bundle
/// gives is the publisher's own words, bytes 136.. of the Signature section: a device shows
/// the name it trusts for the key instead, and does not keep it.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    /// The Ed25519 public key.
    pub public_key: [u8; PUBLIC_KEY_LEN],
}

/// The checked seal of an open bundle: the tree's root and where the tree is, and the blocks
/// already checked.
#[derive(Clone, Debug)]
pub struct Seal {
    /// Who signed.
    pub signer: Signer,
    /// SHA-256 of the whole Signature section that was checked, and where the section and the
    /// tree are: a bundle opened with this seal must have exactly these.
    checked: ([u8; HASH_LEN], u32, u32),
    root: [u8; HASH_LEN],
    content_len: u32,
    leaves: u32,
    tree_offset: u32,
    sealed_entries: [u32; 2],
    verified: [u32; VERIFIED_CACHE],
    next: usize,
}

fn tampered(offset: u32) -> Error {
    Error::Tampered { offset }
}

impl Seal {
    /// Reads and checks a `Signature` section against the `HashTree` section's place. Table
    /// entries at `sealed_entries` (offsets of the two entries in the section table) are the
    /// ones whose `crc` is hashed as zeros.
    // Never inlined: its buffers and the Ed25519 check's deep stack exist only while a
    // signature is checked, not in the frame of every caller.
    #[inline(never)]
    pub fn open<S: Storage>(
        storage: &mut S,
        signature: (u32, u32),
        tree: (u32, u32),
        sealed_entries: [u32; 2],
    ) -> Result<Self, Error> {
        let (sig_at, sig_len) = signature;
        let bad = Error::Corrupt {
            section: SectionKind::Signature,
            offset: sig_at,
        };
        // One buffer: the signing context, then the section from its root on (what is signed),
        // read straight into place; the key and signature apart.
        let signed_len = (sig_len as usize)
            .checked_sub(SIGNED_FROM)
            .filter(|n| {
                (SIGNATURE_FIXED_LEN - SIGNED_FROM
                    ..=SIGNATURE_FIXED_LEN - SIGNED_FROM + MAX_SIGNER_LEN)
                    .contains(n)
            })
            .ok_or(bad)?;
        let mut message =
            [0u8; SIGNING_CONTEXT.len() + SIGNATURE_FIXED_LEN - SIGNED_FROM + MAX_SIGNER_LEN];
        let ctx = SIGNING_CONTEXT.len();
        message
            .get_mut(..ctx)
            .ok_or(bad)?
            .copy_from_slice(SIGNING_CONTEXT);
        storage.read_at(
            sig_at + SIGNED_FROM as u32,
            message.get_mut(ctx..ctx + signed_len).ok_or(bad)?,
        )?;
        let signed = message.get(ctx..ctx + signed_len).ok_or(bad)?;
        let mut public_key = [0u8; PUBLIC_KEY_LEN];
        let mut signature_bytes = [0u8; SIGNATURE_LEN];
        storage.read_at(sig_at, &mut public_key)?;
        storage.read_at(sig_at + PUBLIC_KEY_LEN as u32, &mut signature_bytes)?;
        // The signed part: root 32, content_len 4, block_shift 1, signer_len 1, reserved 2, name.
        let field = |at: usize| signed.get(at).copied().unwrap_or(0);
        let mut root = [0u8; HASH_LEN];
        root.copy_from_slice(signed.get(..HASH_LEN).ok_or(bad)?);
        let content_len = u32::from_le_bytes([field(32), field(33), field(34), field(35)]);
        let name = signed.get(40..).ok_or(bad)?;
        core::str::from_utf8(name).map_err(|_| bad)?;
        if usize::from(field(37)) != name.len()
            || field(36) != BLOCK_SHIFT
            || content_len != tree.0
            || tree_len(block_count(content_len)) != u64::from(tree.1)
        {
            return Err(bad);
        }
        let key = ed25519_compact::PublicKey::from_slice(&public_key).map_err(|_| bad)?;
        let sig = ed25519_compact::Signature::from_slice(&signature_bytes).map_err(|_| bad)?;
        key.verify(message.get(..ctx + signed_len).ok_or(bad)?, &sig)
            .map_err(|_| Error::BadSignature)?;
        let block = SignatureBlock {
            public_key,
            signature: signature_bytes,
            root,
            content_len,
            block_shift: BLOCK_SHIFT,
            signer_len: field(37),
        };
        let signer = Signer {
            public_key: block.public_key,
        };
        let mut digest = Sha256::new();
        digest.update(block.public_key);
        digest.update(block.signature);
        digest.update(message.get(ctx..ctx + signed_len).unwrap_or(&[]));
        Ok(Seal {
            signer,
            checked: (digest.finalize().into(), sig_at, tree.0),
            root: block.root,
            content_len: block.content_len,
            leaves: block_count(block.content_len),
            tree_offset: tree.0,
            sealed_entries,
            verified: [u32::MAX; VERIFIED_CACHE],
            next: 0,
        })
    }

    /// Checks the signature of the bundle in `storage`, if it has one, before anything else
    /// of it is read: a device does this first, while its stack is empty, and opens the bundle
    /// with the result ([`crate::Bundle::open_checked`]). `Ok(None)`: not signed. Damage
    /// besides the signature's is left for opening to report.
    #[inline(never)]
    pub fn check_bundle<S: Storage>(storage: &mut S) -> Result<Option<Seal>, Error> {
        let mut hb = [0u8; HEADER_LEN];
        if storage.read_at(0, &mut hb).is_err() {
            return Ok(None);
        }
        let Ok(header) = crate::layout::Header::decode(&hb) else {
            return Ok(None);
        };
        let (mut sig, mut tree) = (None, None);
        for i in 0..u32::from(header.section_count) {
            let at = HEADER_LEN as u32 + i * SECTION_ENTRY_LEN as u32;
            let mut eb = [0u8; SECTION_ENTRY_LEN];
            storage.read_at(at, &mut eb)?;
            let e = crate::layout::SectionEntry::decode(&eb);
            match e.kind {
                SectionKind::Signature => sig = Some((e.offset, e.len, at)),
                SectionKind::HashTree => tree = Some((e.offset, e.len, at)),
                _ => {}
            }
        }
        match (sig, tree) {
            (Some((so, sl, sa)), Some((to, tl, ta))) => {
                Seal::open(storage, (so, sl), (to, tl), [sa, ta]).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Whether this seal was checked from the Signature section at `signature` and the tree at
    /// `tree_offset` of the bundle in `storage`, as they are now (a hash, no Ed25519 check).
    pub fn is_of<S: Storage>(
        &self,
        storage: &mut S,
        signature: (u32, u32),
        tree_offset: u32,
    ) -> Result<bool, Error> {
        if signature.0 != self.checked.1 || tree_offset != self.checked.2 {
            return Ok(false);
        }
        let mut section = [0u8; SIGNATURE_FIXED_LEN + MAX_SIGNER_LEN];
        let Some(buf) = section.get_mut(..signature.1 as usize) else {
            return Ok(false);
        };
        storage.read_at(signature.0, buf)?;
        let mut digest = Sha256::new();
        digest.update(&*buf);
        let digest: [u8; HASH_LEN] = digest.finalize().into();
        Ok(digest == self.checked.0)
    }

    /// Bytes covered by the tree, from offset 0.
    pub fn content_len(&self) -> u32 {
        self.content_len
    }

    /// Checks every block that `at..at + len` touches against the tree.
    pub fn check<S: Storage>(&mut self, storage: &mut S, at: u32, len: usize) -> Result<(), Error> {
        if len == 0 {
            return Ok(());
        }
        let end = u64::from(at) + len as u64;
        if end > u64::from(self.content_len) {
            // Only the tree and the signature lie past the content; nothing reads them this way.
            return Err(tampered(at));
        }
        let first = at >> BLOCK_SHIFT;
        let last = ((end - 1) >> BLOCK_SHIFT) as u32;
        for block in first..=last {
            self.check_block(storage, block)?;
        }
        Ok(())
    }

    fn check_block<S: Storage>(&mut self, storage: &mut S, block: u32) -> Result<(), Error> {
        if self.verified.contains(&block) {
            return Ok(());
        }
        let start = block << BLOCK_SHIFT;
        let end = start.saturating_add(1 << BLOCK_SHIFT).min(self.content_len);
        let mut h = leaf_hash_start();
        let mut piece = [0u8; PIECE];
        let mut at = start;
        while at < end {
            let n = core::cmp::min(PIECE as u32, end - at) as usize;
            let buf = piece.get_mut(..n).unwrap_or(&mut []);
            storage.read_at(at, buf)?;
            if at < (HEADER_LEN + SECTION_ENTRY_LEN * crate::layout::MAX_SECTIONS as usize) as u32 {
                for (i, b) in buf.iter_mut().enumerate() {
                    if is_unsigned_byte(at + i as u32, &self.sealed_entries) {
                        *b = 0;
                    }
                }
            }
            h.update(&*buf);
            at += n as u32;
        }
        let mut node: [u8; HASH_LEN] = h.finalize().into();
        let (mut index, mut level_len, mut level_at) = (block, self.leaves, self.tree_offset);
        while level_len > 1 {
            let sibling = index ^ 1;
            if sibling < level_len {
                let mut other = [0u8; HASH_LEN];
                let sib_at = level_at
                    .checked_add(sibling.saturating_mul(HASH_LEN as u32))
                    .ok_or(tampered(start))?;
                storage.read_at(sib_at, &mut other).map_err(|e| match e {
                    StorageError::OutOfBounds => tampered(start),
                    e => Error::Storage(e),
                })?;
                node = if index & 1 == 0 {
                    node_hash(&node, &other)
                } else {
                    node_hash(&other, &node)
                };
            }
            level_at = level_at.saturating_add(level_len.saturating_mul(HASH_LEN as u32));
            index >>= 1;
            level_len = level_len.div_ceil(2);
        }
        if node != self.root {
            return Err(tampered(start));
        }
        if let Some(slot) = self.verified.get_mut(self.next) {
            *slot = block;
        }
        self.next = (self.next + 1) % VERIFIED_CACHE;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_sizes() {
        assert_eq!(tree_len(0), 0);
        assert_eq!(tree_len(1), 0);
        assert_eq!(tree_len(2), 64);
        // 3 leaves, then 2 nodes (one promoted), then the root.
        assert_eq!(tree_len(3), 5 * 32);
        assert_eq!(block_count(4096), 1);
        assert_eq!(block_count(4097), 2);
    }

    #[test]
    fn unsigned_bytes_are_the_checksums() {
        let e = [32 + 16 * 3, 0];
        assert!(is_unsigned_byte(16, &e) && is_unsigned_byte(31, &e));
        assert!(!is_unsigned_byte(20, &e) && !is_unsigned_byte(15, &e));
        assert!(is_unsigned_byte(32 + 48 + 12, &e) && !is_unsigned_byte(32 + 48 + 11, &e));
        assert!(!is_unsigned_byte(12, &e));
    }
}
