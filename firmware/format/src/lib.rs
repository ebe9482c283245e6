//! The Fieldpack bundle format, shared by the host tool that writes bundles and the devices that
//! read them. `no_std`, no allocation: a reader works through a [`Storage`] with a few KiB of RAM,
//! whatever the size of the bundle. The byte layout is specified in `SPEC.md` beside this crate.
#![no_std]
#![deny(missing_docs, unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

pub mod blocks;
pub mod bundle;
pub mod crc;
pub mod error;
pub mod fold;
pub mod layout;
pub mod meta;
pub mod seal;
pub mod search;
pub mod shaped;
pub mod storage;

pub use bundle::{Bundle, Inflater, Span, Strike, TitleEntry};
pub use crc::{crc32, Crc32};
pub use error::{Error, StorageError};
pub use layout::{
    ArticleRecord, ChunkRecord, Codec, GlyphEntry, GlyphMetrics, GlyphRecord, Header, SectionEntry,
    SectionKind, StrikeHeader, VERSION,
};
pub use meta::{title_cmp, title_has_prefix, ArticleMeta, BundleInfo, Direction, LineBox};
pub use seal::Signer;
pub use shaped::{LevelRun, LevelSpan, ShapedGlyph, Word, WordRecord};
pub use storage::Storage;
