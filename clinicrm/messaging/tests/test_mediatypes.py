"""Magic-byte sniffing, table-driven: what each format's first bytes are, what each message kind
may store, and that markup (HTML, SVG, XML) never comes out as an allowed type."""

import io
import zipfile

import pytest

from clinicrm.messaging import mediatypes as mt


def _office_zip(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fotos/consulta.txt", "nada de office aqui")
    return buffer.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 16
OPUS = b"OggS\x00\x02" + b"\x00" * 22 + b"\x13OpusHead\x01\x01"
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 16
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
ISO5 = b"\x00\x00\x00\x1cftypiso5\x00\x00\x02\x00iso5iso6mp41" + b"\x00" * 16  # MediaRecorder
SVG_SCRIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>fetch('/api/v1/patients')</script></svg>"
)
HTML_HTMX = (
    b'<!DOCTYPE html><html><script src="/static/django_htmx/htmx.min.js"></script>'
    b'<body hx-get="/conversas/" hx-trigger="load"></body></html>'
)
POLYGLOT = JPEG + b"<html><script>alert(document.cookie)</script></html>"


SNIFF_CASES = [
    ("jpeg", JPEG, (mt.JPEG,)),
    ("png", PNG, (mt.PNG,)),
    ("gif87", b"GIF87a\x01\x00\x01\x00", (mt.GIF,)),
    ("gif89", b"GIF89a\x01\x00\x01\x00", (mt.GIF,)),
    ("webp", WEBP, (mt.WEBP,)),
    ("heic", HEIC, (mt.HEIC,)),
    ("heif", HEIC.replace(b"ftypheic", b"ftypmif1"), (mt.HEIF,)),
    ("avif is not allowed anywhere", HEIC.replace(b"ftypheic", b"ftypavif"), ()),
    ("ogg opus", OPUS, (mt.OGG,)),
    ("mp3 id3", b"ID3\x04\x00\x00\x00\x00\x00\x21" + b"\x00" * 16, (mt.MP3,)),
    ("mp3 frame", b"\xff\xfb\x90\x64" + b"\x00" * 16, (mt.MP3,)),
    ("mp3 mpeg2 frame", b"\xff\xf3\x48\xc4" + b"\x00" * 16, (mt.MP3,)),
    ("aac adts", b"\xff\xf1\x50\x80\x02\x1f\xfc", (mt.AAC,)),
    ("aac adif", b"ADIF\x00\x00", (mt.AAC,)),
    ("m4a", M4A, (mt.M4A, mt.MP4)),
    ("mp4", MP4, (mt.MP4, mt.M4A)),
    ("fragmented mp4 from MediaRecorder", ISO5, (mt.MP4, mt.M4A)),
    ("3gp", MP4.replace(b"ftypmp42", b"ftyp3gp4"), (mt.THREE_GP,)),
    ("quicktime", MP4.replace(b"ftypmp42", b"ftypqt  "), (mt.QUICKTIME,)),
    ("amr", b"#!AMR\n\x3c\x48", (mt.AMR,)),
    ("amr-wb", b"#!AMR-WB\n\x04", (mt.AMR_WB,)),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", (mt.PDF,)),
    ("doc", OLE + "WordDocument".encode("utf-16-le"), (mt.DOC,)),
    ("xls", OLE + "Workbook".encode("utf-16-le"), (mt.XLS,)),
    ("ppt", OLE + "PowerPoint Document".encode("utf-16-le"), (mt.PPT,)),
    ("ole, directory past the sample", OLE, (mt.DOC, mt.XLS, mt.PPT)),
    ("docx", _office_zip("word/document.xml"), (mt.DOCX,)),
    ("xlsx", _office_zip("xl/workbook.xml"), (mt.XLSX,)),
    ("pptx", _office_zip("ppt/presentation.xml"), (mt.PPTX,)),
    ("plain zip", _plain_zip(), (mt.ZIP,)),
    ("text", "Resultado do exame: normal.\nAtt, Dra. Paula Conceição".encode(), (mt.TEXT,)),
    ("text cut mid-character", "Olá, ç".encode()[:-1], (mt.TEXT,)),
    ("vcard", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Dra. Paula Reis\r\nEND:VCARD\r\n", (mt.VCARD,)),
    ("svg with script", SVG_SCRIPT, (mt.SVG,)),
    ("bare svg", b'<svg onload="alert(1)"/>', (mt.SVG,)),
    ("xml", b'<?xml version="1.0"?><note>oi</note>', (mt.XML,)),
    ("html with htmx", HTML_HTMX, (mt.HTML,)),
    ("html after a BOM and blanks", b"\xef\xbb\xbf \n\t<html><body>x</body></html>", (mt.HTML,)),
    ("html fragment", b"<div hx-post='/conversas/'>x</div>", (mt.HTML,)),
    ("text hiding a script", b"Oi!\n\nveja: <script>alert(1)</script>", (mt.HTML,)),
    ("polyglot jpeg+html is a jpeg", POLYGLOT, (mt.JPEG,)),
    ("windows executable", b"MZ\x90\x00\x03\x00\x00\x00", ()),
    ("binary noise", bytes(range(256)), ()),
    ("empty", b"", ()),
]


@pytest.mark.parametrize(
    ("head", "expected"), [c[1:] for c in SNIFF_CASES], ids=[c[0] for c in SNIFF_CASES]
)
def test_sniff(head, expected):
    assert mt.media_type_sniff(head) == expected


DECIDE_CASES = [
    ("image", JPEG, "", mt.JPEG),
    ("image", POLYGLOT, "foto.html", mt.JPEG),
    ("image", SVG_SCRIPT, "", mt.OCTET_STREAM),
    ("image", HTML_HTMX, "foto.jpg", mt.OCTET_STREAM),
    ("image", b"%PDF-1.4\n", "", mt.OCTET_STREAM),
    ("image", HEIC, "IMG_0001.HEIC", mt.HEIC),
    ("sticker", WEBP, "", mt.WEBP),
    ("sticker", JPEG, "", mt.OCTET_STREAM),
    ("voice", OPUS, "", mt.OGG),
    ("audio", M4A, "", mt.M4A),
    ("audio", ISO5, "voz.mp4", mt.M4A),
    ("audio", JPEG, "", mt.OCTET_STREAM),
    ("video", MP4, "", mt.MP4),
    ("video", M4A, "", mt.MP4),
    ("video", OPUS, "", mt.OCTET_STREAM),
    ("document", b"%PDF-1.4\n", "exame.pdf", mt.PDF),
    ("document", OLE, "planilha.XLS", mt.XLS),
    ("document", OLE, "apresentacao.ppt", mt.PPT),
    ("document", OLE, "sem-extensao", mt.DOC),
    ("document", OLE + "Workbook".encode("utf-16-le"), "relatorio.doc", mt.XLS),
    ("document", _office_zip("word/document.xml"), "laudo.xlsx", mt.DOCX),
    ("document", _plain_zip(), "fotos.docx", mt.OCTET_STREAM),
    ("document", b"Resultado: normal", "nota.txt", mt.TEXT),
    ("document", b"<html><script>x</script></html>", "nota.txt", mt.OCTET_STREAM),
    ("document", SVG_SCRIPT, "grafico.svg", mt.OCTET_STREAM),
    ("document", JPEG, "foto.jpg", mt.JPEG),
    ("document", MP4, "", mt.MP4),
    ("contacts", b"BEGIN:VCARD\r\nFN:Paula\r\nEND:VCARD", "", mt.VCARD),
    ("text", JPEG, "", mt.OCTET_STREAM),
    ("unsupported", b"%PDF-1.4", "", mt.OCTET_STREAM),
]


@pytest.mark.parametrize(("kind", "head", "filename", "expected"), DECIDE_CASES)
def test_decide_keeps_only_what_the_kind_allows(kind, head, filename, expected):
    decided = mt.media_mime_decide(kind=kind, head=head, filename=filename)
    assert decided == expected
    assert decided == mt.OCTET_STREAM or decided in mt.KIND_TYPES[kind]
    assert "," not in decided and ";" not in decided


@pytest.mark.parametrize(
    ("mime", "inline"),
    [
        (mt.JPEG, True), (mt.PNG, True), (mt.GIF, True), (mt.WEBP, True),
        (mt.OGG, True), (mt.MP3, True), (mt.M4A, True), (mt.MP4, True),
        (mt.HEIC, False), (mt.THREE_GP, False), (mt.PDF, False), (mt.DOCX, False),
        (mt.TEXT, False), (mt.SVG, False), (mt.HTML, False), (mt.OCTET_STREAM, False),
        ("image/jpeg, text/html", False), ("image/jpeg; charset=x", False), ("", False),
    ],
)  # fmt: skip
def test_only_raster_audio_and_video_are_inline(mime, inline):
    assert mt.media_mime_inline(mime) is inline


def test_every_allowed_type_is_exact_and_markup_is_never_allowed():
    for kind, types in mt.KIND_TYPES.items():
        for mime in types:
            assert mime == mime.strip().lower() and "," not in mime and ";" not in mime, kind
        assert not {mt.HTML, mt.SVG, mt.XML, mt.ZIP, mt.OCTET_STREAM} & set(types), kind
