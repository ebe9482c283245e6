//! The board-independent parts of a Fieldpack device: the loop every board runs (draw, show,
//! sleep until a key, dim when idle); the reader's memory (where it was, the
//! history, the bookmarks) kept in a region of the device's own flash by `sequential-storage`,
//! which survives a power cut at any instant; bundles on a microSD card's FAT volume; and
//! buttons, debounced, with a long press.
//!
//! `no_std`, no allocation. A board gives a flash region through the `embedded-storage-async`
//! `MultiwriteNorFlash` traits; [`ImageFlash`] is such a region in RAM (the simulator's state
//! file, tests).
#![no_std]
#![deny(missing_docs, unsafe_code)]

pub mod bands;
pub mod buttons;
pub mod card;
pub mod flash;
pub mod keeper;
pub mod main_loop;
pub mod state;

pub use bands::Bands;
pub use buttons::Buttons;
pub use card::{BlockCache, Card, CardError, CardFile, ShelfEntry, SHELF_MAX};
pub use flash::ImageFlash;
pub use keeper::{Keeper, STATE_REGION_LEN};
pub use main_loop::{choose, run, Board, IdlePolicy, LoopError, Power, Run, Wake};
pub use state::{StateStore, StoreError, STATE_VERSION};
