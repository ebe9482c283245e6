// Shared by the board crates' build scripts (`include!`d): puts the crate's `memory.x` where
// cortex-m-rt's linker script finds it, and compiles in the publisher keys the firmware trusts.
//
// `FIELDPACK_TRUSTED_KEYS`: public key files (`fieldpack keygen`'s `KEY.pub`), separated by
// `:`; the info screen names a bundle's signer by the name in its key file.
// `FIELDPACK_REQUIRE_SIGNED=1`: open only bundles signed by one of them. Without either, the
// firmware opens any intact bundle and says on its info screen whether and by whom it is
// signed; an altered signed bundle is refused whatever the setting.

/// Writes `trust.rs` into `out` from the environment.
fn write_trust(out: &std::path::Path) {
    use std::{env, fs};
    println!("cargo:rerun-if-env-changed=FIELDPACK_TRUSTED_KEYS");
    println!("cargo:rerun-if-env-changed=FIELDPACK_REQUIRE_SIGNED");
    let mut keys = String::new();
    let list = env::var("FIELDPACK_TRUSTED_KEYS").unwrap_or_default();
    for path in list.split(':').filter(|p| !p.is_empty()) {
        println!("cargo:rerun-if-changed={path}");
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut lines = text.lines();
        assert_eq!(
            lines.next().map(str::trim),
            Some("fieldpack-public-key-v1"),
            "{path}: not a Fieldpack public key file"
        );
        let (mut name, mut key) = (None, None);
        for line in lines {
            if let Some(n) = line.strip_prefix("name: ") {
                name = Some(n.to_string());
            } else if let Some(k) = line.strip_prefix("key: ") {
                key = Some(k.trim().to_string());
            }
        }
        let (name, key) = match (name, key) {
            (Some(n), Some(k)) if k.len() == 64 => (n, k),
            _ => panic!("{path}: a key file needs a name line and a 64-digit key line"),
        };
        let bytes: Vec<String> = (0..32)
            .map(|i| format!("0x{}", &key[2 * i..2 * i + 2]))
            .collect();
        keys.push_str(&format!(
            "    fieldpack_reader::TrustedKey {{ name: {name:?}, public_key: [{}] }},\n",
            bytes.join(", ")
        ));
    }
    let require = env::var("FIELDPACK_REQUIRE_SIGNED").is_ok_and(|v| v == "1");
    fs::write(
        out.join("trust.rs"),
        format!(
            "/// Publishers this firmware trusts (from FIELDPACK_TRUSTED_KEYS at build time).\n\
             pub const TRUSTED_KEYS: &[fieldpack_reader::TrustedKey<'static>] = &[\n{keys}];\n\
             /// Whether only their bundles open (FIELDPACK_REQUIRE_SIGNED=1 at build time).\n\
             pub const REQUIRE_SIGNED: bool = {require};\n"
        ),
    )
    .expect("write trust.rs");
}

/// The whole build script of a board crate.
fn board_build() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=../build_trust.rs");
    write_trust(&out);
}
