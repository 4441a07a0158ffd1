"""Files for the evidence tests, made on the spot: a phone photo with GPS, bombs, disguises."""

import io
import struct
import zlib

from PIL import ExifTags, Image

GPS_TAGS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (40.0, 22.0, 30.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (49.0, 50.0, 12.0),
}
# The start of a Windows program: "MZ", then the DOS header.
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240
WEB_PAGE = b"<!DOCTYPE html>\n<html><body><script>alert('evidence')</script></body></html>\n"
SVG_PICTURE = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>\n'
ZIP_ARCHIVE = b"PK\x03\x04" + b"\x14\x00\x00\x00\x08\x00" + b"\x00" * 64
WITNESS_NOTE = "Witness said the police came at 23:00.\nƏli Məlikov, Баку.\n".encode()


def phone_photo(*, size: tuple[int, int] = (64, 48), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: make, orientation, GPS position, comment, XMP and ICC."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 2))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X serial 0042"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = GPS_TAGS
    buffer = io.BytesIO()
    image.save(
        buffer,
        "JPEG",
        exif=exif,
        comment=b"taken at home",
        icc_profile=b"not-really-an-icc-profile",
        xmp=b"<x:xmpmeta>GPS 40.375 49.836</x:xmpmeta>",
    )
    return buffer.getvalue()


def png_picture(size: tuple[int, int] = (30, 20)) -> bytes:
    """A PNG with a text chunk naming a place."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", "Nasimi, Baku")
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 200)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def gps_of(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb(width: int, height: int) -> bytes:
    """A tiny PNG that claims width × height pixels: decoding it would need gigabytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", rows)
        + png_chunk(b"IEND", b"")
    )
