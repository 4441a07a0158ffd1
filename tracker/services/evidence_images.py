"""Images: refuse decompression bombs, and make the copy without metadata that leaves.

A phone photo's EXIF block can hold the GPS position of a victim's home, the phone's make and
serial number, and the time to the second. Partner and public outputs use a copy re-encoded
from the pixels alone: no EXIF, GPS, XMP, ICC profile or comment survives, because nothing
but pixels is copied into a new image. The original is kept untouched for legal use.
"""

import struct
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from tracker.domain.errors import InvalidInput

# Pillow's format for each strippable media type, so a file is decoded only as what it is.
PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/apng": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
# Photos stay JPEG; everything else becomes a lossless PNG.
JPEG_QUALITY = 92
LOSSLESS_MODES = frozenset({"1", "L", "LA", "RGB", "RGBA"})
# What Pillow raises on a malformed or hostile image.
IMAGE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


@dataclass(frozen=True)
class CleanCopy:
    """The re-encoded image, its media type and the file name suffix to give it."""

    media_type: str
    suffix: str


def pixel_limit() -> int:
    """Pillow's own limit (about 89 million pixels unless lowered); never switched off."""
    return Image.MAX_IMAGE_PIXELS or 89_478_485


def write_clean_copy(source: BinaryIO, media_type: str, target: BinaryIO) -> CleanCopy:
    """Decode the image (its first frame) and write a copy without metadata to target.

    Raises InvalidInput for an image above the pixel limit (a decompression bomb) or one that
    cannot be decoded. The source is left at its start.
    """
    source.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=[PILLOW_FORMATS[media_type]]) as image:
                check_pixels(image)
                image.seek(0)  # an animation's first frame
                pixels = only_pixels(ImageOps.exif_transpose(image))
    except InvalidInput:
        raise
    except IMAGE_ERRORS as error:
        raise InvalidInput(f"file: the image cannot be read ({error_name(error)})") from None
    finally:
        source.seek(0)
    return save_copy(pixels, media_type, target)


def check_pixels(image: Image.Image) -> None:
    """Raises InvalidInput for more pixels than the limit, before any is decoded."""
    if image.width * image.height > pixel_limit():
        raise InvalidInput(
            f"file: the image is {image.width}×{image.height} pixels, more than the"
            f" {pixel_limit():,} accepted (it could be a decompression bomb)"
        )


def only_pixels(image: Image.Image) -> Image.Image:
    """A new image holding the pixels and nothing else: its info and EXIF start empty."""
    mode = image.mode if image.mode in LOSSLESS_MODES else "RGBA"
    decoded = image.convert(mode)
    clean = Image.new(mode, decoded.size)
    clean.paste(decoded)
    return clean


def save_copy(pixels: Image.Image, media_type: str, target: BinaryIO) -> CleanCopy:
    if media_type == "image/jpeg":
        photo = pixels if pixels.mode in ("L", "RGB") else pixels.convert("RGB")
        photo.save(target, format="JPEG", quality=JPEG_QUALITY)
        copy = CleanCopy("image/jpeg", ".jpg")
    else:
        pixels.save(target, format="PNG")
        copy = CleanCopy("image/png", ".png")
    target.flush()
    target.seek(0)
    return copy


def error_name(error: BaseException) -> str:
    """A short reason without the file's content: Pillow's messages can quote bytes."""
    if isinstance(error, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return "too many pixels, a possible decompression bomb"
    if isinstance(error, UnidentifiedImageError):
        return "not an image Pillow recognises"
    return type(error).__name__


def metadata_left(image_file: BinaryIO) -> list[str]:
    """What metadata an image file still carries (EXIF tags, XMP, ICC profile, comments,
    text chunks); empty for a clean copy. The stream is left at its start."""
    image_file.seek(0)
    with Image.open(image_file) as image:
        found = [f"exif:{tag}" for tag in image.getexif()]
        found += [str(key) for key in image.info if key not in HARMLESS_INFO]
    image_file.seek(0)
    return found


# Keys Pillow puts in `info` that describe the encoding, not the picture's story.
HARMLESS_INFO = frozenset(
    {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression"}
)
