//! Each board's wiring: which pins, which bus, which driver settings. The pin maps follow the
//! boards' published pinouts and are tabled in the README.

use embedded_graphics::pixelcolor::{Rgb565, RgbColor};
use embedded_hal::spi::MODE_0;
use embedded_hal_bus::spi::ExclusiveDevice;
use fieldpack_device::Bands;
use fieldpack_reader::Input;
use mipidsi::models::ST7789;
use mipidsi::options::{ColorInversion, Orientation, Rotation};
use ssd1306::prelude::*;
use ssd1306::{I2CDisplayInterface, Ssd1306};

use crate::delay::SleepDelay;
use crate::hal::fugit::RateExtU32;
use crate::hal::{self, Clock};
use crate::keys::Keys;
use crate::panels::{Canvas, Lcd, Oled, Paper};
use crate::spi::{LcdBus, StreamingSpi};
use crate::{chip, halt};

/// The four buttons of the OLED and e-paper boards, as wired (README: "Wiring"): GP2 Up, GP3
/// Down, GP6 Select (hold: bookmark), GP7 Back, each to ground.
const WIRED_KEYS: [Input; 4] = [Input::Up, Input::Down, Input::Select, Input::Back];

/// A microSD breakout on SPI0: SCK GP18, MOSI GP19, MISO GP16, CS GP17 (the boards whose
/// displays leave SPI0 free: the OLED and e-paper boards).
pub type WiredCard = crate::sd::SpiCard<
    crate::spi::ClockedSpi<
        hal::spi::Spi<
            hal::spi::Enabled,
            hal::pac::SPI0,
            (
                hal::gpio::Pin<
                    hal::gpio::bank0::Gpio19,
                    hal::gpio::FunctionSpi,
                    hal::gpio::PullDown,
                >,
                hal::gpio::Pin<hal::gpio::bank0::Gpio16, hal::gpio::FunctionSpi, hal::gpio::PullUp>,
                hal::gpio::Pin<
                    hal::gpio::bank0::Gpio18,
                    hal::gpio::FunctionSpi,
                    hal::gpio::PullDown,
                >,
            ),
            8,
        >,
    >,
    hal::gpio::Pin<hal::gpio::bank0::Gpio17, hal::gpio::FunctionSioOutput, hal::gpio::PullDown>,
    hal::Timer,
>;

/// A `&'static mut` to a zeroed static of a type for which all-zero bytes are a valid value,
/// handed out once (`None` after): large buffers live in .bss rather than being built on the
/// stack and moved, which copies them and counts every copy in the peak stack.
macro_rules! zeroed_static {
    ($t:ty) => {{
        static mut VALUE: core::mem::MaybeUninit<$t> = core::mem::MaybeUninit::zeroed();
        static mut TAKEN: bool = false;
        cortex_m::interrupt::free(|_| {
            // SAFETY: interrupts are off and TAKEN hands the value out once, so no second
            // reference to it ever exists; the caller names a type valid as all zeros.
            #[allow(unsafe_code)]
            unsafe {
                let taken = &mut *core::ptr::addr_of_mut!(TAKEN);
                if *taken {
                    return None;
                }
                *taken = true;
                Some((*core::ptr::addr_of_mut!(VALUE)).assume_init_mut())
            }
        })
    }};
}

/// The card's block cache (6 KiB): all zeros is a valid cache (block indices and blocks are
/// plain integers), and `Card::open` empties it anyway.
fn card_cache() -> Option<&'static mut fieldpack_device::BlockCache> {
    zeroed_static!(fieldpack_device::BlockCache)
}

/// The e-paper frame (4.7 KiB): all zeros is a valid frame (a black buffer, rotation 0),
/// cleared before the first draw anyway.
fn epaper_frame() -> Option<&'static mut epd_waveshare::epd2in9_v2::Display2in9> {
    zeroed_static!(epd_waveshare::epd2in9_v2::Display2in9)
}

