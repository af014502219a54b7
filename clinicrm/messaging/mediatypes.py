"""What a media file is, decided from its first bytes: never from what the sender claims.

A WhatsApp sender (or a provider payload) can label any bytes `image/jpeg, text/html`; a file
stored and served with that label would open as a page on our origin. So:

- `media_type_sniff(head)` names the formats the bytes can be (most likely first), from a table
  of signatures; markup (HTML, SVG, XML) is recognised so that it is never mistaken for text.
- `media_mime_decide(kind=..., head=...)` keeps the first of those that the message kind allows
  (`KIND_TYPES`) and answers `application/octet-stream` for everything else. The file name only
  chooses between types the bytes already prove (an OLE file is a .doc, .xls or .ppt), so it
  can never turn markup into an allowed type.
- `media_mime_inline(mime)` lists the raster image, audio and video types the conversation page
  shows inline; `/midia/` serves every other type as an attachment. Every answer carries
  `nosniff` and a sandbox CSP, so a polyglot (a JPEG header followed by HTML) is only ever an
  image/jpeg that cannot run anything.
"""

from collections.abc import Callable

OCTET_STREAM = "application/octet-stream"
# Enough for the part names of an Office zip and the directory of a small OLE file.
SNIFF_BYTES = 64 * 1024

JPEG, PNG, GIF, WEBP = "image/jpeg", "image/png", "image/gif", "image/webp"
HEIC, HEIF = "image/heic", "image/heif"
OGG, MP3, M4A, AAC = "audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac"
AMR, AMR_WB = "audio/amr", "audio/amr-wb"
MP4, THREE_GP, QUICKTIME = "video/mp4", "video/3gpp", "video/quicktime"
PDF, TEXT, VCARD = "application/pdf", "text/plain", "text/vcard"
DOC, XLS, PPT = "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"
_OOXML = "application/vnd.openxmlformats-officedocument."
DOCX = _OOXML + "wordprocessingml.document"
XLSX = _OOXML + "spreadsheetml.sheet"
PPTX = _OOXML + "presentationml.presentation"
# Recognised so that they are refused, never allowed.
HTML, SVG, XML, ZIP = "text/html", "image/svg+xml", "application/xml", "application/zip"

IMAGE_TYPES = (JPEG, PNG, WEBP, GIF, HEIC, HEIF)
AUDIO_TYPES = (OGG, MP3, M4A, AAC, AMR, AMR_WB)
VIDEO_TYPES = (MP4, THREE_GP, QUICKTIME)
OFFICE_TYPES = (PDF, DOC, XLS, PPT, DOCX, XLSX, PPTX, TEXT)

# Message kind -> the exact types its file may be stored and served as. A document may be any
# file (a photo or a song sent "as document"); a sticker is a WebP (Evolution ingests stickers as
# kind "image", whose list includes WebP).
KIND_TYPES: dict[str, tuple[str, ...]] = {
    "image": IMAGE_TYPES,
    "sticker": (WEBP, PNG),
    "audio": AUDIO_TYPES,
    "voice": AUDIO_TYPES,
    "video": VIDEO_TYPES,
    "document": OFFICE_TYPES + IMAGE_TYPES + AUDIO_TYPES + VIDEO_TYPES + (VCARD,),
    "contacts": (VCARD,),
}

# What the page shows inline (<img>, <audio>, <video>); HEIC/HEIF and 3GP/QuickTime are not
# played by every browser, so they are downloaded like documents.
INLINE_TYPES = frozenset({JPEG, PNG, WEBP, GIF, *AUDIO_TYPES, MP4})

# Extension -> type, only to choose between types the bytes allow equally.
_EXTENSION_HINTS = {
    "doc": DOC, "dot": DOC, "xls": XLS, "xlt": XLS, "ppt": PPT, "pps": PPT,
    "docx": DOCX, "xlsx": XLSX, "pptx": PPTX,
    "m4a": M4A, "mp4": MP4, "m4v": MP4, "3gp": THREE_GP, "mov": QUICKTIME,
}  # fmt: skip

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Directory entry names of the Office binary formats (UTF-16LE inside the OLE file).
_OLE_STREAMS = (
    ("WordDocument".encode("utf-16-le"), DOC),
    ("Workbook".encode("utf-16-le"), XLS),
    ("Book".encode("utf-16-le"), XLS),
    ("PowerPoint Document".encode("utf-16-le"), PPT),
)
_OOXML_PARTS = ((b"word/", DOCX), (b"xl/", XLSX), (b"ppt/", PPTX))
# What browsers sniff as markup at the start of a text, and tags that make any text a page.
_MARKUP_STARTS = (
    b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<style", b"<title",
    b"<div", b"<table", b"<font", b"<a ", b"<a>", b"<b>", b"<br", b"<p>", b"<p ", b"<h1",
    b"<img", b"<object", b"<embed", b"<!--", b"<meta", b"<base", b"<form", b"<link",
)  # fmt: skip
_MARKUP_ANYWHERE = (b"<script", b"<html", b"<svg", b"<iframe", b"<object", b"<embed", b"<?xml")
_TEXT_LEADING = b"\xef\xbb\xbf \t\r\n\x0c"


