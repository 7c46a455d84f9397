"""Reading an uploaded transcript's bytes, hardened against hostile files (SECURITY.md, "Uploads").

Pure logic, no Django: `sniff` tells a Word document from plain text and refuses everything else,
`check_extension` makes the file's name agree with its content, `decode_text` turns text bytes into
clean text, and `docx_paragraphs` runs the zip preflight before any XML is parsed, then reads the
paragraphs of the main document. Every refusal is an ImportRefused with one line naming the reason.
"""

import io
import math
import posixpath
import re
import struct
import zipfile
import zlib

from lxml import etree

from transcripts.importers.base import ImportRefused

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 2_000_000

KIB = 1024
MIB = 1024 * 1024

# The zip preflight's limits (SECURITY.md's table).
MAX_MEMBERS = 1_000
MAX_MEMBER_BYTES = 50 * MIB
MAX_TOTAL_BYTES = 100 * MIB
MAX_RATIO = 100
RATIO_CHECKED_OVER = 100 * KIB

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
ACCEPTED = "(accepted: .docx, .txt, .vtt)"
EXPORT = "export it as .docx or .txt"
UNKNOWN_ENCODING = "text in an unknown encoding: save it as UTF-8"

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_LE_BOM = b"\xff\xfe"
UTF16_BE_BOM = b"\xfe\xff"
UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")

# C0 control bytes that plain text never holds (tab, newline, carriage return and form feed do).
_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13})
_NOT_CONTROL_BYTES = bytes(set(range(256)) - set(_CONTROL_BYTES))
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f]")
_DTD = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_DTD_TEXT = re.compile("<!DOCTYPE", re.IGNORECASE)

# Zip encryption: bit 0 (encrypted), bit 6 (strong encryption), bit 13 (masked local headers).
_ENCRYPTED_FLAGS = 0x0001 | 0x0040 | 0x2000
_METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 99: "AES"}

CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Transitional (what Word writes by default) and Strict Office Open XML.
W_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"

# Leading bytes of files people upload by mistake, and what to tell them: (signature, offset, reason).
_AUDIO = "this is an audio or video recording, not a transcript: upload its transcript as .docx, .txt or .vtt"
_ARCHIVE = f"this is a compressed archive, not a transcript: {EXPORT}"
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, f"this is a PNG image, not a transcript: {EXPORT}"),
    (b"\xff\xd8\xff", 0, f"this is a JPEG image, not a transcript: {EXPORT}"),
    (b"GIF87a", 0, f"this is a GIF image, not a transcript: {EXPORT}"),
    (b"GIF89a", 0, f"this is a GIF image, not a transcript: {EXPORT}"),
    (b"II*\x00", 0, f"this is a TIFF image, not a transcript: {EXPORT}"),
    (b"MM\x00*", 0, f"this is a TIFF image, not a transcript: {EXPORT}"),
    (b"{\\rtf", 0, "this is an RTF document: save it as .docx or .txt"),
    (b"OggS\x00", 0, _AUDIO),
    (b"fLaC", 0, _AUDIO),
    (b"\x1a\x45\xdf\xa3", 0, _AUDIO),
    (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", 0, _AUDIO),
    (b"#!AMR", 0, _AUDIO),
    (b"\x1f\x8b\x08", 0, _ARCHIVE),
    (b"7z\xbc\xaf\x27\x1c", 0, _ARCHIVE),
    (b"Rar!\x1a\x07", 0, _ARCHIVE),
    (b"\xfd7zXZ\x00", 0, _ARCHIVE),
)
_RIFF = {
    b"WEBP": f"this is a WebP image, not a transcript: {EXPORT}",
    b"WAVE": _AUDIO,
    b"AVI ": _AUDIO,
}
_IMAGE_BRANDS = (b"heic", b"heix", b"heif", b"mif1", b"msf1", b"avif")

# What zipfile may raise on a damaged or hostile archive.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


