//! The Fieldpack host tool as a library: ingest articles, pack bundles, read them back, and run
//! the device's reader in a simulator. The `fieldpack` binary is a thin command line over it.
#![deny(unsafe_code)]

pub mod bench;
pub mod build;
pub mod card;
pub mod compress;
pub mod data;
pub mod deflate;
pub mod elf;
pub mod emulate;
pub mod footprint;
pub mod glyphs;
pub mod ingest;
pub mod input;
pub mod pack;
pub mod pico;
pub mod report;
pub mod rules;
pub mod scale;
pub mod sign;
pub mod sim;
pub mod text;
pub mod uf2;
