//! What every board's loop does with the reader's memory: take it up at power-on, write what a
//! key press changed.

use embedded_storage_async::nor_flash::MultiwriteNorFlash;
use fieldpack_format::Storage;
use fieldpack_reader::{App, Input};

use crate::state::StateStore;

/// Bytes of flash a board gives the reader's memory: four 4 KiB pages (wear figures in the
/// README: about 0.02 page erases per page turn).
pub const STATE_REGION_LEN: u32 = 4 * 4096;

/// The reader's memory kept in flash for one open bundle.
pub struct Keeper<F: MultiwriteNorFlash> {
    store: StateStore<F>,
    id: [u8; 16],
}

impl<F: MultiwriteNorFlash> Keeper<F> {
    /// Takes up the memory saved for `app`'s bundle (reopening the page last shown), or starts
    /// afresh when there is none, or none for this bundle. `None` when no bundle is open.
    pub fn start<S: Storage>(app: &mut App<'_, S>, mut store: StateStore<F>) -> Option<Self> {
        let id = app.bundle_id()?;
        let memory = store.load(&id);
        app.restore(memory);
        // Reopening wrote nothing that is not stored already.
        app.take_changes();
        Some(Keeper { store, id })
    }

    /// Passes a key press to `app` and writes what it changed in the memory.
    pub fn handle<S: Storage>(&mut self, app: &mut App<'_, S>, input: Input) {
        app.handle(input);
        let changes = app.take_changes();
        // A failed write is not the reader's to show: it goes on, and the next change is
        // written whole again (the store erases a region it cannot write to).
        let _ = self.store.save_items(&self.id, app.memory(), changes);
    }
}
