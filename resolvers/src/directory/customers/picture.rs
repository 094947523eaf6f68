//! Decoding, cropping, scaling and PNG encoding of avatar pictures, with the
//! decoder crates directly (`png`, `zune-jpeg`, `gif`, `image-webp`).
//!
//! Why not the `image` crate, which wraps the same decoders: its colour
//! management dependencies (`moxcms`, `pxfm`) cost more than a minute of
//! every cold build (see BENCHMARKS.md). What is done here is what `scale`
//! did with `image`: the format is sniffed from the magic bytes, the width
//! and height are checked before any pixel is decoded, the first frame is
//! taken, cropped to a centred square and scaled down with the Lanczos3
//! filter of `image`'s `imageops::resize` (same kernel, same passes, same
//! rounding), then written as an 8-bit PNG with the channels of the source
//! (grey, grey and alpha, RGB or RGBA).

use std::io::Cursor;

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Largest buffer of decoded pixels (as `image`'s `Limits::max_alloc` was).
const MAX_ALLOC: usize = 512 * 1024 * 1024;
const NOT_AN_IMAGE: &str = "is not a GIF, JPEG, PNG or WebP image";
const EMPTY: &str = "is an empty image";
// The details `image` gave for its limit errors.
const SIZE_LIMIT: &str = "Image size exceeds limit";
const MEMORY_LIMIT: &str = "Memory limit exceeded";

/// Decodes `bytes` (GIF, JPEG, PNG or WebP; for an animation, its first
/// frame), crops the picture to a centred square, scales that down to
/// `side` × `side` when it is larger, and encodes it as PNG. Pictures wider
/// or taller than `max_dimension` are refused before their pixels are
/// decoded. Every failure is an `Err` with a message for the user.
pub fn square_png(bytes: &[u8], side: u32, max_dimension: u32) -> Result<Vec<u8>, String> {
    let decoded = match sniff(bytes) {
        Some(Format::Gif) => decode_gif(bytes, max_dimension)?,
        Some(Format::Jpeg) => decode_jpeg(bytes, max_dimension)?,
        Some(Format::Png) => decode_png(bytes, max_dimension)?,
        Some(Format::WebP) => decode_webp(bytes, max_dimension)?,
        None => return Err(NOT_AN_IMAGE.into()),
    };
    if decoded.width == 0 || decoded.height == 0 {
        return Err(EMPTY.into());
    }
    let square = crop_square(decoded);
    let scaled = if square.width > side {
        lanczos3(&square, side, side)?
    } else {
        square
    };
    encode_png(&scaled)
}

enum Format {
    Gif,
    Jpeg,
    Png,
    WebP,
}

/// 8-bit pixels, row after row, `channels` bytes each: 1 (grey), 2 (grey,
/// alpha), 3 (RGB) or 4 (RGBA). `data.len()` is always
/// `width * height * channels`.
struct Bitmap {
    width: u32,
    height: u32,
    channels: usize,
    data: Vec<u8>,
}

impl Bitmap {
    fn new(width: u32, height: u32, channels: usize, data: Vec<u8>) -> Result<Self, String> {
        if data.len() != byte_count(width, height, channels)? {
            return Err(unreadable(
                "the decoded pixels do not match the size announced",
            ));
        }
        Ok(Self {
            width,
            height,
            channels,
            data,
        })
    }
}

fn unreadable(detail: impl std::fmt::Display) -> String {
    format!("cannot be read as an image ({detail})")
}

fn check_dimensions(width: u32, height: u32, max_dimension: u32) -> Result<(), String> {
    if width > max_dimension || height > max_dimension {
        return Err(unreadable(SIZE_LIMIT));
    }
    Ok(())
}

fn byte_count(width: u32, height: u32, channels: usize) -> Result<usize, String> {
    (width as usize)
        .checked_mul(height as usize)
        .and_then(|pixels| pixels.checked_mul(channels))
        .ok_or_else(|| unreadable(MEMORY_LIMIT))
}

/// A zeroed buffer of `len` bytes, refused above MAX_ALLOC or when the
/// allocator says no (rather than aborting).
fn allocate(len: usize) -> Result<Vec<u8>, String> {
    if len > MAX_ALLOC {
        return Err(unreadable(MEMORY_LIMIT));
    }
    let mut buffer = Vec::new();
    buffer
        .try_reserve_exact(len)
        .map_err(|_| unreadable(MEMORY_LIMIT))?;
    buffer.resize(len, 0);
    Ok(buffer)
}

/// The format, from the magic bytes (the signatures `image` recognised).
fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
        Some(Format::WebP)
    } else {
        None
    }
}

