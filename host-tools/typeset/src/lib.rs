//! Typesetting on the host: the glyph strikes a bundle carries, and the work a device cannot
//! afford (shaping with real fonts, bidi levels, dictionary line breaks) done once, its result
//! stored in the bundle.
#![deny(unsafe_code)]

pub mod glyphs;
pub mod shape;
