//! Publisher keys and signed bundles: `fieldpack keygen`, `build --sign`, `verify --key`.
//!
//! A signed bundle carries a SHA-256 hash tree over its 4 KiB blocks and an Ed25519 signature
//! over the tree's root (see `fieldpack_format::seal` and SPEC.md, "Signed bundles").

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use ed25519_compact::{KeyPair, PublicKey, Seed};
use fieldpack_format::layout::{HEADER_LEN, SECTION_ENTRY_LEN};
use fieldpack_format::seal::{
    block_count, is_unsigned_byte, leaf_hash_start, node_hash, signed_message, SignatureBlock,
    BLOCK_SHIFT, HASH_LEN, MAX_SIGNER_LEN, SIGNATURE_FIXED_LEN,
};
use sha2::Digest;

const SECRET_HEADER: &str = "fieldpack-secret-key-v1";
const PUBLIC_HEADER: &str = "fieldpack-public-key-v1";

/// A publisher's secret key, as read from the file `keygen` wrote.
#[derive(Clone)]
pub struct SigningKey {
    /// The publisher's name, recorded in every bundle it signs.
    pub name: String,
    keypair: KeyPair,
}

impl std::fmt::Debug for SigningKey {
    /// The name and the public key's fingerprint; never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SigningKey({:?}, {})",
            self.name,
            fingerprint(&self.public_key())
        )
    }
}

/// A publisher's public key, as read from a `.pub` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKeyFile {
    /// The name the key file gives its owner.
    pub name: String,
    /// The Ed25519 key.
    pub key: [u8; 32],
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A short, readable name of a public key: its first eight bytes in hex.
pub fn fingerprint(key: &[u8]) -> String {
    hex(key.get(..8).unwrap_or(key))
}

/// Checks a signer name: printable, at most [`MAX_SIGNER_LEN`] bytes.
pub fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        bail!("the signer name is empty");
    }
    if name.len() > MAX_SIGNER_LEN {
        bail!(
            "the signer name is {} bytes; at most {MAX_SIGNER_LEN} bytes of UTF-8 fit",
            name.len()
        );
    }
    if name.chars().any(char::is_control) {
        bail!("the signer name has control characters");
    }
    Ok(())
}

/// A new key pair for `name`: the secret key file's text and the public key file's text.
pub fn keygen(name: &str) -> Result<(String, String)> {
    check_name(name)?;
    let kp = KeyPair::from_seed(Seed::generate());
    let seed = kp.sk.seed();
    let secret = format!(
        "{SECRET_HEADER}\nname: {name}\nseed: {}\n",
        hex(seed.as_ref())
    );
    let public = format!(
        "{PUBLIC_HEADER}\nname: {name}\nkey: {}\n",
        hex(kp.pk.as_ref())
    );
    Ok((secret, public))
}

fn fields<'a>(text: &'a str, header: &str, path: &Path) -> Result<(String, &'a str)> {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(header) {
        bail!(
            "{}: not a Fieldpack {} (it should start with {header:?})",
            path.display(),
            if header == SECRET_HEADER {
                "secret key"
            } else {
                "public key"
            }
        );
    }
    let mut name = None;
    let mut value = None;
    for line in lines {
        if let Some(n) = line.strip_prefix("name: ") {
            name = Some(n.to_string());
        } else if let Some(v) = line
            .strip_prefix("seed: ")
            .or_else(|| line.strip_prefix("key: "))
        {
            value = Some(v.trim());
        }
    }
    match (name, value) {
        (Some(n), Some(v)) => Ok((n, v)),
        _ => bail!("{}: key file lacks its name or key line", path.display()),
    }
}

/// Reads a secret key file.
pub fn read_secret(path: &Path) -> Result<SigningKey> {
    let text = crate::input::read_text_file(path, 4096)?;
    let (name, seed) = fields(&text, SECRET_HEADER, path)?;
    check_name(&name).with_context(|| path.display().to_string())?;
    let seed = unhex(seed)
        .and_then(|s| Seed::from_slice(&s).ok())
        .with_context(|| format!("{}: the seed is not 64 hex digits", path.display()))?;
    Ok(SigningKey {
        name,
        keypair: KeyPair::from_seed(seed),
    })
}

/// Reads a public key file.
pub fn read_public(path: &Path) -> Result<PublicKeyFile> {
    let text = crate::input::read_text_file(path, 4096)?;
    let (name, key) = fields(&text, PUBLIC_HEADER, path)?;
    let key: [u8; 32] = unhex(key)
        .and_then(|k| k.try_into().ok())
        .with_context(|| format!("{}: the key is not 64 hex digits", path.display()))?;
    PublicKey::from_slice(&key)
        .with_context(|| format!("{}: not an Ed25519 public key", path.display()))?;
    Ok(PublicKeyFile { name, key })
}

impl SigningKey {
    /// The public half.
    pub fn public_key(&self) -> [u8; 32] {
        let mut k = [0u8; 32];
        k.copy_from_slice(self.keypair.pk.as_ref());
        k
    }

    /// Length of the `Signature` section this key writes.
    pub fn section_len(&self) -> usize {
        SIGNATURE_FIXED_LEN + self.name.len()
    }
}

/// Leaf hashes of a byte stream cut into blocks: a `Write` the bundle's content is written to.
pub struct BlockHasher {
    block: Vec<u8>,
    at: u64,
    sealed_entries: [u32; 2],
    /// The leaf hash of every finished block.
    pub leaves: Vec<[u8; HASH_LEN]>,
}

impl BlockHasher {
    /// A hasher whose block 0 hashes the given table entries' `crc` fields as zeros.
    pub fn new(sealed_entries: [u32; 2]) -> Self {
        BlockHasher {
            block: Vec::with_capacity(1 << BLOCK_SHIFT),
            at: 0,
            sealed_entries,
            leaves: Vec::new(),
        }
    }