/// PNG: palettes and low bit depths expanded to 8 bits (transparency
/// becoming an alpha channel), 16-bit samples cut to 8.
fn decode_png(bytes: &[u8], max_dimension: u32) -> Result<Bitmap, String> {
    let mut decoder =
        png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: MAX_ALLOC });
    let (width, height) = decoder.read_header_info().map_err(unreadable)?.size();
    check_dimensions(width, height, max_dimension)?;
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(unreadable)?;
    let len = reader
        .output_buffer_size()
        .ok_or_else(|| unreadable(MEMORY_LIMIT))?;
    let mut data = allocate(len)?;
    let frame = reader.next_frame(&mut data).map_err(unreadable)?;
    let channels = match (frame.color_type, frame.bit_depth) {
        (png::ColorType::Grayscale, png::BitDepth::Eight) => 1,
        (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight) => 2,
        (png::ColorType::Rgb, png::BitDepth::Eight) => 3,
        (png::ColorType::Rgba, png::BitDepth::Eight) => 4,
        (color, depth) => return Err(unreadable(format!("unexpected {color:?} {depth:?} output"))),
    };
    data.truncate(frame.buffer_size());
    Bitmap::new(frame.width, frame.height, channels, data)
}

/// JPEG: grey, grey and alpha, RGB and RGBA pictures keep their channels,
/// the others (YCbCr, CMYK, …) become RGB, as `image` had them.
fn decode_jpeg(bytes: &[u8], max_dimension: u32) -> Result<Bitmap, String> {
    // The header first, with no limit of the decoder's own (a JPEG is at most
    // 65535 pixels wide), so that a picture too large gets the same error as
    // in the other formats; the header holds no pixels.
    let any_size = usize::from(u16::MAX);
    let options = DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(any_size)
        .set_max_height(any_size);
    let mut header = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    header.decode_headers().map_err(unreadable)?;
    let (width, height) = header
        .dimensions()
        .ok_or_else(|| unreadable("no frame header"))?;
    let width = u32::try_from(width).map_err(|_| unreadable(SIZE_LIMIT))?;
    let height = u32::try_from(height).map_err(|_| unreadable(SIZE_LIMIT))?;
    check_dimensions(width, height, max_dimension)?;
    let colour = match header.input_colorspace() {
        Some(c @ (ColorSpace::RGB | ColorSpace::RGBA | ColorSpace::Luma | ColorSpace::LumaA)) => c,
        _ => ColorSpace::RGB,
    };

    // The output colour space has to be set before the headers are read.
    let limit = max_dimension as usize;
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(colour)
        .set_strict_mode(false)
        .set_max_width(limit)
        .set_max_height(limit);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(unreadable)?;
    let len = decoder
        .output_buffer_size()
        .ok_or_else(|| unreadable(MEMORY_LIMIT))?;
    let mut data = allocate(len)?;
    decoder.decode_into(&mut data).map_err(unreadable)?;
    Bitmap::new(width, height, colour.num_components(), data)
}

/// GIF: the first frame, as RGBA on the logical screen; what it does not
/// cover stays transparent (as `image` had it, ignoring the background
/// colour).
fn decode_gif(bytes: &[u8], max_dimension: u32) -> Result<Bitmap, String> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(bytes).map_err(unreadable)?;
    let (width, height) = (u32::from(decoder.width()), u32::from(decoder.height()));
    check_dimensions(width, height, max_dimension)?;
    let (left, top, frame_width, frame_height) = match decoder.next_frame_info() {
        Ok(Some(frame)) => (frame.left, frame.top, frame.width, frame.height),
        Ok(None) => return Err(unreadable("no frame")),
        Err(e) => return Err(unreadable(e)),
    };
    let frame_len = byte_count(u32::from(frame_width), u32::from(frame_height), 4)?;
    let mut screen = allocate(byte_count(width, height, 4)?)?;
    let screen_width = width as usize;
    let (left, top) = (usize::from(left), usize::from(top));
    let (frame_width, frame_height) = (usize::from(frame_width), usize::from(frame_height));
    if left == 0 && frame_width == screen_width && top + frame_height <= height as usize {
        // As wide as the screen: decoded in place, as `image` did.
        let rows = top * screen_width * 4..(top + frame_height) * screen_width * 4;
        decoder
            .read_into_buffer(&mut screen[rows])
            .map_err(unreadable)?;
    } else {
        if screen.len().saturating_add(frame_len) > MAX_ALLOC {
            return Err(unreadable(MEMORY_LIMIT));
        }
        let mut frame = allocate(frame_len)?;
        decoder.read_into_buffer(&mut frame).map_err(unreadable)?;
        if frame_width > 0 && left < screen_width {
            let visible = frame_width.min(screen_width - left) * 4;
            for (y, row) in (top..height as usize).zip(frame.chunks_exact(frame_width * 4)) {
                let start = (y * screen_width + left) * 4;
                screen[start..start + visible].copy_from_slice(&row[..visible]);
            }
        }
    }
    Bitmap::new(width, height, 4, screen)
}

