//! The Fieldpack host tool as a library: ingest articles, pack bundles, read them back, and run
//! the device's reader in a simulator. The `fieldpack` binary is a thin command line over it.
#![deny(unsafe_code)]

// Reading articles is its own crate; its modules keep their paths here.
pub use fieldpack_ingest::{blocks, epub, ingest, input, rules, select, text, zim};
// So does typesetting (glyph strikes, shaping, bidi levels).
pub use fieldpack_typeset::{glyphs, shape};

pub mod bench;
pub mod build;
pub mod card;
pub mod compress;
pub mod data;
pub mod deflate;
pub mod elf;
pub mod emulate;
pub mod footprint;
pub mod pack;
pub mod pico;
pub mod report;
pub mod scale;
pub mod sign;
pub mod sim;
pub mod uf2;