    fn flush_block(&mut self) {
        let mut h = leaf_hash_start();
        h.update(&self.block);
        self.leaves.push(h.finalize().into());
        self.block.clear();
    }

    /// The leaf hashes, the last (partial) block included.
    pub fn finish(mut self) -> Vec<[u8; HASH_LEN]> {
        if !self.block.is_empty() {
            self.flush_block();
        }
        self.leaves
    }
}

impl std::io::Write for BlockHasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            let unsigned = self.at < (HEADER_LEN + SECTION_ENTRY_LEN * 64) as u64
                && is_unsigned_byte(self.at as u32, &self.sealed_entries);
            self.block.push(if unsigned { 0 } else { b });
            self.at += 1;
            if self.block.len() == 1 << BLOCK_SHIFT {
                self.flush_block();
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every level of the tree over `leaves` but the root's, leaves first, and the root.
pub fn tree(leaves: &[[u8; HASH_LEN]]) -> (Vec<u8>, [u8; HASH_LEN]) {
    let mut bytes = Vec::new();
    let mut level: Vec<[u8; HASH_LEN]> = leaves.to_vec();
    while level.len() > 1 {
        for n in &level {
            bytes.extend_from_slice(n);
        }
        level = level
            .chunks(2)
            .map(|p| match p {
                [l, r] => node_hash(l, r),
                [one] => *one,
                _ => unreachable!("chunks(2) gives one or two"),
            })
            .collect();
    }
    (bytes, level.first().copied().unwrap_or([0; HASH_LEN]))
}

/// The `Signature` section for content of `content_len` bytes with this tree root.
pub fn signature_section(key: &SigningKey, root: [u8; HASH_LEN], content_len: u32) -> Vec<u8> {
    let block = SignatureBlock {
        public_key: key.public_key(),
        signature: [0; 64],
        root,
        content_len,
        block_shift: BLOCK_SHIFT,
        signer_len: key.name.len() as u8,
    };
    let mut section = block.encode().to_vec();
    section.extend_from_slice(key.name.as_bytes());
    let mut message = vec![0u8; section.len() + 32];
    let n = signed_message(&section, &mut message).unwrap_or(0);
    let sig = key.keypair.sk.sign(&message[..n], None);
    section[32..96].copy_from_slice(sig.as_ref());
    section
}

/// What checking a signed bundle on the host found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealReport {
    /// The name the bundle gives its signer.
    pub signer: String,
    /// The signer's public key.
    pub public_key: [u8; 32],
    /// Whether the content hashes to the signed root.
    pub content_matches: bool,
    /// Offsets of the blocks whose bytes differ from what was signed, where the stored tree
    /// tells (it may be altered too: then `content_matches` alone says so).
    pub altered_blocks: Vec<u64>,
    /// Whether the stored tree matches the one the content gives.
    pub tree_matches: bool,
}

/// Checks a signed bundle's signature and every block against it; `None` when it is unsigned.
/// A signature that does not verify is an error.
pub fn check(bytes: &[u8]) -> Result<Option<SealReport>> {
    let (_, entries) = crate::report::section_table(bytes)?;
    let find = |k| {
        entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.kind == k)
            .map(|(i, e)| (i, *e))
    };
    use fieldpack_format::SectionKind;
    let (Some((si, sig)), Some((ti, tree_e))) =
        (find(SectionKind::Signature), find(SectionKind::HashTree))
    else {
        return Ok(None);
    };
    let section = bytes
        .get(sig.offset as usize..(sig.offset as usize).saturating_add(sig.len as usize))
        .context("the signature section lies outside the file")?;
    // The device's own check of the signature.
    let entry_at = |i: usize| (HEADER_LEN + i * SECTION_ENTRY_LEN) as u32;
    let mut storage: &[u8] = bytes;
    let seal = fieldpack_format::seal::Seal::open(
        &mut storage,
        (sig.offset, sig.len),
        (tree_e.offset, tree_e.len),
        [entry_at(si), entry_at(ti)],
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let content_len = seal.content_len() as usize;
    let mut hasher = BlockHasher::new([entry_at(si), entry_at(ti)]);
    std::io::Write::write_all(&mut hasher, &bytes[..content_len.min(bytes.len())])?;
    let leaves = hasher.finish();
    let (levels, root) = tree(&leaves);
    let stored = bytes
        .get(tree_e.offset as usize..(tree_e.offset as usize).saturating_add(tree_e.len as usize))
        .unwrap_or(&[]);
    let mut fixed = [0u8; SIGNATURE_FIXED_LEN];
    fixed.copy_from_slice(&section[..SIGNATURE_FIXED_LEN]);
    let signed = SignatureBlock::decode(&fixed);
    let mut altered_blocks = Vec::new();
    if root != signed.root {
        // Which blocks: the stored leaves (if the tree is intact) tell.
        for (i, leaf) in leaves.iter().enumerate() {
            let stored_leaf = stored.get(i * HASH_LEN..(i + 1) * HASH_LEN);
            if stored_leaf != Some(&leaf[..]) || leaves.len() == 1 {
                altered_blocks.push((i as u64) << BLOCK_SHIFT);
            }
        }
    }
    debug_assert_eq!(leaves.len() as u32, block_count(content_len as u32));
    Ok(Some(SealReport {
        signer: String::from_utf8_lossy(section.get(SIGNATURE_FIXED_LEN..).unwrap_or(&[]))
            .into_owned(),
        public_key: seal.signer.public_key,
        content_matches: root == signed.root,
        altered_blocks,
        tree_matches: levels == stored,
    }))
}
