//! Pico + Waveshare Pico-ePaper-2.9 (296x128), four wired buttons (the 296x128 profile).
#![no_std]
#![no_main]

fn setup() -> (
    impl fieldpack_device::Board<Color = embedded_graphics::pixelcolor::BinaryColor>,
    Option<(
        impl embedded_sdmmc::BlockDevice,
        &'static mut fieldpack_device::BlockCache,
    )>,
) {
    fieldpack_rp2040::boards::pico_epaper()
}

fieldpack_rp2040::board_main!(
    setup,
    fieldpack_reader::profile::EPAPER_296X128,
    fieldpack_reader::profile::MONO,
    fieldpack_device::IdlePolicy::PAPER
);
