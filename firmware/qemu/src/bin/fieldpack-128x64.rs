//! The firmware for the 128x64 profile.
#![no_std]
#![no_main]

fieldpack_qemu::firmware_main!(
    fieldpack_reader::profile::OLED_128X64,
    fieldpack_reader::profile::MONO
);