/// WebP (lossy or lossless; for an animation, its first frame): RGBA when
/// the picture has alpha, RGB otherwise.
fn decode_webp(bytes: &[u8], max_dimension: u32) -> Result<Bitmap, String> {
    let mut decoder = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, max_dimension)?;
    let len = decoder
        .output_buffer_size()
        .ok_or_else(|| unreadable(MEMORY_LIMIT))?;
    let mut data = allocate(len)?;
    decoder.read_image(&mut data).map_err(unreadable)?;
    let channels = if decoder.has_alpha() { 4 } else { 3 };
    Bitmap::new(width, height, channels, data)
}

/// The centred square of `bitmap`, cropped in place (for an odd difference,
/// the extra column or row left out is the one on the right or at the
/// bottom, as with `image`).
fn crop_square(mut bitmap: Bitmap) -> Bitmap {
    if bitmap.width == bitmap.height {
        return bitmap;
    }
    let side = bitmap.width.min(bitmap.height);
    let left = ((bitmap.width - side) / 2) as usize;
    let top = ((bitmap.height - side) / 2) as usize;
    let (width, channels) = (bitmap.width as usize, bitmap.channels);
    let row = side as usize * channels;
    // Each row moves towards the start, never over a row still to be moved.
    for y in 0..side as usize {
        let from = ((top + y) * width + left) * channels;
        bitmap.data.copy_within(from..from + row, y * row);
    }
    bitmap.data.truncate(side as usize * row);
    bitmap.width = side;
    bitmap.height = side;
    bitmap
}

/// `source` resampled to `width` × `height` with a Lanczos3 filter, as
/// `image::imageops::resize` does it (imageops/sample.rs): a vertical pass
/// into `f32`, then a horizontal pass clamped and rounded to `u8`, each
/// output pixel reading the input pixels within 3 (scaled) pixels of its
/// centre with weights normalised to sum to 1. Alpha is not premultiplied.
fn lanczos3(source: &Bitmap, width: u32, height: u32) -> Result<Bitmap, String> {
    let channels = source.channels;
    let source_row = source.width as usize * channels;
    if source_row == 0 || source.height == 0 {
        return Err(EMPTY.into());
    }

    let mut between = vec![0.0f32; byte_count(source.width, height, channels)?];
    let rows = taps(source.height, height);
    for (out, (top, weights)) in between.chunks_exact_mut(source_row).zip(&rows) {
        for (k, weight) in weights.iter().enumerate() {
            let start = (top + k) * source_row;
            let input = &source.data[start..start + source_row];
            for (sum, &value) in out.iter_mut().zip(input) {
                *sum += f32::from(value) * weight;
            }
        }
    }

    let mut data = Vec::with_capacity(byte_count(width, height, channels)?);
    let columns = taps(source.width, width);
    for input in between.chunks_exact(source_row) {
        for (left, weights) in &columns {
            let window = &input[left * channels..];
            for channel in 0..channels {
                let mut sum = 0.0f32;
                for (k, weight) in weights.iter().enumerate() {
                    sum += window[k * channels + channel] * weight;
                }
                data.push(sum.clamp(0.0, 255.0).round() as u8);
            }
        }
    }
    Bitmap::new(width, height, channels, data)
}

