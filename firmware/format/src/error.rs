//! The one error type of bundle decoding.

use core::fmt;

use crate::layout::SectionKind;

/// Why a storage read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageError {
    /// The read reaches past the end of the storage.
    OutOfBounds,
    /// The device reported a failure (flash, SD card, file).
    Io,
}

/// Everything that can be wrong with a bundle or with reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes do not start with the Fieldpack magic: not a bundle at all.
    NotABundle,
    /// A bundle of a format version this reader does not read.
    UnsupportedVersion {
        /// The version the bundle declares.
        found: u16,
        /// The version this reader reads.
        supported: u16,
    },
    /// The bundle is shorter than its header says: an interrupted copy.
    Truncated {
        /// The length the header declares.
        expected: u32,
        /// The length the storage has.
        actual: u32,
    },
    /// A checksum or a structural check failed: the bytes were damaged.
    Corrupt {
        /// The section where the damage was found.
        section: SectionKind,
        /// Byte offset in the bundle of the damaged record or data.
        offset: u32,
    },
    /// A section every bundle must have is absent.
    MissingSection(SectionKind),
    /// An article number past the last article.
    NoSuchArticle {
        /// The number asked for.
        index: u32,
        /// How many articles the bundle has.
        count: u32,
    },
    /// The bundle needs a bigger buffer than this device was built with.
    BufferTooSmall {
        /// Bytes the bundle needs.
        needed: u32,
        /// Bytes the device has.
        available: u32,
    },
    /// The storage could not be read.
    Storage(StorageError),
    /// A signed bundle's bytes differ from what its publisher signed.
    Tampered {
        /// Byte offset in the bundle of the first block that does not match.
        offset: u32,
    },
    /// A signed bundle's signature does not verify with the key it names.
    BadSignature,
    /// The bundle is unsigned, or signed by a key this device does not trust, and the device
    /// only opens bundles from the publishers it trusts.
    NotTrusted,
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        Error::Storage(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NotABundle => f.write_str("not a Fieldpack bundle (wrong magic bytes)"),
            Error::UnsupportedVersion { found, supported } => write!(
                f,
                "bundle format version {found} is not supported (this reader reads version {supported})"
            ),
            Error::Truncated { expected, actual } => write!(
                f,
                "bundle is truncated: header says {expected} bytes, storage has {actual}"
            ),
            Error::Corrupt { section, offset } => write!(
                f,
                "bundle is damaged: {} section, byte offset {offset}",
                section.name()
            ),
            Error::MissingSection(kind) => write!(f, "bundle has no {} section", kind.name()),
            Error::NoSuchArticle { index, count } => {
                write!(f, "no article {index}: the bundle has {count}")
            }
            Error::BufferTooSmall { needed, available } => write!(
                f,
                "bundle needs a {needed}-byte buffer, this device has {available}"
            ),
            Error::Storage(StorageError::OutOfBounds) => {
                f.write_str("read past the end of the storage")
            }
            Error::Storage(StorageError::Io) => f.write_str("storage read failed"),
            Error::Tampered { offset } => write!(
                f,
                "bundle was altered after it was signed: block at byte offset {offset} does not match the signed hash"
            ),
            Error::BadSignature => f.write_str("bundle signature does not verify"),
            Error::NotTrusted => {
                f.write_str("bundle is not signed by a publisher this reader trusts")
            }
        }
    }
}

impl core::error::Error for Error {}
impl core::error::Error for StorageError {}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StorageError::OutOfBounds => "read past the end of the storage",
            StorageError::Io => "storage read failed",
        })
    }
}
