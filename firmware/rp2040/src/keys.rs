//! The board's buttons, read by sleeping until one is pressed.
//!
//! The core sleeps (`wfi`) until a button pin goes low (a level interrupt, so a button already
//! down when the core goes to sleep still wakes it) or an idle timer (alarm 0) fires. While a
//! button is down it looks again every 2 ms, which is what the debouncing in
//! `fieldpack_device::Buttons` needs to tell a bounce from a press and a press from a long one.

use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m::peripheral::NVIC;
use embedded_hal::digital::InputPin;
use fieldpack_device::{Buttons, Wake};
use fieldpack_reader::Input;
use fugit::ExtU32;
use rp2040_hal::gpio::{DynPinId, FunctionSioInput, Interrupt as PinInterrupt, Pin, PullUp};
use rp2040_hal::pac::{interrupt, Interrupt};
use rp2040_hal::timer::{Alarm, Alarm0};
use rp2040_hal::Timer;

/// A button's pin: an input with the chip's pull-up, the button wired to ground.
pub type KeyPin = Pin<DynPinId, FunctionSioInput, PullUp>;

/// Set by the interrupts that end a sleep.
static WOKE: AtomicBool = AtomicBool::new(false);

/// Milliseconds between looks while a button is down.
const POLL_MS: u32 = 2;

/// The buttons of a board, `N` of them.
pub struct Keys<const N: usize> {
    pins: [KeyPin; N],
    buttons: Buttons<N>,
    timer: Timer,
    alarm: Alarm0,
}

impl<const N: usize> Keys<N> {
    /// Buttons on `pins`, standing for `map` (the same order).
    pub fn new(pins: [KeyPin; N], map: [Input; N], mut timer: Timer) -> Option<Self> {
        let alarm = timer.alarm_0()?;
        Some(Keys {
            pins,
            buttons: Buttons::new(map),
            timer,
            alarm,
        })
    }

    fn now_ms(&self) -> u32 {
        (self.timer.get_counter().ticks() / 1000) as u32
    }

    fn levels(&mut self) -> [bool; N] {
        let mut levels = [false; N];
        for (l, p) in levels.iter_mut().zip(self.pins.iter_mut()) {
            *l = p.is_low().unwrap_or(false);
        }
        levels
    }

    /// Sleeps until a key (debounced) or until `timeout_ms` passes with no button down.
    pub fn wait(&mut self, timeout_ms: Option<u32>) -> Wake {
        let start = self.now_ms();
        loop {
            let levels = self.levels();
            let now = self.now_ms();
            if let Some(input) = self.buttons.update(now, levels) {
                return Wake::Input(input);
            }
            if self.buttons.busy() {
                self.sleep(Some(POLL_MS), false);
                continue;
            }
            let elapsed = now.wrapping_sub(start);
            match timeout_ms {
                Some(t) if elapsed >= t => return Wake::Timeout,
                Some(t) => self.sleep(Some(t - elapsed), true),
                None => self.sleep(None, true),
            }
        }
    }

    /// Sleeps until `ms` pass (if given) or, with `keys`, a button pin is low.
    fn sleep(&mut self, ms: Option<u32>, keys: bool) {
        WOKE.store(false, Ordering::SeqCst);
        if keys {
            for p in self.pins.iter() {
                p.set_interrupt_enabled(PinInterrupt::LevelLow, true);
            }
            // SAFETY: the handler below only masks itself and sets a flag.
            #[allow(unsafe_code)]
            unsafe {
                NVIC::unmask(Interrupt::IO_IRQ_BANK0)
            };
        }
        if let Some(ms) = ms {
            self.alarm.clear_interrupt();
            self.alarm.enable_interrupt();
            if self.alarm.schedule(ms.millis()).is_err() {
                WOKE.store(true, Ordering::SeqCst);
            }
            // SAFETY: as above.
            #[allow(unsafe_code)]
            unsafe {
                NVIC::unmask(Interrupt::TIMER_IRQ_0)
            };
        }
        crate::delay::sleep_until(&WOKE);
        for p in self.pins.iter() {
            p.set_interrupt_enabled(PinInterrupt::LevelLow, false);
        }
        NVIC::mask(Interrupt::IO_IRQ_BANK0);
        NVIC::mask(Interrupt::TIMER_IRQ_0);
        let _ = self.alarm.cancel();
        self.alarm.disable_interrupt();
        self.alarm.clear_interrupt();
    }
}

#[interrupt]
fn IO_IRQ_BANK0() {
    // The level stays low while the button is down: masked here, unmasked by the next sleep.
    NVIC::mask(Interrupt::IO_IRQ_BANK0);
    WOKE.store(true, Ordering::SeqCst);
}

#[interrupt]
fn TIMER_IRQ_0() {
    NVIC::mask(Interrupt::TIMER_IRQ_0);
    WOKE.store(true, Ordering::SeqCst);
}