/// For each of `output` pixels along an axis of `input` (≥ 1) pixels: the
/// first input pixel it reads and the normalised weights of the pixels from
/// there on (`horizontal_sample` and `vertical_sample` in image 0.25).
fn taps(input: u32, output: u32) -> Vec<(usize, Vec<f32>)> {
    let ratio = input as f32 / output as f32;
    let scale = ratio.max(1.0);
    let support = 3.0 * scale;
    let last = i64::from(input.max(1)) - 1;
    (0..output)
        .map(|out| {
            let centre = (out as f32 + 0.5) * ratio;
            let left = ((centre - support).floor() as i64).clamp(0, last);
            let right = ((centre + support).ceil() as i64).clamp(left + 1, last + 1);
            // The kernel has pixel centres at 0.
            let centre = centre - 0.5;
            let mut weights: Vec<f32> = (left..right)
                .map(|i| lanczos3_kernel((i as f32 - centre) / scale))
                .collect();
            let sum: f32 = weights.iter().sum();
            for weight in &mut weights {
                *weight /= sum;
            }
            (left as usize, weights)
        })
        .collect()
}

fn lanczos3_kernel(x: f32) -> f32 {
    if x.abs() < 3.0 {
        sinc(x) * sinc(x / 3.0)
    } else {
        0.0
    }
}

fn sinc(t: f32) -> f32 {
    if t == 0.0 {
        1.0
    } else {
        let a = t * std::f32::consts::PI;
        a.sin() / a
    }
}

