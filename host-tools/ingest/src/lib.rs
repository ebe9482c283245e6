//! Reading articles for Fieldpack: plain text, Markdown and HTML files become clean articles
//! (title, date, source, author, language, direction and paragraphs), with site chrome and
//! boilerplate dropped by rules, and input files read safely (no links followed, no FIFOs or
//! devices, bounded sizes).
#![deny(unsafe_code)]

pub mod blocks;
#[cfg(feature = "epub")]
pub mod epub;
pub mod ingest;
pub mod input;
pub mod rules;
pub mod select;
pub mod text;
#[cfg(feature = "zim")]
pub mod zim;
