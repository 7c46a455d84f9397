"""Opening an uploaded .qdpx without trusting it (SECURITY.md, "Uploads").

A .qdpx is a zip with a `project.qde` at its root and the sources' files in `sources/`. Before a
byte is inflated the zip's directory is checked: the signature, the number of members, their
names (no absolute paths, no `..`, no backslashes, no names twice, no deep nesting), encryption
and compression methods, the declared sizes and compression ratios (zip bombs). A member is then
read with a limit (never more than it declares), and XML is parsed without entities, network,
DTDs or huge trees, after refusing any DOCTYPE that declares entities or points outside the file
("billion laughs", external entities).

Lenient where tools differ (NOTES.md): folder and file names are matched case-insensitively
(NVivo for Windows writes `Sources/`), any single `*.qde` at the root is the project (ATLAS.ti
names it after the project), and a text path without `internal://` falls back to a bare file name.

Pure Python, no Django. Every refusal is a QdpxRefused whose text is one line naming the problem.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib

from lxml import etree

from transcripts.importers.files import (
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_TOTAL_BYTES,
    MAX_UPLOAD_BYTES,
    RATIO_CHECKED_OVER,
)

KIB = 1024
MIB = 1024 * 1024
MAX_DEPTH = 4  # project.qde at the root, sources/<file>: anything deeper is not a .qdpx

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# Zip encryption: bit 0 (encrypted), bit 6 (strong encryption), bit 13 (masked local headers).
_ENCRYPTED_FLAGS = 0x0001 | 0x0040 | 0x2000
_METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 99: "AES"}
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
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_DOCTYPE_TEXT = re.compile("<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ENTITY_TEXT = re.compile("<!ENTITY", re.IGNORECASE)
_EXTERNAL_DTD = re.compile(rb"<!DOCTYPE[^>\[]*\b(?:SYSTEM|PUBLIC)\b", re.IGNORECASE)
_EXTERNAL_DTD_TEXT = re.compile(r"<!DOCTYPE[^>\[]*\b(?:SYSTEM|PUBLIC)\b", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")


class QdpxRefused(Exception):
    """A .qdpx that cannot be imported; str(error) is one line naming the reason."""


def shown(value: str, limit: int = 60) -> str:
    """A name from the file, safe to show on one line."""
    printable = "".join(character if character.isprintable() else "?" for character in value)
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"


def size(n: int) -> str:
    """A limit, exactly: "20 MiB", "100 KiB", "100 bytes"."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if n >= unit:
            return f"{n / unit:.1f}".removesuffix(".0") + f" {name}"
    return f"{n} bytes"


class Archive:
    """A .qdpx whose directory passed every check; members are read through `read`, which never
    returns more than a member declares nor, in all, more than MAX_TOTAL_BYTES."""

    def __init__(self, data: bytes) -> None:
        if not data:
            raise QdpxRefused("the file is empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise QdpxRefused(
                f"the file is {size(len(data))}; the limit is {size(MAX_UPLOAD_BYTES)}"
            )
        if data[:4] not in ZIP_SIGNATURES:
            raise QdpxRefused("the file is not a zip archive, so it is not a .qdpx project")
        # zipfile reads every directory entry in Python; counting the entries' signature first
        # (at C speed) bounds that work for a directory of millions of entries.
        if data.count(b"PK\x01\x02") > 10 * MAX_MEMBERS:
            raise QdpxRefused(
                f"the archive has over {10 * MAX_MEMBERS:,} members; the limit is {MAX_MEMBERS:,}"
            )
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except _ZIP_ERRORS:
            raise QdpxRefused("the file is a damaged zip archive, not a readable .qdpx") from None
        members = self._zip.infolist()
        _check_members(members)
        self._members = {member.filename: member for member in members if not member.is_dir()}
        self._by_folded = {name.casefold(): name for name in self._members}
        self._read_total = 0

    @property
    def names(self) -> list[str]:
        return list(self._members)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def find(self, name: str) -> str | None:
        """The member's real name for a name matched case-insensitively, or None."""
        return self._by_folded.get(name.casefold())

    def read(self, name: str) -> bytes:
        member = self._members[name]
        try:
            with self._zip.open(member) as stream:
                content = stream.read(member.file_size + 1)
        except _ZIP_ERRORS:
            raise QdpxRefused(f"the archive is damaged: {shown(name)} cannot be read") from None
        if len(content) > member.file_size:
            raise QdpxRefused(f"{shown(name)} is larger than it declares (zip bomb?)")
        self._read_total += len(content)
        if self._read_total > MAX_TOTAL_BYTES:
            raise QdpxRefused(
                f"the archive would be over {size(MAX_TOTAL_BYTES)} uncompressed, the limit"
            )
        return content

    def project_name(self) -> str:
        """The project document: `project.qde` at the root (any case), else the one `*.qde` there."""
        exact = self.find("project.qde")
        if exact is not None:
            return exact
        candidates = [
            name for name in self._members if "/" not in name and name.casefold().endswith(".qde")
        ]
        if not candidates:
            raise QdpxRefused(
                "the archive has no project.qde (nor any .qde) at its root: it is not a .qdpx project"
            )
        if len(candidates) > 1:
            listed = ", ".join(shown(name, 40) for name in sorted(candidates)[:3])
            raise QdpxRefused(
                f"the archive has {len(candidates)} .qde files at its root ({listed}); "
                "a .qdpx holds one"
            )
        return candidates[0]

    def source_name(self, path: str) -> tuple[str | None, str]:
        """The member a source's path (`internal://<GUID>.txt`, or a bare name) refers to, and a
        warning when it was found only by a lenient reading ("" otherwise)."""
        path = path.strip()
        scheme, sep, rest = path.partition("://")
        if sep and scheme.casefold() == "internal":
            name = rest.lstrip("/")
            found = self.find(f"sources/{name}") or self.find(name)
            return found, ""
        if sep:  # relative:// or absolute://: a file outside the archive, perhaps copied in
            basename = rest.replace("\\", "/").rsplit("/", 1)[-1]
            found = self.find(f"sources/{basename}") if basename else None
            warning = (
                f"its text path {shown(path)} points outside the archive; "
                "the file of that name in sources/ was read"
            )
            return found, warning if found else ""
        bare = path.replace("\\", "/").lstrip("/")
        found = self.find(f"sources/{bare}") or self.find(bare)
        if found is None:
            basename = bare.rsplit("/", 1)[-1]
            found = self.find(f"sources/{basename}") if basename else None
        warning = f"its text path {shown(path)} has no internal:// scheme; read as a file name"
        return found, warning if found else ""