/// An 8-bit PNG with the channels of `bitmap`, compressed as `image`'s
/// default PNG encoder did (fast deflate, adaptive filter).
fn encode_png(bitmap: &Bitmap) -> Result<Vec<u8>, String> {
    let colour = match bitmap.channels {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    };
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, bitmap.width, bitmap.height);
    encoder.set_color(colour);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&bitmap.data)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use image::codecs::webp::WebPEncoder;
    use image::imageops::FilterType;
    use image::{DynamicImage, ImageFormat};

    use super::*;

    const SIDE: u32 = 128;
    const MAX: u32 = 12_000;
    const TOO_LARGE: &str = "cannot be read as an image (Image size exceeds limit)";
    const UNREADABLE: &str = "cannot be read as an image (";

    /// Gradients, a sharp pattern (so that the filter rings) and varying
    /// alpha.
    fn rgba(width: u32, height: u32) -> DynamicImage {
        let image = image::RgbaImage::from_fn(width, height, |x, y| {
            image::Rgba([
                (x * 255 / width) as u8,
                (y * 255 / height) as u8,
                ((x ^ y) & 0xff) as u8,
                (128 + (x + y) % 128) as u8,
            ])
        });
        DynamicImage::ImageRgba8(image)
    }

    fn rgb(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(rgba(width, height).to_rgb8())
    }

    fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut out), format)
            .unwrap();
        out
    }

    /// Lossless: the only WebP encoder `image` has.
    fn webp(picture: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        let encoder = WebPEncoder::new_lossless(&mut out);
        picture.write_with_encoder(encoder).unwrap();
        out
    }

    /// A 300 × 200 screen with a global palette, and one frame of 200 × 150
    /// at (150, 80), so partly off the screen, with a transparent index.
    fn gif_offset_frame(interlaced: bool) -> Vec<u8> {
        let palette: Vec<u8> = (0..=255u8).flat_map(|v| [v, 255 - v, v / 2]).collect();
        let pixels: Vec<u8> = (0..150u32)
            .flat_map(|y| (0..200u32).map(move |x| ((x * 3 + y) % 256) as u8))
            .collect();
        let mut out = Vec::new();
        let mut encoder = gif::Encoder::new(&mut out, 300, 200, &palette).unwrap();
        let mut frame = gif::Frame::from_indexed_pixels(200, 150, pixels, Some(0));
        frame.left = 150;
        frame.top = 80;
        frame.interlaced = interlaced;
        encoder.write_frame(&frame).unwrap();
        encoder.into_inner().unwrap();
        out
    }

    /// 180 × 140, one frame covering the screen, with a local palette.
    fn gif_local_palette() -> Vec<u8> {
        let palette: Vec<u8> = (0..=255u8).flat_map(|v| [v / 3, v, 255 - v]).collect();
        let pixels: Vec<u8> = (0..140u32)
            .flat_map(|y| (0..180u32).map(move |x| ((x * x + y * 7) % 256) as u8))
            .collect();
        let mut out = Vec::new();
        let mut encoder = gif::Encoder::new(&mut out, 180, 140, &[]).unwrap();
        let frame = gif::Frame::from_palette_pixels(180, 140, pixels, palette, None);
        encoder.write_frame(&frame).unwrap();
        encoder.into_inner().unwrap();
        out
    }

    /// 200 × 150, 8-bit palette, partly transparent (tRNS).
    fn png_indexed() -> Vec<u8> {
        let palette: Vec<u8> = (0..=255u8).flat_map(|v| [v, v / 2, 255 - v]).collect();
        let transparency: Vec<u8> = (0..=255u8).map(|v| v.wrapping_mul(7)).collect();
        let pixels: Vec<u8> = (0..150u32)
            .flat_map(|y| (0..200u32).map(move |x| ((x + y * y) % 256) as u8))
            .collect();
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 200, 150);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(palette);
        encoder.set_trns(transparency);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&pixels).unwrap();
        writer.finish().unwrap();
        out
    }

    /// 260 × 300, 16-bit grey.
    fn png_grey16() -> Vec<u8> {
        let grey: image::ImageBuffer<image::Luma<u16>, Vec<u16>> =
            image::ImageBuffer::from_fn(260, 300, |x, y| {
                image::Luma([((x * 65535 / 260) ^ (y * 97)) as u16])
            });
        encoded(&DynamicImage::ImageLuma16(grey), ImageFormat::Png)
    }

    /// What `scale` did with the `image` crate: the oracle.
    fn expected(bytes: &[u8]) -> DynamicImage {
        let picture = image::load_from_memory(bytes).unwrap();
        let (width, height) = (picture.width(), picture.height());
        let side = width.min(height);
        let square = picture.crop_imm((width - side) / 2, (height - side) / 2, side, side);
        if side > SIDE {
            square.resize_exact(SIDE, SIDE, FilterType::Lanczos3)
        } else {
            square
        }
    }

    fn decoded(bytes: &[u8]) -> DynamicImage {
        image::load_from_memory(bytes).unwrap()
    }

    fn assert_as_image_did(bytes: &[u8]) {
        let ours = decoded(&square_png(bytes, SIDE, MAX).unwrap()).to_rgba8();
        let theirs = expected(bytes).to_rgba8();
        assert_eq!(ours.dimensions(), theirs.dimensions());
        let differences: Vec<u8> = ours
            .as_raw()
            .iter()
            .zip(theirs.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .collect();
        let largest = differences.iter().copied().max().unwrap_or(0);
        let total: u64 = differences.iter().map(|&d| u64::from(d)).sum();
        let mean = total as f64 / differences.len() as f64;
        assert!(
            largest <= 3 && mean <= 1.0,
            "largest {largest}, mean {mean}"
        );
    }

    fn refused(bytes: &[u8], max_dimension: u32) -> String {
        square_png(bytes, SIDE, max_dimension).unwrap_err()
    }

    #[test]
    fn pngs_are_scaled_as_image_did() {
        let bytes = encoded(&rgba(300, 200), ImageFormat::Png);
        assert_as_image_did(&bytes);
        let scaled = decoded(&square_png(&bytes, SIDE, MAX).unwrap());
        assert_eq!((scaled.width(), scaled.height()), (SIDE, SIDE));
        assert!(scaled.color().has_alpha());

        assert_as_image_did(&encoded(&rgba(150, 611), ImageFormat::Png));
        assert_as_image_did(&encoded(&rgb(333, 129), ImageFormat::Png));
        assert_as_image_did(&png_grey16());
        assert_as_image_did(&png_indexed());
    }

    #[test]
    fn jpegs_are_scaled_as_image_did() {
        assert_as_image_did(&encoded(&rgb(300, 200), ImageFormat::Jpeg));
        let grey = DynamicImage::ImageLuma8(rgba(170, 240).to_luma8());
        assert_as_image_did(&encoded(&grey, ImageFormat::Jpeg));
    }

    #[test]
    fn gifs_are_scaled_as_image_did() {
        assert_as_image_did(&gif_offset_frame(false));
        assert_as_image_did(&gif_offset_frame(true));
        assert_as_image_did(&gif_local_palette());
    }

    #[test]
    fn webps_are_scaled_as_image_did() {
        assert_as_image_did(&webp(&rgba(300, 200)));
        assert_as_image_did(&webp(&rgb(210, 330)));
    }

    #[test]
    fn small_pictures_are_cropped_but_not_enlarged() {
        let tall = encoded(&rgba(61, 80), ImageFormat::Png);
        let scaled = decoded(&square_png(&tall, SIDE, MAX).unwrap());
        assert_eq!((scaled.width(), scaled.height()), (61, 61));
        assert_as_image_did(&tall);
        assert_as_image_did(&encoded(&rgba(97, 40), ImageFormat::Png));
        assert_as_image_did(&webp(&rgba(128, 128)));
    }

    #[test]
    fn pictures_over_the_dimension_limit_are_refused_from_their_header() {
        for bytes in [
            encoded(&rgba(300, 200), ImageFormat::Png),
            encoded(&rgb(300, 200), ImageFormat::Jpeg),
            gif_offset_frame(false),
            webp(&rgba(300, 200)),
        ] {
            assert_eq!(refused(&bytes, 299), TOO_LARGE);
            assert!(square_png(&bytes, SIDE, 300).is_ok());
        }

        // A header claiming 20000 × 20000 pixels, and no pixel data at all.
        let mut header = Vec::new();
        let mut encoder = png::Encoder::new(&mut header, 20_000, 20_000);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        drop(encoder.write_header().unwrap());
        assert_eq!(refused(&header, MAX), TOO_LARGE);
    }

    #[test]
    fn pictures_needing_more_than_512_mib_are_refused_before_allocating() {
        // 12000 × 12000 RGBA is 576 MB; the IDAT chunk is empty.
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, MAX, MAX);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_chunk(png::chunk::IDAT, &[]).unwrap();
        drop(writer);
        let memory = "cannot be read as an image (Memory limit exceeded)";
        assert_eq!(refused(&bytes, MAX), memory);
    }

    #[test]
    fn a_gif_with_an_empty_screen_is_an_empty_image() {
        let palette = [0u8, 0, 0, 255, 255, 255];
        let mut out = Vec::new();
        let mut encoder = gif::Encoder::new(&mut out, 0, 0, &palette).unwrap();
        let frame = gif::Frame::from_indexed_pixels(4, 4, vec![1; 16], None);
        encoder.write_frame(&frame).unwrap();
        encoder.into_inner().unwrap();
        assert_eq!(refused(&out, MAX), "is an empty image");
    }

    #[test]
    fn garbage_is_refused() {
        let not_an_image = "is not a GIF, JPEG, PNG or WebP image";
        assert_eq!(refused(b"", MAX), not_an_image);
        assert_eq!(refused(b"hello, I am a text file", MAX), not_an_image);
        assert_eq!(refused(b"BM\0\0\0\0 a bitmap", MAX), not_an_image);
        let magics: [&[u8]; 4] = [
            b"\x89PNG\r\n\x1a\n",
            &[0xff, 0xd8, 0xff, 0xe0],
            b"GIF89a",
            b"RIFF\x10\0\0\0WEBPVP8 ",
        ];
        for magic in magics {
            let mut bytes = magic.to_vec();
            bytes.extend_from_slice(&[0x5a; 64]);
            let message = refused(&bytes, MAX);
            assert!(message.starts_with(UNREADABLE), "{message}");
        }
    }

    #[test]
    fn truncated_pictures_are_refused_and_never_panic() {
        let png_bytes = encoded(&rgba(300, 200), ImageFormat::Png);
        let gif_bytes = gif_offset_frame(true);
        let webp_bytes = webp(&rgba(300, 200));
        for bytes in [&png_bytes, &gif_bytes, &webp_bytes] {
            let message = refused(&bytes[..bytes.len() / 2], MAX);
            assert!(message.starts_with(UNREADABLE), "{message}");
        }
        // A lenient JPEG decoder may fill in what is missing: not panicking
        // is all that is asked of any prefix of any format.
        let jpeg_bytes = encoded(&rgb(300, 200), ImageFormat::Jpeg);
        for bytes in [&png_bytes, &gif_bytes, &webp_bytes, &jpeg_bytes] {
            for len in (0..bytes.len()).step_by(bytes.len() / 40 + 1) {
                let _ = square_png(&bytes[..len], SIDE, MAX);
            }
        }
    }
}
