//! Pico + Pimoroni Pico Display Pack, ST7789 240x135, buttons A/B/X/Y (the 240x135 profile).
#![no_std]
#![no_main]

fn setup() -> (
    impl fieldpack_device::Board<Color = embedded_graphics::pixelcolor::Rgb565>,
    Option<(
        impl embedded_sdmmc::BlockDevice,
        &'static mut fieldpack_device::BlockCache,
    )>,
) {
    fieldpack_rp2040::boards::display_pack((135, 240), (52, 40))
}

fieldpack_rp2040::board_main!(
    setup,
    fieldpack_reader::profile::TFT_240X135,
    fieldpack_reader::profile::DAYLIGHT,
    fieldpack_device::IdlePolicy::LIT_PANEL
);
