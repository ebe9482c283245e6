//! A microSD card's image as the device reads it: `fieldpack sim --card IMAGE` opens the card's
//! FAT volume with the device's own code (`fieldpack_device::card`, over `embedded-sdmmc`),
//! shows the shelf of its bundles when there are several, and reads the chosen one in blocks.

use std::cell::RefCell;

use anyhow::{bail, Result};
use embedded_graphics::pixelcolor::{BinaryColor, PixelColor, Rgb565};
use embedded_graphics::prelude::*;
use embedded_graphics_simulator::SimulatorDisplay;
use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
use fieldpack_device::Card;
use fieldpack_format::Inflater;
use fieldpack_reader::{App, Input, Profile, Shelf, Theme, DAYLIGHT, MONO};

use crate::sim::{capture_color, capture_mono, record, Frame};

/// A card's image in memory, as 512-byte blocks.
pub struct ImageBlocks(RefCell<Vec<u8>>);

impl ImageBlocks {
    /// The card whose image is `bytes` (a whole number of blocks; a partial last one is
    /// ignored).
    pub fn new(bytes: Vec<u8>) -> Self {
        ImageBlocks(RefCell::new(bytes))
    }
}

fn out_of_card() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "block past the card's end",
    )
}

impl BlockDevice for ImageBlocks {
    type Error = std::io::Error;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), Self::Error> {
        let image = self.0.borrow();
        for (i, b) in blocks.iter_mut().enumerate() {
            let at = (start.0 as usize + i) * Block::LEN;
            let src = image.get(at..at + Block::LEN).ok_or_else(out_of_card)?;
            b.contents.copy_from_slice(src);
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), Self::Error> {
        let mut image = self.0.borrow_mut();
        for (i, b) in blocks.iter().enumerate() {
            let at = (start.0 as usize + i) * Block::LEN;
            let dst = image.get_mut(at..at + Block::LEN).ok_or_else(out_of_card)?;
            dst.copy_from_slice(&b.contents);
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, Self::Error> {
        Ok(BlockCount((self.0.borrow().len() / Block::LEN) as u32))
    }
}

/// The frames of a session with a card in the device: the shelf while a bundle is chosen
/// (when the card holds more than one), then the chosen bundle's screens.
pub fn run(image: Vec<u8>, profile: Profile, keys: &[Input]) -> Result<Vec<Frame>> {
    let mut cache = Box::new(fieldpack_device::BlockCache::new());
    let card = match Card::open(ImageBlocks::new(image), &mut cache) {
        Ok(c) => c,
        Err(e) => bail!("the card has no readable FAT volume ({e:?}): format it FAT32"),
    };
    let shelf = card
        .shelf()
        .map_err(|e| anyhow::anyhow!("cannot list the card's root folder: {e:?}"))?;
    if shelf.is_empty() {
        bail!("no bundles (.fpk files) in the card's root folder");
    }
    let size = Size::new(profile.width, profile.height);
    if profile.color {
        session(
            &card,
            &shelf,
            profile,
            keys,
            SimulatorDisplay::<Rgb565>::new(size),
            &DAYLIGHT,
            capture_color,
        )
    } else {
        session(
            &card,
            &shelf,
            profile,
            keys,
            SimulatorDisplay::<BinaryColor>::new(size),
            &MONO,
            |d| capture_mono(d, &profile),
        )
    }
}

fn session<C: PixelColor>(
    card: &Card<'_, ImageBlocks>,
    entries: &[fieldpack_device::ShelfEntry],
    profile: Profile,
    keys: &[Input],
    mut display: SimulatorDisplay<C>,
    theme: &Theme<C>,
    capture: impl Fn(&SimulatorDisplay<C>) -> Frame,
) -> Result<Vec<Frame>> {
    let mut frames = Vec::new();
    let mut keys = keys.iter().copied();
    let chosen = if entries.len() == 1 {
        0
    } else {
        let mut shelf = Shelf::default();
        let label = |i: usize| {
            let e = &entries[i];
            (e.name.as_str(), e.size)
        };
        loop {
            shelf
                .draw(&mut display, theme, &profile, entries.len(), label)
                .map_err(|e| anyhow::anyhow!("display error: {e:?}"))?;
            frames.push(capture(&display));
            let Some(k) = keys.next() else {
                return Ok(frames);
            };
            if let Some(i) = shelf.handle(k, entries.len()) {
                break i;
            }
        }
    };
    let file = card
        .open_bundle(&entries[chosen])
        .map_err(|e| anyhow::anyhow!("cannot open {} on the card: {e:?}", entries[chosen].name))?;
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; profile.window_bytes];
    let mut app = App::new(file, profile, &mut inflater, &mut window);
    let rest: Vec<Input> = keys.collect();
    let mut handle = |app: &mut App<_>, k: Input| app.handle(k);
    frames.extend(record(
        &mut app,
        &mut handle,
        &rest,
        display,
        theme,
        capture,
    )?);
    Ok(frames)
}
