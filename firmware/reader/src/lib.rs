//! The Fieldpack reader: lays out articles with the bundle's own glyphs and draws the library,
//! article, information and error screens on any `embedded_graphics::DrawTarget`.
//!
//! `no_std`, no allocation: the big buffers (inflate state and window) are the caller's, so a
//! device places them where it wants; everything else is a few KiB of plain state.
#![no_std]
#![deny(missing_docs, unsafe_code)]

pub mod app;
pub mod draw;
pub mod layout;
pub mod memory;
pub mod profile;
pub mod search;
pub mod shaping;
pub mod shelf;

pub use app::{draw_error, error_message, App, Input, Screen, Signed, TextArea, Trust, TrustedKey};
pub use draw::{Ink, NullDisplay, Pass};
pub use layout::{Break, Line, OpenArticle, PageTable, TextPos, Typesetter};
pub use memory::{Changes, Memory, Place};
pub use profile::{profile_by_name, Profile, Theme, DAYLIGHT, MONO, PROFILES};
pub use search::{Search, SearchKey};
pub use shelf::Shelf;
