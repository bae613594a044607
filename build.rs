//! Link settings for the server binary.
//!
//! The binary is position-independent, so the loader patches every pointer in its read-only
//! data at start from a table of relative relocations: 1.4 MB of it, 24 bytes per pointer,
//! read whole and kept resident. Packed relative relocations (`DT_RELR`) describe the same
//! pointers in a few kilobytes. glibc understands them from 2.36 on and refuses to start a
//! binary that has them before that, so they are asked for only when building with such a
//! glibc for the same machine (building on Ubuntu 22.04's 2.35, the binary simply keeps the
//! old table).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("TARGET").ok() == std::env::var("HOST").ok()
        && std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
        && host_glibc_at_least(2, 36)
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn host_glibc_at_least(major: u32, minor: u32) -> bool {
    extern "C" {
        fn gnu_get_libc_version() -> *const std::ffi::c_char;
    }
    // SAFETY: glibc returns a pointer to a static, NUL-terminated version string.
    let version = unsafe { std::ffi::CStr::from_ptr(gnu_get_libc_version()) };
    let mut parts = version.to_str().unwrap_or("").split('.');
    let mut next = || {
        parts
            .next()
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    (next(), next()) >= (major, minor)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn host_glibc_at_least(_major: u32, _minor: u32) -> bool {
    false
}
