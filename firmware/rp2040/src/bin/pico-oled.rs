//! Pico + SSD1306 128x64 I2C OLED, four wired buttons (the 128x64 profile).
#![no_std]
#![no_main]

fn setup() -> (
    impl fieldpack_device::Board<Color = embedded_graphics::pixelcolor::BinaryColor>,
    Option<(
        impl embedded_sdmmc::BlockDevice,
        &'static mut fieldpack_device::BlockCache,
    )>,
) {
    fieldpack_rp2040::boards::pico_oled()
}

fieldpack_rp2040::board_main!(
    setup,
    fieldpack_reader::profile::OLED_128X64,
    fieldpack_reader::profile::MONO,
    fieldpack_device::IdlePolicy::LIT_PANEL
);
