"""Opening an untrusted .qdpx: the zip preflight before anything is inflated, reading with limits,
XML without entities, and the lenient ways of finding the project and its sources. Pure: no
database (the import tests check that a refused file stores nothing)."""

import io
import struct
import zipfile

import pytest

from exchange.qdpx.safety import QdpxRefused, open_archive, parse_xml
from exchange.tests.qdpx_files import zip_of

MIB = 1024 * 1024
PROJECT = b'<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="x"/>'
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Project [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol4;"/>"""


def refused(content: bytes) -> str:
    with pytest.raises(QdpxRefused) as caught:
        open_archive(content).project_name()
    return str(caught.value)


def with_flag(content: bytes, flag: int) -> bytes:
    """The zip with a general-purpose flag set on its first member (local and central header)."""
    data = bytearray(content)
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    for at, offset in ((local, 6), (central, 8)):
        (flags,) = struct.unpack_from("<H", data, at + offset)
        struct.pack_into("<H", data, at + offset, flags | flag)
    return bytes(data)


class TestThePreflight:
    @pytest.mark.parametrize(
        "content",
        [b"Interviewer: hello", b"%PDF-1.7 ...", PROJECT, b"\x89PNG\r\n\x1a\n...."],
        ids=["text", "pdf", "bare xml", "png"],
    )
    def test_not_a_zip(self, content):
        assert refused(content) == "the file is not a zip archive, so it is not a .qdpx project"

    def test_empty(self):
        assert refused(b"") == "the file is empty"

    def test_damaged(self):
        assert "damaged zip archive" in refused(b"PK\x03\x04" + b"\x00" * 200)

    def test_a_zip_bomb_is_refused_before_it_is_inflated(self):
        bomb = zip_of({"project.qde": PROJECT, "sources/a.txt": b"\x00" * (10 * MIB)})
        assert len(bomb) < 20 * 1024
        message = refused(bomb)
        assert "sources/a.txt would inflate" in message and "zip bomb" in message

    def test_too_large_in_total(self, monkeypatch):
        monkeypatch.setattr("exchange.qdpx.safety.MAX_TOTAL_BYTES", 1000)
        monkeypatch.setattr("exchange.qdpx.safety.MAX_MEMBER_BYTES", 800)
        content = zip_of({"project.qde": PROJECT, "a.txt": b"a" * 700, "b.txt": b"b" * 700})
        assert "over 1000 bytes uncompressed" in refused(content)

    def test_too_large_a_member(self, monkeypatch):
        monkeypatch.setattr("exchange.qdpx.safety.MAX_MEMBER_BYTES", 500)
        content = zip_of({"project.qde": PROJECT, "sources/a.txt": b"a" * 700})
        assert "sources/a.txt would be 700 bytes uncompressed; the limit is 500 bytes" in refused(
            content
        )

    def test_too_many_members(self):
        content = zip_of({f"sources/{n}.txt": b"" for n in range(1001)})
        assert refused(content) == "the archive has 1,001 members; the limit is 1,000"

    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            ("../evil.txt", "climbs out of the archive"),
            ("sources/../../evil.txt", "climbs out of the archive"),
            ("/etc/passwd", "absolute path"),
            ("C:/Windows/evil.txt", "absolute path"),
            ("sources\\evil.txt", "backslash"),
            ("a/b/c/d/e.txt", "nested 4 folders deep"),
        ],
    )
    def test_hostile_names(self, name, reason):
        assert reason in refused(zip_of({"project.qde": PROJECT, name: b"x"}))

    def test_two_members_of_one_name(self):
        content = zip_of({"project.qde": PROJECT, "sources/A.txt": b"1", "Sources/a.txt": b"2"})
        assert "two members named" in refused(content)

    def test_encrypted(self):
        content = with_flag(zip_of({"project.qde": PROJECT}), 0x1)
        assert refused(content) == "the archive is encrypted or password-protected"

    def test_unusual_compression(self):
        content = zip_of({"project.qde": PROJECT}, method=zipfile.ZIP_BZIP2)
        assert refused(content) == "a member uses an unusual compression method (bzip2)"

    def test_a_member_that_lies_about_its_size_cannot_be_read(self):
        content = bytearray(zip_of({"project.qde": PROJECT}))
        central = content.find(b"PK\x01\x02")
        struct.pack_into("<I", content, central + 24, 10)  # declared uncompressed size
        archive = open_archive(bytes(content))
        with pytest.raises(QdpxRefused, match=r"project\.qde"):
            archive.read("project.qde")


