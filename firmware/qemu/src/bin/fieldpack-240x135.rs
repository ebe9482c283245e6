//! The firmware for the 240x135 profile.
#![no_std]
#![no_main]

fieldpack_qemu::firmware_main!(
    fieldpack_reader::profile::TFT_240X135,
    fieldpack_reader::profile::DAYLIGHT
);