def sniff(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """ "docx" or "text", told by the content, or ImportRefused: empty, too large, an encrypted
    Office file or old .doc, a zip that is not a Word document, a PDF, an image or other binary."""
    if not data or data in (UTF8_BOM, UTF16_LE_BOM, UTF16_BE_BOM):
        raise ImportRefused("the file is empty")
    if len(data) > max_bytes:
        raise ImportRefused(f"the file is {_size_up(len(data))}; the limit is {_size(max_bytes)}")
    if data.startswith(OLE_SIGNATURE):
        raise ImportRefused(
            "the document is encrypted or password-protected, or an old Word .doc: "
            "save it as .docx without a password"
        )
    if data[:4] in ZIP_SIGNATURES:
        _sniff_zip(data)
        return "docx"
    if b"%PDF-" in data[:1024]:
        raise ImportRefused(f"this is a PDF, not a transcript: {EXPORT}")
    _refuse_by_magic(data)
    if data.startswith((UTF8_BOM, UTF16_LE_BOM, UTF16_BE_BOM)) or _utf16_without_bom(data):
        return "text"
    # Deleting every other byte counts the control bytes at C speed, even for 20 MiB.
    controls = len(data.translate(None, _NOT_CONTROL_BYTES))
    if controls * 20 > len(data):
        raise ImportRefused(f"this is a binary file, not a transcript: {EXPORT}")
    if b"\x00" in data:
        raise ImportRefused(f"the file contains NUL bytes, so it is not plain text: {EXPORT}")
    return "text"


def _refuse_by_magic(data: bytes) -> None:
    for signature, offset, reason in _MAGIC:
        if data.startswith(signature, offset):
            raise ImportRefused(reason)
    if data.startswith(b"RIFF") and data[8:12] in _RIFF:
        raise ImportRefused(_RIFF[data[8:12]])
    if data[4:8] == b"ftyp":
        if data[8:12] in _IMAGE_BRANDS:
            raise ImportRefused(f"this is a HEIC/AVIF image, not a transcript: {EXPORT}")
        raise ImportRefused(_AUDIO)
    # An MP3 with its tag: "ID3", a major version 2 to 4, revision 0.
    if (
        data.startswith(b"ID3")
        and data[3:4] in (b"\x02", b"\x03", b"\x04")
        and data[4:5] == b"\x00"
    ):
        raise ImportRefused(_AUDIO)


def _sniff_zip(data: bytes) -> None:
    """Refuse a zip that is plainly not a Word document (the full preflight is docx_paragraphs')."""
    with _open_zip(
        data, "the file is a damaged zip archive, not a readable Word document"
    ) as archive:
        names = {name.casefold() for name in archive.namelist()}
    if "[content_types].xml" in names and any(name.startswith("word/") for name in names):
        return
    if any(name.startswith("xl/") for name in names):
        raise ImportRefused(f"this is an Excel workbook, not a transcript: {EXPORT}")
    if any(name.startswith("ppt/") for name in names):
        raise ImportRefused(f"this is a PowerPoint presentation, not a transcript: {EXPORT}")
    if "mimetype" in names:
        raise ImportRefused(f"this is an OpenDocument file (.odt), not a Word document: {EXPORT}")
    raise ImportRefused(f"this is a zip archive, not a Word document: {EXPORT}")


def check_extension(filename: str, kind: str) -> None:
    """ImportRefused unless the name's extension is accepted and agrees with the content's kind."""
    if kind not in ("docx", "text"):
        raise ValueError(f"unknown kind {kind!r}")
    basename = filename.replace("\\", "/").rsplit("/", 1)[-1]
    extension = basename.rpartition(".")[2].casefold() if "." in basename else ""
    if extension == "docx":
        if kind != "docx":
            raise ImportRefused("the file is named .docx but holds plain text: rename it .txt")
        return
    if extension in ("txt", "vtt"):
        if kind != "text":
            raise ImportRefused(
                f"the file is named .{extension} but is a Word document: rename it .docx"
            )
        return
    if not extension:
        raise ImportRefused(f"the file name has no extension {ACCEPTED}")
    refusals = {
        "doc": "old Word .doc files are not accepted: save it as .docx",
        "docm": "the document contains macros (.docm): save it as .docx",
        "dotm": "the document contains macros (.dotm): save it as .docx",
        "dotx": "Word templates (.dotx) are not accepted: save it as .docx",
        "dot": "Word templates (.dot) are not accepted: save it as .docx",
        "rtf": "RTF files are not accepted: save it as .docx or .txt",
        "pdf": f"PDFs are not accepted: {EXPORT}",
        "odt": "OpenDocument files (.odt) are not accepted: save it as .docx",
    }
    reason = refusals.get(extension, f"files ending in .{_shown(extension, 20)} are not accepted")
    raise ImportRefused(f"{reason} {ACCEPTED}")


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """(text, warnings): BOM removed, line ends normalised to LF, no control characters but tab and
    newline; UTF-8 (or UTF-16 by BOM or by its NUL pattern), else Windows-1252 with a warning."""
    warnings: list[str] = []
    if data.startswith(UTF32_BOMS):
        raise ImportRefused(UNKNOWN_ENCODING)
    if data.startswith(UTF8_BOM):
        encodings: tuple[str, ...] = ("utf-8",)
        data = data[len(UTF8_BOM) :]
    elif data.startswith(UTF16_LE_BOM):
        encodings, data = ("utf-16-le",), data[2:]
    elif data.startswith(UTF16_BE_BOM):
        encodings, data = ("utf-16-be",), data[2:]
    elif utf16 := _utf16_without_bom(data):
        encodings = (utf16,)
    else:
        encodings = ("utf-8", "cp1252")
    if not data:
        raise ImportRefused("the file is empty")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Form feeds are page breaks (pdftotext writes them): a new line, not a reason to refuse.
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
        if _CONTROL_CHARS.search(text):
            continue
        if encoding == "cp1252":
            warnings.append("read as Windows-1252")
        break
    else:
        raise ImportRefused(UNKNOWN_ENCODING)
    if len(text) > MAX_TEXT_CHARS:
        raise ImportRefused(
            f"the text is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}"
        )
    return text, warnings


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when the NULs fall on one side of each byte pair, as they do for
    Latin-script UTF-16 (Notepad's "Unicode" without a BOM), else None."""
    sample = data[: 4096 & ~1] if len(data) >= 4096 else data[: len(data) & ~1]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls * 4 >= pairs and even_nuls * 50 <= pairs:
        return "utf-16-le"
    if even_nuls * 4 >= pairs and odd_nuls * 50 <= pairs:
        return "utf-16-be"
    return None


def docx_paragraphs(data: bytes) -> list[str]:
    """The text of each paragraph of a .docx's main document in order (table cells included), after
    the zip preflight of SECURITY.md's table; ImportRefused with the first check that fails."""
    if data[:4] not in ZIP_SIGNATURES:
        raise ImportRefused("the .docx is damaged: it is not a zip archive")
    archive = _open_zip(data, "the .docx is damaged: it does not open as a zip archive")
    with archive:
        members = archive.infolist()
        _check_members(members)
        parts = _Parts(archive, members)
        main = parts.main_part()
        _check_parts(parts, main)
        document = parts.parse(main)
    return _paragraphs(document)


def _open_zip(data: bytes, damaged: str) -> zipfile.ZipFile:
    """The archive, its directory read; ImportRefused(damaged) when it is not a readable zip."""
    # zipfile reads every directory entry in Python (about a second for 200,000 of them); each
    # entry starts with this signature, so counting it first (at C speed) bounds that work.
    if data.count(b"PK\x01\x02") > 10 * MAX_MEMBERS:
        raise ImportRefused(
            f"the .docx has over {10 * MAX_MEMBERS:,} members; the limit is {MAX_MEMBERS:,}"
        )
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as error:
        raise ImportRefused(damaged) from error


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    """The checks over the zip directory alone: nothing is inflated yet."""
    if len(members) > MAX_MEMBERS:
        raise ImportRefused(f"the .docx has {len(members):,} members; the limit is {MAX_MEMBERS:,}")
    seen: set[str] = set()
    for member in members:
        name = member.filename
        if name.startswith("/") or re.match(r"[A-Za-z]:", name):
            raise ImportRefused("a .docx member has an absolute path")
        if "\\" in name:
            raise ImportRefused("a .docx member's name contains a backslash")
        if ".." in name.split("/"):
            raise ImportRefused("a .docx member's path climbs out of the document ('..')")
        if name.casefold() in seen:
            raise ImportRefused("the .docx has two members with the same name (ignoring case)")
        seen.add(name.casefold())
    for member in members:
        if member.flag_bits & _ENCRYPTED_FLAGS:
            raise ImportRefused("the document is encrypted or password-protected")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = _METHOD_NAMES.get(member.compress_type, f"method {member.compress_type}")
            raise ImportRefused(f"a .docx member uses an unusual compression method ({method})")
    total = 0
    for member in members:
        if member.file_size > MAX_MEMBER_BYTES:
            raise ImportRefused(
                f"a .docx member would be {_size_up(member.file_size)} uncompressed; "
                f"the limit is {_size(MAX_MEMBER_BYTES)}"
            )
        total += member.file_size
        if total > MAX_TOTAL_BYTES:
            raise ImportRefused(
                f"the .docx would be over {_size(MAX_TOTAL_BYTES)} uncompressed, the limit"
            )
    for member in members:
        if member.file_size > RATIO_CHECKED_OVER:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > MAX_RATIO:
                raise ImportRefused(
                    f"a .docx member would inflate {int(ratio):,} times (zip bomb?)"
                )


class _Parts:
    """The package's parts by name, read with a limit and checked for a DTD before any parsing."""

    def __init__(self, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
        self.archive = archive
        self.members = {member.filename: member for member in members if not member.is_dir()}
        self.by_folded_name = {name.casefold(): name for name in self.members}
        self.xml: dict[str, bytes] = {}
        self.defaults: dict[str, str] = {}
        self.overrides: dict[str, str] = {}
        self.trees: dict[str, etree._Element] = {}
        content_types = self.by_folded_name.get("[content_types].xml")
        if content_types is None:
            raise ImportRefused("the .docx is damaged: it has no [Content_Types].xml")
        # Every part that is XML by its name is read and checked before the first one is parsed.
        for name in self.members:
            if name.casefold().rsplit(".", 1)[-1] in ("xml", "rels", "vml"):
                self._read_xml(name)
        types = self.parse(content_types)
        for element in types.iter(f"{CT_NS}Default"):
            extension = element.get("Extension", "").casefold()
            self.defaults[extension] = element.get("ContentType", "")
        for element in types.iter(f"{CT_NS}Override"):
            part = element.get("PartName", "").lstrip("/").casefold()
            self.overrides[part] = element.get("ContentType", "")
        # Then those the package declares as XML under another name.
        for name in self.members:
            if name not in self.xml and _is_xml_type(self.content_type(name)):
                self._read_xml(name)

    def _read_xml(self, name: str) -> None:
        content = self.read(name)
        if _declares_dtd(content):
            raise ImportRefused("the document declares a DTD, which Word documents never contain")
        self.xml[name] = content

    def read(self, name: str) -> bytes:
        """A member's bytes, never more than its declared size."""
        member = self.members[name]
        try:
            with self.archive.open(member) as stream:
                content = stream.read(member.file_size + 1)
        except _ZIP_ERRORS as error:
            raise ImportRefused("the .docx is damaged: one of its parts cannot be read") from error
        if len(content) > member.file_size:
            raise ImportRefused("a .docx member is larger than it declares (zip bomb?)")
        return content

    def parse(self, name: str) -> etree._Element:
        """An XML part, parsed without entities, network, DTDs or huge trees."""
        if name in self.trees:
            return self.trees[name]
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            collect_ids=False,
        )
        try:
            root = etree.fromstring(self.xml[name], parser)
        except etree.XMLSyntaxError as error:
            raise ImportRefused(
                f"the .docx is damaged: {_shown(name)} is not well-formed XML"
            ) from error
        # The byte scan cannot see a DTD in an exotic encoding; the parser can.
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise ImportRefused("the document declares a DTD, which Word documents never contain")
        self.trees[name] = root
        return root

    def content_type(self, name: str) -> str:
        override = self.overrides.get(name.casefold())
        if override is not None:
            return override
        return self.defaults.get(name.casefold().rsplit(".", 1)[-1], "")

    def main_part(self) -> str:
        """The main document's name, from the package relationships (word/document.xml in practice)."""
        target = "word/document.xml"
        if "_rels/.rels" in self.by_folded_name:
            relationships = self.parse(self.by_folded_name["_rels/.rels"])
            for relationship in relationships.iter(f"{REL_NS}Relationship"):
                if relationship.get("Type", "").endswith("/officeDocument"):
                    target = posixpath.normpath(relationship.get("Target", "").lstrip("/"))
                    break
        name = self.by_folded_name.get(target.casefold())
        if name is None or name not in self.xml:
            raise ImportRefused("the .docx is damaged: it has no main document (word/document.xml)")
        return name


def _check_parts(parts: _Parts, main: str) -> None:
    """The checks over the package's content: what the main part is, what else it holds, what it
    links to."""
    content_type = parts.content_type(main)
    folded = content_type.casefold()
    if "macroenabled" in folded:
        raise ImportRefused("the document contains macros (.docm)")
    if folded.endswith("template.main+xml"):
        raise ImportRefused(
            "the document is a Word template (.dotx): save it as a document (.docx)"
        )
    if content_type != WORD_MAIN:
        raise ImportRefused(
            f"the file is not a Word document (its main part is {_shown(content_type)!r})"
        )
    for name in parts.members:
        segments = name.casefold().split("/")
        folded_type = parts.content_type(name).casefold()
        if (
            segments[-1] == "vbaproject.bin"
            or "vbaproject" in folded_type
            or "vbadata" in folded_type
        ):
            raise ImportRefused("the document contains macros (vbaProject.bin)")
        if "activex" in segments or "activex" in folded_type:
            raise ImportRefused("the document contains ActiveX controls")
        if (
            ("embeddings" in segments and segments[-1].endswith(".bin"))
            or segments[-1].startswith("oleobject")
            or "oleobject" in folded_type
        ):
            raise ImportRefused("the document contains an embedded OLE object")
    for name in parts.xml:
        if not name.casefold().endswith(".rels"):
            continue
        for relationship in parts.parse(name).iter(f"{REL_NS}Relationship"):
            if relationship.get("TargetMode", "").casefold() != "external":
                continue
            kind = relationship.get("Type", "").rsplit("/", 1)[-1]
            if kind == "hyperlink":
                continue
            raise ImportRefused(
                _EXTERNAL.get(kind, f"the document links to an external resource ({_shown(kind)})")
            )


_EXTERNAL = {
    "attachedTemplate": "the document links to an external template",
    "oleObject": "the document links to an external OLE object",
    "frame": "the document links to an external frame",
    "subDocument": "the document links to an external subdocument",
    "image": "the document links to an external image",
}


def _paragraphs(document: etree._Element) -> list[str]:
    """Each body paragraph's text: w:t, tabs, breaks and non-breaking hyphens; deleted text left out,
    inserted text kept; text boxes (and the fallbacks that repeat them) left out."""
    namespace, _, localname = document.tag[1:].partition("}")
    if namespace not in W_NAMESPACES or localname != "document":
        raise ImportRefused("the file is not a Word document (its main part is not a w:document)")
    w = f"{{{namespace}}}"
    body = document.find(f"{w}body")
    if body is None:
        return []
    # A paragraph whose mark was deleted (tracked) runs on into the next one, as in Word. The set
    # holds the elements themselves: lxml hands back the same proxy while one is alive.
    merged = {
        mark.getparent().getparent().getparent()
        for mark in body.iterfind(f".//{w}pPr/{w}rPr/{w}del")
    }
    # Deleted and moved-away text, text boxes and their fallbacks are cut out first, so that one
    # flat pass over what is left sees only the paragraphs' own text.
    for element in list(body.iter(f"{w}del", f"{w}moveFrom", f"{w}txbxContent", MC_FALLBACK)):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    paragraph_tag, text_tag = f"{w}p", f"{w}t"
    characters = {
        f"{w}tab": "\t",
        f"{w}ptab": "\t",
        f"{w}br": "\n",
        f"{w}cr": "\n",
        f"{w}noBreakHyphen": "-",
    }
    limit = MAX_TEXT_CHARS
    paragraphs: list[str] = []
    pieces: list[str] = []
    carried = ""
    runs_on = False
    started = False
    total = 0
    for element in body.iter(paragraph_tag, text_tag, *characters):
        tag = element.tag
        if tag == text_tag:
            text = element.text
            if text:
                pieces.append(text)
                total += len(text)
                if total > limit:
                    raise ImportRefused(
                        f"the document has more than {limit:,} characters of text, the limit"
                    )
        elif tag == paragraph_tag:
            if started:
                carried += "".join(pieces)
                if not runs_on:
                    paragraphs.append(carried)
                    carried = ""
            started = True
            pieces = []
            runs_on = element in merged
        else:
            pieces.append(characters[tag])
            total += 1
            if total > limit:
                raise ImportRefused(
                    f"the document has more than {limit:,} characters of text, the limit"
                )
    if started:
        paragraphs.append(carried + "".join(pieces))
    return paragraphs


def _declares_dtd(content: bytes) -> bool:
    """Whether an XML part carries a DOCTYPE, in UTF-8 or in UTF-16/32 (which OPC allows)."""
    head = content[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")) or b"\x00" in head:
        for encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
            try:
                text = content.decode(encoding)
            except UnicodeDecodeError:
                continue
            if _DTD_TEXT.search(text):
                return True
    return _DTD.search(content) is not None


def _is_xml_type(content_type: str) -> bool:
    folded = content_type.casefold()
    return folded.endswith(("+xml", "/xml"))


def _size(n: int) -> str:
    """A limit, exactly: "20 MiB", "50 MiB", "512 KiB", "100 bytes"."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if n >= unit:
            return f"{n / unit:.1f}".removesuffix(".0") + f" {name}"
    return f"{n} bytes"


def _size_up(n: int) -> str:
    """A size, rounded up so that it never reads as the limit it exceeds: "20.1 MiB"."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if n >= unit:
            return f"{math.ceil(n * 10 / unit) / 10:.1f} {name}"
    return f"{n} bytes"


def _shown(value: str, limit: int = 60) -> str:
    """A name or type from the file, safe to show on one line."""
    printable = "".join(character if character.isprintable() else "?" for character in value)
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"
