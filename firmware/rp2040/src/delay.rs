//! Delays for the display drivers that sleep instead of spinning: a panel's reset and wake-up
//! take up to 150 ms and an e-paper refresh seconds, which a spinning core would spend at full
//! current.

use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m::peripheral::NVIC;
use embedded_hal::delay::DelayNs;
use fugit::ExtU32;
use rp2040_hal::pac::{interrupt, Interrupt};
use rp2040_hal::timer::{Alarm, Alarm1};
use rp2040_hal::Timer;

static WOKE: AtomicBool = AtomicBool::new(false);

/// Sleeps (`wfi`) until an interrupt handler has set `woken`.
pub(crate) fn sleep_until(woken: &AtomicBool) {
    while !woken.load(Ordering::SeqCst) {
        // With interrupts off between the look and the `wfi`, a wake-up cannot slip in
        // unseen: a pending interrupt ends `wfi` even then, and runs once they are on.
        cortex_m::interrupt::free(|_| {
            if !woken.load(Ordering::SeqCst) {
                cortex_m::asm::wfi();
            }
        });
    }
}

/// Delays shorter than this spin (waking up costs more than it saves).
const SPIN_BELOW_US: u32 = 200;

/// A delay that sleeps on the timer's alarm 1.
pub struct SleepDelay {
    timer: Timer,
    alarm: Alarm1,
}

impl SleepDelay {
    /// A delay on `timer` (taking its alarm 1).
    pub fn new(mut timer: Timer) -> Option<Self> {
        let alarm = timer.alarm_1()?;
        Some(SleepDelay { timer, alarm })
    }
}

impl DelayNs for SleepDelay {
    fn delay_ns(&mut self, ns: u32) {
        let us = ns.div_ceil(1000);
        if us < SPIN_BELOW_US {
            self.timer.delay_us(us);
            return;
        }
        WOKE.store(false, Ordering::SeqCst);
        self.alarm.clear_interrupt();
        self.alarm.enable_interrupt();
        if self.alarm.schedule(us.micros()).is_err() {
            self.timer.delay_us(us);
            return;
        }
        // SAFETY: the handler only masks itself and sets a flag.
        #[allow(unsafe_code)]
        unsafe {
            NVIC::unmask(Interrupt::TIMER_IRQ_1)
        };
        sleep_until(&WOKE);
        self.alarm.disable_interrupt();
        self.alarm.clear_interrupt();
    }

    fn delay_us(&mut self, us: u32) {
        self.delay_ns(us.saturating_mul(1000));
    }

    fn delay_ms(&mut self, ms: u32) {
        // Past u32 nanoseconds (4.3 s) in pieces.
        for _ in 0..ms / 1000 {
            self.delay_ns(1_000_000_000);
        }
        self.delay_ns((ms % 1000) * 1_000_000);
    }
}

#[interrupt]
fn TIMER_IRQ_1() {
    NVIC::mask(Interrupt::TIMER_IRQ_1);
    WOKE.store(true, Ordering::SeqCst);
}
