//! The reader's memory survives a power cut at any instant: a flash model that loses power at
//! every single word write and page erase of a long reading session (a word half programmed,
//! a page half erased); after each cut the memory loads as it was before the interrupted change
//! or as it is after it, and the next change is kept.

use embedded_storage_async::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use fieldpack_device::state::StateStore;
use fieldpack_reader::memory::{Memory, Place};

const PAGE: usize = 4096;
const PAGES: usize = 4;
const REGION: core::ops::Range<u32> = 0..(PAGE * PAGES) as u32;
/// The cut test's region: the smallest a map takes, so that the session wraps around it.
const SMALL: core::ops::Range<u32> = 0..(PAGE * 2) as u32;
const ID: [u8; 16] = *b"bundle-identity!";

/// NOR flash that can lose power: after `budget` steps (a word written, a page erased) the
/// step under way is left half done and every later access fails, until the next boot.
struct CutFlash {
    bytes: Vec<u8>,
    budget: Option<u64>,
    steps: u64,
    erases: u64,
    dead: bool,
    seed: u64,
}

#[derive(Debug)]
struct PowerLost;

#[derive(PartialEq)]
enum Step {
    Done,
    DiesNow,
    Dead,
}

impl NorFlashError for PowerLost {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

impl CutFlash {
    fn new(bytes: Vec<u8>, budget: Option<u64>) -> Self {
        CutFlash {
            bytes,
            budget,
            steps: 0,
            erases: 0,
            dead: false,
            seed: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn random(&mut self) -> u64 {
        // xorshift: a fixed sequence, so every run of the test cuts the same way.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed
    }

    /// Counts a step: whether the power holds, goes during this step, or is already gone.
    fn step(&mut self) -> Step {
        if self.dead {
            return Step::Dead;
        }
        self.steps += 1;
        if self.budget.is_some_and(|b| self.steps > b) {
            self.dead = true;
            return Step::DiesNow;
        }
        Step::Done
    }
}

impl ErrorType for CutFlash {
    type Error = PowerLost;
}

impl ReadNorFlash for CutFlash {
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), PowerLost> {
        if self.dead {
            return Err(PowerLost);
        }
        let o = offset as usize;
        bytes.copy_from_slice(&self.bytes[o..o + bytes.len()]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

impl NorFlash for CutFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = PAGE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), PowerLost> {
        for page in (from as usize..to as usize).step_by(PAGE) {
            match self.step() {
                Step::Done => {}
                Step::Dead => return Err(PowerLost),
                Step::DiesNow => {
                    // Half erased: a part of the page reads 0xFF, one byte has some bits back.
                    let cut = (self.random() % PAGE as u64) as usize;
                    self.bytes[page..page + cut].fill(0xFF);
                    let bits = self.random() as u8;
                    self.bytes[page + cut] |= bits;
                    return Err(PowerLost);
                }
            }
            self.erases += 1;
            self.bytes[page..page + PAGE].fill(0xFF);
        }
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), PowerLost> {
        for (i, word) in bytes.chunks(4).enumerate() {
            let at = offset as usize + i * 4;
            match self.step() {
                Step::Done => {}
                Step::Dead => return Err(PowerLost),
                Step::DiesNow => {
                    // Half programmed: some of the bits being cleared are cleared.
                    for (j, &b) in word.iter().enumerate() {
                        let mask = self.random() as u8;
                        self.bytes[at + j] &= b | mask;
                    }
                    return Err(PowerLost);
                }
            }
            for (j, &b) in word.iter().enumerate() {
                self.bytes[at + j] &= b;
            }
        }
        Ok(())
    }
}

impl MultiwriteNorFlash for CutFlash {}

/// A long reading session, as the reader changes its memory: opening articles, turning
/// pages, leaving, setting and removing bookmarks.
fn session() -> Vec<Memory> {
    let mut states = vec![Memory::default()];
    let mut m = Memory::default();
    let mut push = |m: &Memory| states.push(m.clone());
    for round in 0..12u32 {
        let article = round % 5;
        m.visit(Place { article, offset: 0 });
        m.reading = true;
        push(&m);
        for page in 1..9u32 {
            m.visit(Place {
                article,
                offset: page * 700 + round,
            });
            push(&m);
            if page % 4 == 0 {
                m.toggle_bookmark(article, page * 700 + round, page * 700 + 699);
                push(&m);
            }
        }
        if round % 3 == 0 {
            // Removed again: the bookmark of page 4.
            m.toggle_bookmark(article, 4 * 700 + round, 4 * 700 + 699);
            push(&m);
        }
        m.reading = false;
        push(&m);
    }
    states
}

/// Runs the session on `flash` from the start; returns how many changes were saved before the
/// power went (all of them when it did not).
fn run(
    flash: CutFlash,
    region: core::ops::Range<u32>,
    states: &[Memory],
) -> (usize, Vec<u8>, u64, u64) {
    let mut store = StateStore::new(flash, region).expect("region");
    let mut done = 0;
    for w in states.windows(2) {
        if store.save(&ID, &w[0], &w[1]).is_err() {
            break;
        }
        done += 1;
    }
    let flash = store.into_flash();
    (done, flash.bytes, flash.steps, flash.erases)
}

#[test]
fn every_cut_leaves_the_memory_before_or_after_the_change() {
    let states = session();
    let (done, _, total, erases) = run(CutFlash::new(vec![0xFF; PAGE * 2], None), SMALL, &states);
    assert_eq!(done, states.len() - 1);
    assert!(erases > 0, "the session should wrap around the pages");
    let mut cuts = 0;
    for budget in 0..total {
        let (saved, bytes, _, _) = run(
            CutFlash::new(vec![0xFF; PAGE * 2], Some(budget)),
            SMALL,
            &states,
        );
        // Boot again: the memory must be the one before the interrupted change or after it.
        let mut store = StateStore::new(CutFlash::new(bytes, None), SMALL).expect("region");
        let got = store.load(&ID);
        let before = &states[saved];
        let after = states.get(saved + 1).unwrap_or(before);
        assert!(
            got == *before || got == *after,
            "cut at step {budget} (change {saved}): loaded {got:?}, expected {before:?} or {after:?}"
        );
        // And the reader goes on: the next change is kept.
        let mut next = got.clone();
        next.visit(Place {
            article: 99,
            offset: 1,
        });
        store.save(&ID, &got, &next).expect("save after the cut");
        assert_eq!(store.load(&ID), next, "cut at step {budget}");
        cuts += 1;
    }
    println!(
        "power cut at each of {cuts} steps ({} changes, {erases} page erases)",
        states.len() - 1
    );
    assert!(cuts > 1000, "{cuts}");
}

#[test]
fn garbage_another_version_and_a_full_region_never_stop_the_reader() {
    // Garbage: random bytes where the state should be.
    let mut seed = 12345u64;
    let garbage: Vec<u8> = (0..PAGE * PAGES)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 33) as u8
        })
        .collect();
    let mut store = StateStore::new(CutFlash::new(garbage, None), REGION).expect("region");
    assert_eq!(store.load(&ID), Memory::default());
    let mut m = Memory::default();
    m.visit(Place {
        article: 2,
        offset: 40,
    });
    store
        .save(&ID, &Memory::default(), &m)
        .expect("save on a repaired region");
    assert_eq!(store.load(&ID), m);