/// The card slot of the wired breakout: 400 kHz until the card answers. MISO is pulled up, as
/// an SD card's data out idles high (and an empty slot reads `0xFF`).
#[allow(clippy::too_many_arguments)]
fn wired_card(
    spi0: hal::pac::SPI0,
    sck: hal::gpio::Pin<hal::gpio::bank0::Gpio18, hal::gpio::FunctionNull, hal::gpio::PullDown>,
    mosi: hal::gpio::Pin<hal::gpio::bank0::Gpio19, hal::gpio::FunctionNull, hal::gpio::PullDown>,
    miso: hal::gpio::Pin<hal::gpio::bank0::Gpio16, hal::gpio::FunctionNull, hal::gpio::PullDown>,
    cs: hal::gpio::Pin<hal::gpio::bank0::Gpio17, hal::gpio::FunctionNull, hal::gpio::PullDown>,
    resets: &mut hal::pac::RESETS,
    peri_hz: u32,
    timer: hal::Timer,
) -> Option<(WiredCard, &'static mut fieldpack_device::BlockCache)> {
    let spi = hal::spi::Spi::<_, _, _, 8>::new(
        spi0,
        (
            mosi.into_function(),
            miso.into_pull_up_input().into_function(),
            sck.into_function(),
        ),
    )
    .init(resets, peri_hz.Hz(), 400.kHz(), MODE_0);
    let mut spi = crate::spi::ClockedSpi { spi, peri_hz };
    let mut cs = cs.into_push_pull_output_in_state(hal::gpio::PinState::High);
    if !crate::sd::present(&mut spi, &mut cs) {
        return None;
    }
    let card = crate::sd::SpiCard::new(spi, cs, timer);
    Some((card, card_cache()?))
}