def _iso_media(head: bytes) -> tuple[str, ...]:
    """ISO base media (`....ftyp<brand>`): HEIF images, M4A, QuickTime, 3GP or MP4."""
    brand = head[8:12]
    if brand in _HEIC_BRANDS:
        return (HEIC,)
    if brand in _HEIF_BRANDS:
        return (HEIF,)
    if brand in (b"avif", b"avis", b"crx "):
        return ()
    if brand in (b"M4A ", b"M4B ", b"M4P "):
        return (M4A, MP4)
    if brand == b"qt  ":
        return (QUICKTIME,)
    if brand.startswith((b"3gp", b"3g2", b"3gg", b"3gs")):
        return (THREE_GP,)
    return (MP4, M4A)  # isom, iso2-9, mp41, mp42, avc1, dash, ...: video or audio-only


def _mpeg_audio(head: bytes) -> tuple[str, ...]:
    """A frame sync (11 set bits): ADTS AAC has layer bits 00, MP3 has layer III/II/I."""
    if len(head) < 2 or head[0] != 0xFF:
        return ()
    if head[1] & 0xF6 == 0xF0:
        return (AAC,)
    if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return (MP3,)
    return ()


def _ole(head: bytes) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(mime for name, mime in _OLE_STREAMS if name in head))
    return found or (DOC, XLS, PPT)  # directory beyond the sample: the bytes allow all three


def _zip(head: bytes) -> tuple[str, ...]:
    """An Office file is a zip whose local headers name its parts (word/, xl/, ppt/)."""
    at = head.find(b"PK\x03\x04")
    while at >= 0 and at + 30 <= len(head):
        size = int.from_bytes(head[at + 26 : at + 28], "little")
        name = head[at + 30 : at + 30 + size]
        for part, mime in _OOXML_PARTS:
            if name.startswith(part):
                return (mime,)
        at = head.find(b"PK\x03\x04", at + 4)
    return (ZIP,)


def _utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is still text.
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def _text(head: bytes) -> tuple[str, ...]:
    """Markup (whatever its claimed type) or plain UTF-8 text; binary noise is unknown."""
    body = head.lstrip(_TEXT_LEADING)
    lower = body.lower()
    if lower.startswith(b"<?xml") or lower.startswith(b"<svg"):
        return (SVG,) if b"<svg" in lower else (XML,)
    if lower.startswith(_MARKUP_STARTS) or any(tag in lower for tag in _MARKUP_ANYWHERE):
        return (SVG,) if b"<svg" in lower and b"<html" not in lower else (HTML,)
    if not body or b"\x00" in head or not _utf8(head):
        return ()
    if lower.startswith(b"begin:vcard"):
        return (VCARD,)
    return (TEXT,)


# (test on the first bytes, what they are); the first match wins.
_SIGNATURES: tuple[tuple[Callable[[bytes], bool], Callable[[bytes], tuple[str, ...]]], ...] = (
    (lambda h: h.startswith(b"\xff\xd8\xff"), lambda h: (JPEG,)),
    (lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"), lambda h: (PNG,)),
    (lambda h: h[:6] in (b"GIF87a", b"GIF89a"), lambda h: (GIF,)),
    (lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP", lambda h: (WEBP,)),
    (lambda h: h[4:8] == b"ftyp", _iso_media),
    (lambda h: h.startswith(b"OggS"), lambda h: (OGG,)),
    (lambda h: h.startswith(b"#!AMR-WB\n"), lambda h: (AMR_WB,)),
    (lambda h: h.startswith(b"#!AMR\n"), lambda h: (AMR,)),
    (lambda h: h.startswith(b"ID3"), lambda h: (MP3,)),
    (lambda h: h.startswith(b"ADIF"), lambda h: (AAC,)),
    (lambda h: h[:1] == b"\xff", _mpeg_audio),
    (lambda h: h.startswith(b"%PDF-"), lambda h: (PDF,)),
    (lambda h: h.startswith(_OLE_MAGIC), _ole),
    (lambda h: h.startswith(b"PK\x03\x04"), _zip),
)


def media_type_sniff(head: bytes) -> tuple[str, ...]:
    """The types the first bytes of a file can be, most likely first; () when unknown."""
    for matches, types in _SIGNATURES:
        if matches(head):
            return types(head)
    return _text(head[:SNIFF_BYTES])


def media_mime_decide(*, kind: str, head: bytes, filename: str = "") -> str:
    """The one type a message's file is stored and served as: what its bytes are, if the kind
    allows it, else `application/octet-stream`. `filename` only breaks a tie the bytes leave."""
    allowed = KIND_TYPES.get(kind, ())
    candidates = [mime for mime in media_type_sniff(head) if mime in allowed]
    if not candidates:
        return OCTET_STREAM
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    hinted = _EXTENSION_HINTS.get(extension)
    return hinted if hinted in candidates else candidates[0]


def media_mime_inline(mime: str) -> bool:
    """True for the raster image, audio and video types the page shows (served inline)."""
    return mime in INLINE_TYPES