    // Another bundle's memory is not applied to this one.
    assert_eq!(store.load(b"another bundle!!"), Memory::default());

    // All zeros (a region that was never erased).
    let mut store =
        StateStore::new(CutFlash::new(vec![0; PAGE * PAGES], None), REGION).expect("region");
    assert_eq!(store.load(&ID), Memory::default());
    store.save(&ID, &Memory::default(), &m).expect("save");
    assert_eq!(store.load(&ID), m);
}

#[test]
fn a_region_filled_by_something_else_is_erased_and_used() {
    // Another program's map fills the region with items under keys the reader never uses,
    // until the store says it is full.
    let mut flash = CutFlash::new(vec![0xFF; PAGE * 2], None);
    {
        let config = sequential_storage::map::MapConfig::try_new(SMALL).expect("config");
        let mut other = sequential_storage::map::MapStorage::<u8, _, _>::new(
            &mut flash,
            config,
            sequential_storage::cache::Cache::new_uncached(),
        );
        let mut buf = [0u8; 512];
        let item = [0x5Au8; 300];
        let mut stored = 0;
        for key in 3..=255u8 {
            match embassy_futures::block_on(other.store_item(&mut buf, &key, &&item[..])) {
                Ok(()) => stored += 1,
                Err(sequential_storage::Error::FullStorage) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        assert!(stored > 10 && stored < 250, "{stored}");
    }
    let bytes = flash.bytes;
    let mut store = StateStore::new(CutFlash::new(bytes, None), SMALL).expect("region");
    assert_eq!(store.load(&ID), Memory::default());
    let mut m = Memory::default();
    m.visit(Place {
        article: 4,
        offset: 4000,
    });
    m.toggle_bookmark(4, 4000, 5000);
    store
        .save(&ID, &Memory::default(), &m)
        .expect("a full region is erased and written");
    assert_eq!(store.load(&ID), m);
}

#[test]
fn wear_per_page_turn() {
    // Page turns only: each rewrites the history item.
    let mut m = Memory::default();
    for a in 0..8 {
        m.visit(Place {
            article: a,
            offset: 0,
        });
    }
    m.reading = true;
    let mut states = vec![Memory::default(), m.clone()];
    let turns = 5000u32;
    for t in 0..turns {
        m.visit(Place {
            article: 7,
            offset: t * 900,
        });
        states.push(m.clone());
    }
    let (_, _, _, erases) = run(
        CutFlash::new(vec![0xFF; PAGE * PAGES], None),
        REGION,
        &states,
    );
    let per_turn = erases as f64 / f64::from(turns);
    // 100,000 erase cycles per page, the region's pages used in turn, a turn every 30 s.
    let years = 100_000.0 * PAGES as f64 / per_turn * 30.0 / (365.25 * 24.0 * 3600.0);
    println!(
        "{turns} page turns (full history): {erases} page erases, {per_turn:.4} per turn; a {} KiB region lasts {years:.0} years at one turn every 30 s",
        PAGE * PAGES / 1024
    );
    assert!(per_turn < 0.1, "{per_turn}");
}