/// Pico + SSD1306 128x64 OLED on I2C0: SDA GP4, SCL GP5, address 0x3C, 400 kHz; a microSD
/// breakout on SPI0 when wired.
#[allow(clippy::type_complexity)]
pub fn pico_oled() -> (
    Oled<impl WriteOnlyDataCommand, 4>,
    Option<(WiredCard, &'static mut fieldpack_device::BlockCache)>,
) {
    let mut c = chip();
    let p = c.pins;
    let card = wired_card(
        c.spi0,
        p.gpio18,
        p.gpio19,
        p.gpio16,
        p.gpio17,
        &mut c.resets,
        c.clocks.peripheral_clock.freq().to_Hz(),
        c.timer,
    );
    let i2c = hal::I2C::i2c0(
        c.i2c0,
        p.gpio4.reconfigure(),
        p.gpio5.reconfigure(),
        400.kHz(),
        &mut c.resets,
        c.clocks.system_clock.freq(),
    );
    let mut display = Ssd1306::new(
        I2CDisplayInterface::new(i2c),
        DisplaySize128x64,
        DisplayRotation::Rotate0,
    )
    .into_buffered_graphics_mode();
    if display.init().is_err() {
        // No panel answers: nothing can be shown.
        halt();
    }
    let pins = [
        p.gpio2.into_pull_up_input().into_dyn_pin(),
        p.gpio3.into_pull_up_input().into_dyn_pin(),
        p.gpio6.into_pull_up_input().into_dyn_pin(),
        p.gpio7.into_pull_up_input().into_dyn_pin(),
    ];
    let Some(keys) = Keys::new(pins, WIRED_KEYS, c.timer) else {
        halt()
    };
    (Oled { display, keys }, card)
}

/// Pico + Waveshare Pico-ePaper-2.9 on SPI1: CLK GP10, DIN GP11, CS GP9, DC GP8, RST GP12,
/// BUSY GP13; 8 MHz (the SSD1680 takes 20 MHz writes; the refresh, not the bus, sets the pace);
/// a microSD breakout on SPI0 when wired.
#[allow(clippy::type_complexity)]
pub fn pico_epaper() -> (
    Paper<
        impl embedded_hal::spi::SpiDevice,
        impl embedded_hal::digital::InputPin,
        impl embedded_hal::digital::OutputPin,
        impl embedded_hal::digital::OutputPin,
        4,
    >,
    Option<(WiredCard, &'static mut fieldpack_device::BlockCache)>,
) {
    use epd_waveshare::epd2in9_v2::Epd2in9;
    use epd_waveshare::prelude::{DisplayRotation as EpdRotation, WaveshareDisplay};
    let mut c = chip();
    let p = c.pins;
    let card = wired_card(
        c.spi0,
        p.gpio18,
        p.gpio19,
        p.gpio16,
        p.gpio17,
        &mut c.resets,
        c.clocks.peripheral_clock.freq().to_Hz(),
        c.timer,
    );
    let spi = hal::spi::Spi::<_, _, _, 8>::new(
        c.spi1,
        (p.gpio11.into_function(), p.gpio10.into_function()),
    )
    .init(
        &mut c.resets,
        c.clocks.peripheral_clock.freq(),
        8.MHz(),
        MODE_0,
    );
    // Infallible: the pins' errors are.
    let Ok(mut spi) =
        ExclusiveDevice::new_no_delay(StreamingSpi(spi), p.gpio9.into_push_pull_output());
    let Some(mut delay) = SleepDelay::new(c.timer) else {
        halt()
    };
    // Poll BUSY every millisecond, sleeping between looks. Infallible (the SPI's errors are).
    let Ok(epd) = Epd2in9::new(
        &mut spi,
        p.gpio13.into_floating_input(),
        p.gpio8.into_push_pull_output(),
        p.gpio12.into_push_pull_output(),
        &mut delay,
        Some(1_000),
    );
    let Some(frame) = epaper_frame() else { halt() };
    frame.set_rotation(EpdRotation::Rotate90);
    let pins = [
        p.gpio2.into_pull_up_input().into_dyn_pin(),
        p.gpio3.into_pull_up_input().into_dyn_pin(),
        p.gpio6.into_pull_up_input().into_dyn_pin(),
        p.gpio7.into_pull_up_input().into_dyn_pin(),
    ];
    let Some(keys) = Keys::new(pins, WIRED_KEYS, c.timer) else {
        halt()
    };
    (
        Paper {
            epd,
            spi,
            canvas: Canvas(frame),
            keys,
            delay,
            partials: None,
            asleep: false,
        },
        card,
    )
}

/// Pimoroni Pico Display Pack (1.14", 240x135) or Pack 2.0 (2.0", 320x240): ST7789 on SPI0 at
/// 62.5 MHz (SCK GP18, MOSI GP19, CS GP17, DC GP16), backlight GP20 (PWM), buttons A GP12
/// (Select; hold: bookmark), B GP13 (Back), X GP14 (Up), Y GP15 (Down).
///
/// `size` and `offset`: the panel's visible part of the ST7789's 240x320 memory, in the
/// controller's portrait terms; the packs are mounted landscape (rotated 90 degrees).
/// The packs have no card slot, and their display takes SPI0.
pub fn display_pack(
    size: (u16, u16),
    offset: (u16, u16),
) -> (
    Lcd<impl mipidsi::interface::Interface<Word = u8>, impl embedded_hal::pwm::SetDutyCycle, 4>,
    Option<(crate::NoCard, &'static mut fieldpack_device::BlockCache)>,
) {
    let mut c = chip();
    let p = c.pins;
    let spi = hal::spi::Spi::<_, _, _, 8>::new(
        c.spi0,
        (p.gpio19.into_function(), p.gpio18.into_function()),
    )
    .init(
        &mut c.resets,
        c.clocks.peripheral_clock.freq(),
        62_500.kHz(),
        MODE_0,
    );
    let di = LcdBus::new(
        spi,
        p.gpio16.into_push_pull_output(),
        p.gpio17.into_push_pull_output(),
    );
    let Some(mut delay) = SleepDelay::new(c.timer) else {
        halt()
    };
    let Ok(display) = mipidsi::Builder::new(ST7789, di)
        .display_size(size.0, size.1)
        .display_offset(offset.0, offset.1)
        .orientation(Orientation::new().rotate(Rotation::Deg90))
        .invert_colors(ColorInversion::Inverted)
        .init(&mut delay)
    else {
        halt()
    };
    // The band: 16 rows of the widest pack (10 KiB), as much of it as this panel's rows take.
    let Some(band) = cortex_m::singleton!(: [Rgb565; 320 * 16] = [Rgb565::BLACK; 320 * 16]) else {
        halt()
    };
    let band = &mut band[..usize::from(size.1) * fieldpack_device::bands::BAND_ROWS as usize];
    let display = Bands::new(display, band);
    let slices = hal::pwm::Slices::new(c.pwm, &mut c.resets);
    let mut pwm = slices.pwm2;
    pwm.set_ph_correct();
    pwm.enable();
    let mut backlight = pwm.channel_a;
    let _ = backlight.output_to(p.gpio20);
    let _ = embedded_hal::pwm::SetDutyCycle::set_duty_cycle_fully_on(&mut backlight);
    let pins = [
        p.gpio14.into_pull_up_input().into_dyn_pin(),
        p.gpio15.into_pull_up_input().into_dyn_pin(),
        p.gpio12.into_pull_up_input().into_dyn_pin(),
        p.gpio13.into_pull_up_input().into_dyn_pin(),
    ];
    let Some(keys) = Keys::new(pins, WIRED_KEYS, c.timer) else {
        halt()
    };
    (
        Lcd {
            display,
            backlight,
            keys,
            delay,
        },
        None,
    )
}
