//! Prints how fast uploads are processed (decoded, turned upright, re-encoded without
//! metadata, previewed, blurhashed) on one core, and the memory processing a 20-megapixel
//! photo takes. Run: `cargo bench --bench media`.

use guild::config::MediaLimits;
use guild::service::media::process;
use image::{DynamicImage, ImageFormat, RgbImage};
use std::time::{Duration, Instant};

/// A photo-like picture: smooth gradients with grain, so it compresses as photos do.
fn photo(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let image = RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let grain = (seed % 24) as u8;
        let r = (x * 255 / width) as u8;
        let g = (y * 255 / height) as u8;
        image::Rgb([
            r.saturating_add(grain),
            g.saturating_add(grain),
            128 + grain,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, format)
        .expect("encode");
    out.into_inner()
}

fn limits() -> MediaLimits {
    MediaLimits {
        max_image_bytes: 256 * 1024 * 1024,
        max_file_bytes: 256 * 1024 * 1024,
        max_pixels: 40_000_000,
        workers: 1,
    }
}

fn rate(label: &str, upload: &[u8], claimed: &str) {
    let (mut count, start) = (0u32, Instant::now());
    while count < 3 || start.elapsed() < Duration::from_secs(5) {
        process(&limits(), upload, claimed).expect("processed");
        count += 1;
    }
    let seconds = start.elapsed().as_secs_f64() / f64::from(count);
    println!(
        "{label:<44} {:>7.2} uploads/s  ({:>6.0} ms each, {:>5.1} MB in)",
        1.0 / seconds,
        seconds * 1000.0,
        upload.len() as f64 / 1e6
    );
}

/// The process's peak resident memory in MB (Linux), and a way to start counting again.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let big = photo(5472, 3648, ImageFormat::Jpeg);
    reset_peak();
    let before = peak_mb();
    let start = Instant::now();
    process(&limits(), &big, "image/jpeg").expect("processed");
    println!(
        "20-megapixel JPEG (5472 x 3648), once: {:.0} ms, peak memory {:.0} MB (from {:.0} MB before)",
        start.elapsed().as_secs_f64() * 1000.0,
        peak_mb(),
        before
    );
    rate("20-megapixel JPEG photo", &big, "image/jpeg");
    drop(big);
    rate(
        "12-megapixel JPEG photo (4032 x 3024)",
        &photo(4032, 3024, ImageFormat::Jpeg),
        "image/jpeg",
    );
    rate(
        "screenshot PNG (1920 x 1080)",
        &photo(1920, 1080, ImageFormat::Png),
        "image/png",
    );
    let pdf = [b"%PDF-1.7\n".as_slice(), &vec![b'x'; 5_000_000]].concat();
    rate("5 MB PDF (kept as it is)", &pdf, "application/pdf");
}
