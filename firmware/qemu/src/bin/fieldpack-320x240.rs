//! The firmware for the 320x240 profile.
#![no_std]
#![no_main]

fieldpack_qemu::firmware_main!(
    fieldpack_reader::profile::TFT_320X240,
    fieldpack_reader::profile::DAYLIGHT
);
