//! Pico + Pimoroni Pico Display Pack 2.0, ST7789 320x240, buttons A/B/X/Y (the 320x240 profile).
#![no_std]
#![no_main]

fn setup() -> (
    impl fieldpack_device::Board<Color = embedded_graphics::pixelcolor::Rgb565>,
    Option<(
        impl embedded_sdmmc::BlockDevice,
        &'static mut fieldpack_device::BlockCache,
    )>,
) {
    fieldpack_rp2040::boards::display_pack((240, 320), (0, 0))
}

fieldpack_rp2040::board_main!(
    setup,
    fieldpack_reader::profile::TFT_320X240,
    fieldpack_reader::profile::DAYLIGHT,
    fieldpack_device::IdlePolicy::LIT_PANEL
);