class TestFindingThings:
    def test_project_qde_in_any_case(self):
        archive = open_archive(zip_of({"PROJECT.QDE": PROJECT, "Sources/x.txt": b""}))
        assert archive.project_name() == "PROJECT.QDE"

    def test_a_qde_named_after_the_project(self):
        archive = open_archive(zip_of({"Breakfast study.qde": PROJECT, "sources/.root": b""}))
        assert archive.project_name() == "Breakfast study.qde"

    def test_two_qde_files_are_ambiguous(self):
        content = zip_of({"one.qde": PROJECT, "two.qde": PROJECT})
        assert refused(content).startswith("the archive has 2 .qde files at its root")

    def test_no_qde(self):
        assert "no project.qde" in refused(zip_of({"sources/a.txt": b"x"}))

    def test_a_qde_in_a_folder_is_not_the_project(self):
        assert "no project.qde" in refused(zip_of({"sources/project.qde": PROJECT}))

    def test_sources_by_internal_path_bare_name_or_outside_path(self):
        archive = open_archive(
            zip_of({"project.qde": PROJECT, "Sources/ABC.txt": b"x", "loose.txt": b"y"})
        )
        assert archive.source_name("internal://abc.txt") == ("Sources/ABC.txt", "")
        found, warning = archive.source_name("ABC.txt")
        assert found == "Sources/ABC.txt" and "no internal:// scheme" in warning
        assert archive.source_name("loose.txt")[0] == "loose.txt"
        found, warning = archive.source_name("relative://C:\\Users\\x\\abc.TXT")
        assert found == "Sources/ABC.txt" and "outside the archive" in warning
        assert archive.source_name("internal://missing.txt") == (None, "")


class TestXml:
    def test_billion_laughs_is_refused(self):
        with pytest.raises(QdpxRefused, match="declares XML entities"):
            parse_xml(BILLION_LAUGHS, "project.qde")

    def test_billion_laughs_in_utf16_is_refused(self):
        content = BILLION_LAUGHS.decode().replace(
            'version="1.0"?', 'version="1.0" encoding="UTF-16"?'
        )
        with pytest.raises(QdpxRefused, match="declares XML entities"):
            parse_xml(content.encode("utf-16"), "project.qde")

    def test_an_external_entity_is_refused(self):
        content = (
            b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'
        )
        with pytest.raises(QdpxRefused, match="declares XML entities"):
            parse_xml(content, "project.qde")

    def test_an_external_dtd_is_refused(self):
        content = (
            b'<?xml version="1.0"?><!DOCTYPE Project SYSTEM "http://example.org/p.dtd">'
            b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>'
        )
        with pytest.raises(QdpxRefused, match="external DTD"):
            parse_xml(content, "project.qde")

    def test_a_bare_doctype_is_harmless(self):
        content = b'<?xml version="1.0"?><!DOCTYPE Project><Project name="x"/>'
        assert parse_xml(content, "project.qde").get("name") == "x"

    def test_malformed_xml_names_the_file_and_line(self):
        with pytest.raises(QdpxRefused, match=r"project.qde is not well-formed XML \(line 2\)"):
            parse_xml(b'<?xml version="1.0"?>\n<Project name="x">', "project.qde")

    def test_a_deep_tree_is_refused_by_the_parser(self):
        content = b"<a>" * 300 + b"</a>" * 300
        with pytest.raises(QdpxRefused, match="not well-formed"):
            parse_xml(content, "project.qde")

    def test_it_reads_the_project(self):
        root = parse_xml(PROJECT, "project.qde")
        assert root.tag == "{urn:QDA-XML:project:1.0}Project"


def test_zip_of_helper_round_trips():
    content = zip_of({"project.qde": PROJECT})
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.read("project.qde") == PROJECT