def open_archive(data: bytes) -> Archive:
    """The .qdpx's archive after the preflight, or QdpxRefused with the first check that fails."""
    return Archive(data)


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    """The checks over the zip directory alone: nothing is inflated yet."""
    if len(members) > MAX_MEMBERS:
        raise QdpxRefused(f"the archive has {len(members):,} members; the limit is {MAX_MEMBERS:,}")
    seen: set[str] = set()
    for member in members:
        name = member.filename
        if "\x00" in name:
            raise QdpxRefused("a member's name contains a NUL character")
        if name.startswith("/") or _DRIVE.match(name):
            raise QdpxRefused(f"a member has an absolute path ({shown(name)})")
        if "\\" in name:
            raise QdpxRefused(f"a member's name contains a backslash ({shown(name)})")
        parts = name.rstrip("/").split("/")
        if ".." in parts:
            raise QdpxRefused(f"a member's path climbs out of the archive ({shown(name)})")
        if len(parts) > MAX_DEPTH:
            raise QdpxRefused(
                f"a member is nested {len(parts) - 1} folders deep ({shown(name)}); "
                "a .qdpx has a flat sources/ folder"
            )
        folded = posixpath.normpath(name).casefold()
        if folded in seen:
            raise QdpxRefused(f"the archive has two members named {shown(name)} (ignoring case)")
        seen.add(folded)
    for member in members:
        if member.flag_bits & _ENCRYPTED_FLAGS:
            raise QdpxRefused("the archive is encrypted or password-protected")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = _METHOD_NAMES.get(member.compress_type, f"method {member.compress_type}")
            raise QdpxRefused(f"a member uses an unusual compression method ({method})")
    total = 0
    for member in members:
        if member.file_size > MAX_MEMBER_BYTES:
            raise QdpxRefused(
                f"{shown(member.filename)} would be {size(member.file_size)} uncompressed; "
                f"the limit is {size(MAX_MEMBER_BYTES)}"
            )
        total += member.file_size
        if total > MAX_TOTAL_BYTES:
            raise QdpxRefused(
                f"the archive would be over {size(MAX_TOTAL_BYTES)} uncompressed, the limit"
            )
    for member in members:
        if member.file_size > RATIO_CHECKED_OVER:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > MAX_RATIO:
                raise QdpxRefused(
                    f"{shown(member.filename)} would inflate {int(ratio):,} times; "
                    f"the limit is {MAX_RATIO}:1 (zip bomb?)"
                )


# XML ---------------------------------------------------------------------------------------------


def _decoded_heads(content: bytes) -> list[str]:
    """The document as text in the UTF-16/32 encodings it may be in, for the DOCTYPE scan."""
    head = content[:4]
    if not (head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")) or b"\x00" in head):
        return []
    texts = []
    for encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
        try:
            texts.append(content.decode(encoding))
        except UnicodeDecodeError:
            continue
    return texts


def _check_doctype(content: bytes, what: str) -> None:
    texts = _decoded_heads(content)
    if _ENTITY.search(content) or any(_ENTITY_TEXT.search(text) for text in texts):
        raise QdpxRefused(
            f"{what} declares XML entities in a DOCTYPE (an entity-expansion attack?); "
            "REFI-QDA files have none"
        )
    if _EXTERNAL_DTD.search(content) or any(_EXTERNAL_DTD_TEXT.search(text) for text in texts):
        raise QdpxRefused(f"{what} refers to an external DTD; REFI-QDA files have none")


def parse_xml(content: bytes, what: str) -> etree._Element:
    """The root of an XML document from the archive, parsed safely; `what` names it in errors
    ("project.qde")."""
    if _DOCTYPE.search(content) or any(_DOCTYPE_TEXT.search(t) for t in _decoded_heads(content)):
        _check_doctype(content, what)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        collect_ids=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        line = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        raise QdpxRefused(f"{what} is not well-formed XML{line}") from None
    if root is None:
        raise QdpxRefused(f"{what} is empty")
    # The byte scan cannot see everything an exotic encoding hides; the parser can.
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if dtd is not None and (list(dtd.iterentities()) or docinfo.system_url):
        raise QdpxRefused(
            f"{what} declares XML entities in a DOCTYPE (an entity-expansion attack?); "
            "REFI-QDA files have none"
        )
    if docinfo.system_url or docinfo.public_id:
        raise QdpxRefused(f"{what} refers to an external DTD; REFI-QDA files have none")
    for element in root.iter(etree.Entity):
        raise QdpxRefused(f"{what} uses an undeclared XML entity ({shown(str(element), 30)})")
    return root
