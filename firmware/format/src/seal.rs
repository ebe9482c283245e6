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

/// Most blocks whose check a reader remembers.
const VERIFIED_CACHE: usize = 16;

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

/// Who signed an open bundle: the key the signature was checked with, and the name the bundle
/// gives (the publisher's own words: a device shows the name it trusts for the key instead).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    /// The Ed25519 public key.
    pub public_key: [u8; PUBLIC_KEY_LEN],
    /// The name in the bundle.
    pub name: heapless::String<MAX_SIGNER_LEN>,
}

/// The checked seal of an open bundle: the tree's root and where the tree is, and the blocks
/// already checked.
#[derive(Clone, Debug)]
pub struct Seal {
    /// Who signed.
    pub signer: Signer,
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
        let mut section = [0u8; SIGNATURE_FIXED_LEN + MAX_SIGNER_LEN];
        let buf = section.get_mut(..sig_len as usize).ok_or(bad)?;
        if buf.len() < SIGNATURE_FIXED_LEN {
            return Err(bad);
        }
        storage.read_at(sig_at, buf)?;
        let mut fixed = [0u8; SIGNATURE_FIXED_LEN];
        fixed.copy_from_slice(buf.get(..SIGNATURE_FIXED_LEN).ok_or(bad)?);
        let block = SignatureBlock::decode(&fixed);
        let name = buf.get(SIGNATURE_FIXED_LEN..).ok_or(bad)?;
        let name = core::str::from_utf8(name).map_err(|_| bad)?;
        if usize::from(block.signer_len) != name.len()
            || block.block_shift != BLOCK_SHIFT
            || block.content_len != tree.0
            || tree_len(block_count(block.content_len)) != u64::from(tree.1)
        {
            return Err(bad);
        }
        let mut message = [0u8; SIGNING_CONTEXT.len() + SIGNATURE_FIXED_LEN + MAX_SIGNER_LEN];
        let n = signed_message(buf, &mut message).ok_or(bad)?;
        let key = ed25519_compact::PublicKey::from_slice(&block.public_key).map_err(|_| bad)?;
        let sig = ed25519_compact::Signature::from_slice(&block.signature).map_err(|_| bad)?;
        key.verify(message.get(..n).ok_or(bad)?, &sig)
            .map_err(|_| Error::BadSignature)?;
        let mut signer = Signer {
            public_key: block.public_key,
            name: heapless::String::new(),
        };
        // Cannot fail: the name is at most MAX_SIGNER_LEN bytes (the buffer's bound).
        let _ = signer.name.push_str(name);
        Ok(Seal {
            signer,
            root: block.root,
            content_len: block.content_len,
            leaves: block_count(block.content_len),
            tree_offset: tree.0,
            sealed_entries,
            verified: [u32::MAX; VERIFIED_CACHE],
            next: 0,
        })
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
