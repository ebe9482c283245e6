//! The firmware for the 296x128 profile.
#![no_std]
#![no_main]

fieldpack_qemu::firmware_main!(
    fieldpack_reader::profile::EPAPER_296X128,
    fieldpack_reader::profile::MONO
);
