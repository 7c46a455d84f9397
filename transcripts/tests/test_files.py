"""Reading uploaded bytes: what a transcript file yields, and every hostile file refused with its
reason (SECURITY.md, "Uploads"). Pure functions: no database."""

import io
import re

import docx
import pytest

from transcripts.importers import files
from transcripts.importers.base import ImportRefused
from transcripts.importers.files import check_extension, decode_text, docx_paragraphs, sniff
from transcripts.tests import hostile


def refusal(function, *args, **kwargs) -> str:
    with pytest.raises(ImportRefused) as caught:
        function(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- A real Word document --------------------------------------------------------------------------


def interview_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Interviewer: Comment ça s'est passé ? 😊")
    turn = document.add_paragraph()
    turn.add_run("Participant 1:").bold = True
    run = turn.add_run()
    run.add_tab()
    run.add_text("  Naïve, honestly ")
    run.add_break()
    run.add_text("then — “calmer” 👩🏽‍🔬")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Q1"
    table.cell(0, 1).text = "Réponse: à Zürich"
    table.cell(1, 0).text = "Q2"
    table.cell(1, 1).text = "Ελληνικά 日本語"
    document.add_paragraph("")
    document.add_paragraph("After the table.")
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def test_a_word_document_reads_as_its_paragraphs_with_every_character_kept():
    data = interview_docx()

    assert sniff(data) == "docx"
    check_extension("Interview 3.DOCX", "docx")
    assert docx_paragraphs(data) == [
        "Interviewer: Comment ça s'est passé ? 😊",
        "Participant 1:\t  Naïve, honestly \nthen — “calmer” 👩🏽‍🔬",
        "Q1",
        "Réponse: à Zürich",
        "Q2",
        "Ελληνικά 日本語",
        "",
        "After the table.",
    ]


def test_tracked_changes_text_boxes_and_special_characters():
    body = (
        "<w:p><w:r><w:t>kept </w:t></w:r>"
        "<w:del><w:r><w:delText>deleted</w:delText><w:tab/></w:r></w:del>"
        "<w:ins><w:r><w:t>inserted</w:t></w:r></w:ins>"
        "<w:r><w:t xml:space='preserve'> well</w:t><w:noBreakHyphen/><w:t>known</w:t>"
        "<w:cr/><w:t>next</w:t></w:r>"
        "<w:r><w:fldChar w:fldCharType='begin'/></w:r>"
        '<w:r><w:instrText>HYPERLINK "https://example.org"</w:instrText></w:r>'
        "<w:r><w:fldChar w:fldCharType='separate'/></w:r><w:r><w:t> link</w:t></w:r>"
        "<w:r><w:fldChar w:fldCharType='end'/></w:r></w:p>"
        # A text box: Word writes it twice (the drawing and a VML fallback); neither is the body.
        "<w:p><w:r><mc:AlternateContent><mc:Choice Requires='wps'><w:drawing><wps:txbx>"
        "<w:txbxContent><w:p><w:r><w:t>box</w:t></w:r></w:p></w:txbxContent>"
        "</wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox><w:txbxContent>"
        "<w:p><w:r><w:t>box</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>beside the box</w:t></w:r></w:p>"
        # A deleted paragraph mark: this paragraph runs on into the next, as Word shows it.
        "<w:p><w:pPr><w:rPr><w:del w:id='1' w:author='A' w:date='2024-01-01T00:00:00Z'/>"
        "</w:rPr></w:pPr><w:r><w:t>joined </w:t></w:r></w:p>"
        "<w:p><w:sdt><w:sdtContent><w:r><w:t>to this</w:t></w:r></w:sdtContent></w:sdt></w:p>"
        "<w:p><w:moveFrom><w:r><w:t>moved away</w:t></w:r></w:moveFrom>"
        "<w:moveTo><w:r><w:t>moved here</w:t></w:r></w:moveTo></w:p>"
    )
    data = hostile.with_document_xml(hostile.word_document(), hostile.document_xml(body))

    assert docx_paragraphs(data) == [
        "kept inserted well-known\nnext link",
        "beside the box",
        "joined to this",
        "moved here",
    ]


def test_a_strict_open_xml_document_is_read_too():
    body = "<w:p><w:r><w:t>Strict</w:t></w:r></w:p>"
    xml = hostile.document_xml(body, namespace="http://purl.oclc.org/ooxml/wordprocessingml/main")
    data = hostile.with_document_xml(hostile.word_document(), xml)

    assert docx_paragraphs(data) == ["Strict"]


def test_external_hyperlinks_are_allowed():
    assert docx_paragraphs(hostile.external_hyperlink()) == [
        "See https://example.org for the study."
    ]


def test_text_over_the_limit_in_a_docx_is_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_TEXT_CHARS", 50)
    data = hostile.word_document("x" * 30, "y" * 30)

    assert refusal(docx_paragraphs, data) == (
        "the document has more than 50 characters of text, the limit"
    )


# --- Hostile .docx files ---------------------------------------------------------------------------

HOSTILE_DOCX = {
    "zip bomb": (hostile.zip_bomb, r"a \.docx member would inflate 1,\d{3} times \(zip bomb\?\)"),
    "member declared over 50 MiB": (
        hostile.declared_member_oversize,
        r"a \.docx member would be 60\.0 MiB uncompressed; the limit is 50 MiB",
    ),
    "members declared over 100 MiB together": (
        hostile.declared_total_oversize,
        r"the \.docx would be over 100 MiB uncompressed, the limit",
    ),
    "declared size understated": (
        hostile.understated_size,
        r"the \.docx is damaged: one of its parts cannot be read",
    ),
    "too many members": (
        hostile.too_many_members,
        r"the \.docx has 1,\d{3} members; the limit is 1,000",
    ),
    "path traversal": (
        hostile.path_traversal,
        r"a \.docx member's path climbs out of the document \('\.\.'\)",
    ),
    "absolute path": (hostile.absolute_path, r"a \.docx member has an absolute path"),
    "backslash": (hostile.backslash_name, r"a \.docx member's name contains a backslash"),
    "duplicate names in two cases": (
        hostile.duplicate_names,
        r"the \.docx has two members with the same name \(ignoring case\)",
    ),
    "encrypted member": (
        hostile.encrypted_member,
        r"the document is encrypted or password-protected",
    ),
    "bzip2 member": (
        hostile.bzip2_member,
        r"a \.docx member uses an unusual compression method \(bzip2\)",
    ),
    "truncated zip": (
        hostile.not_a_zip_after_all,
        r"the \.docx is damaged: it does not open as a zip archive",
    ),
    "macro-enabled": (hostile.macro_enabled, r"the document contains macros \(\.docm\)"),
    "template": (
        hostile.template,
        r"the document is a Word template \(\.dotx\): save it as a document \(\.docx\)",
    ),
    "spreadsheet main part": (
        hostile.spreadsheet_main,
        r"the file is not a Word document \(its main part is "
        r"'application/vnd\.openxmlformats-officedocument\.spreadsheetml…'\)",
    ),
    "vbaProject.bin": (hostile.vba_project, r"the document contains macros \(vbaProject\.bin\)"),
    "ActiveX": (hostile.activex, r"the document contains ActiveX controls"),
    "OLE embedding": (hostile.ole_embedding, r"the document contains an embedded OLE object"),
    "no [Content_Types].xml": (
        hostile.no_content_types,
        r"the \.docx is damaged: it has no \[Content_Types\]\.xml",
    ),
    "no main document": (
        hostile.no_main_document,
        r"the \.docx is damaged: it has no main document \(word/document\.xml\)",
    ),
    "malformed XML": (
        hostile.malformed_document,
        r"the \.docx is damaged: word/document\.xml is not well-formed XML",
    ),
    "billion laughs": (
        hostile.billion_laughs,
        r"the document declares a DTD, which Word documents never contain",
    ),
    "external entity (XXE)": (
        hostile.external_entity,
        r"the document declares a DTD, which Word documents never contain",
    ),
    "DTD in styles.xml, UTF-16": (
        hostile.dtd_in_styles_utf16,
        r"the document declares a DTD, which Word documents never contain",
    ),
    "remote template": (hostile.remote_template, r"the document links to an external template"),
    "external OLE link": (
        hostile.external_ole_link,
        r"the document links to an external OLE object",
    ),
}


@pytest.mark.parametrize("build,expected", HOSTILE_DOCX.values(), ids=HOSTILE_DOCX.keys())
def test_a_hostile_docx_is_refused_with_its_reason(build, expected):
    data = build()

    assert re.fullmatch(expected, refusal(docx_paragraphs, data))


def test_the_zip_bomb_is_refused_before_anything_is_inflated(monkeypatch):
    data = hostile.zip_bomb()

    def never(*args, **kwargs):
        raise AssertionError("a member was inflated")

    monkeypatch.setattr(files.zipfile.ZipFile, "open", never)

    assert "zip bomb" in refusal(docx_paragraphs, data)


def test_a_zip_with_a_huge_directory_is_refused_without_reading_it():
    data = hostile.repack(hostile.word_document(), add=[(str(n), b"") for n in range(10_001)])

    message = "the .docx has over 10,000 members; the limit is 1,000"
    assert refusal(docx_paragraphs, data) == message
    assert refusal(sniff, data) == message


# --- Telling the kind of file ----------------------------------------------------------------------

NOT_TRANSCRIPTS = {
    "OLE compound file": (
        hostile.ole_compound_file,
        "the document is encrypted or password-protected, or an old Word .doc: "
        "save it as .docx without a password",
    ),
    "PDF": (hostile.pdf, "this is a PDF, not a transcript: export it as .docx or .txt"),
    "PNG": (hostile.png, "this is a PNG image, not a transcript: export it as .docx or .txt"),
    "binary junk": (
        hostile.binary_junk,
        "this is a binary file, not a transcript: export it as .docx or .txt",
    ),
    "NUL-laden text": (
        hostile.nul_laden_text,
        "the file contains NUL bytes, so it is not plain text: export it as .docx or .txt",
    ),
    "a zip of something else": (
        hostile.plain_zip,
        "this is a zip archive, not a Word document: export it as .docx or .txt",
    ),
    "an Excel workbook": (
        hostile.spreadsheet_zip,
        "this is an Excel workbook, not a transcript: export it as .docx or .txt",
    ),
    "a damaged zip": (
        hostile.not_a_zip_after_all,
        "the file is a damaged zip archive, not a readable Word document",
    ),
    "empty": (lambda: b"", "the file is empty"),
    "a UTF-8 BOM and nothing else": (lambda: b"\xef\xbb\xbf", "the file is empty"),
    "a UTF-16 BOM and nothing else": (lambda: b"\xff\xfe", "the file is empty"),
    "an MP3": (
        lambda: b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(100),
        "this is an audio or video recording, not a transcript: "
        "upload its transcript as .docx, .txt or .vtt",
    ),
    "an M4A": (
        lambda: b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00" + bytes(100),
        "this is an audio or video recording, not a transcript: "
        "upload its transcript as .docx, .txt or .vtt",
    ),
    "RTF": (
        lambda: rb"{\rtf1\ansi Interviewer: hello\par}",
        "this is an RTF document: save it as .docx or .txt",
    ),
}


@pytest.mark.parametrize("build,expected", NOT_TRANSCRIPTS.values(), ids=NOT_TRANSCRIPTS.keys())
def test_what_is_not_a_transcript_is_refused_by_its_content(build, expected):
    assert refusal(sniff, build()) == expected


@pytest.mark.parametrize(
    "data",
    [
        hostile.TRANSCRIPT.encode(),
        hostile.TRANSCRIPT.encode("utf-16"),
        hostile.TRANSCRIPT.encode("utf-16-le"),
        hostile.TRANSCRIPT.encode("cp1252", errors="replace"),
        b"ID3: first participant\n",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n",
    ],
    ids=["UTF-8", "UTF-16 with BOM", "UTF-16 without BOM", "Windows-1252", "ID3 label", "VTT"],
)
def test_text_is_told_as_text(data):
    assert sniff(data) == "text"


def test_an_upload_over_the_size_limit_is_refused():
    assert refusal(sniff, b"x" * 2049, max_bytes=2048) == (
        "the file is 2.1 KiB; the limit is 2 KiB"
    )
    assert refusal(sniff, b"x" * (3 * 1024 * 1024 + 1), max_bytes=3 * 1024 * 1024) == (
        "the file is 3.1 MiB; the limit is 3 MiB"
    )
    assert sniff(b"x" * 2048, max_bytes=2048) == "text"


# --- Decoding text ---------------------------------------------------------------------------------

EXPECTED_TEXT = "Interviewer: Où étiez-vous ?\nParticipant: À Zürich \u2013 \u201cmostly\u201d 😊\n"


@pytest.mark.parametrize(
    "data",
    [
        hostile.TRANSCRIPT.encode(),
        b"\xef\xbb\xbf" + hostile.TRANSCRIPT.encode(),
        hostile.TRANSCRIPT.encode("utf-16"),
        b"\xfe\xff" + hostile.TRANSCRIPT.encode("utf-16-be"),
        hostile.TRANSCRIPT.encode("utf-16-le"),
        hostile.TRANSCRIPT.encode("utf-16-be"),
        hostile.TRANSCRIPT.replace("\r\n", "\r").encode(),
    ],
    ids=[
        "UTF-8",
        "UTF-8 with BOM",
        "UTF-16 LE with BOM",
        "UTF-16 BE with BOM",
        "UTF-16 LE without BOM",
        "UTF-16 BE without BOM",
        "old Mac line ends",
    ],
)
def test_text_decodes_without_bom_and_with_lf_line_ends(data):
    assert decode_text(data) == (EXPECTED_TEXT, [])


def test_windows_1252_is_read_with_a_warning():
    data = "Interviewer: Où étiez-vous ? \u201cCafé\u201d \u2013 €5\r\n".encode("cp1252")

    assert decode_text(data) == (
        "Interviewer: Où étiez-vous ? \u201cCafé\u201d \u2013 €5\n",
        ["read as Windows-1252"],
    )


def test_a_page_break_from_pdftotext_is_a_new_line():
    assert decode_text(b"Page one\fPage two\n") == ("Page one\nPage two\n", [])


@pytest.mark.parametrize(
    "data",
    [
        hostile.unknown_encoding_text(),
        hostile.nul_laden_text(),
        b"Interviewer: \x1b[31mred\x1b[0m\n",
        b"\xff\xfe\x00\x00" + "UTF-32".encode("utf-32-le"),
        b"\xff\xfe" + b"\x00\xd8\x00\xd8",  # lone UTF-16 surrogates
    ],
    ids=["undefined Windows-1252 bytes", "NUL bytes", "escape codes", "UTF-32", "bad UTF-16"],
)
def test_text_in_an_unknown_encoding_is_refused(data):
    assert refusal(decode_text, data) == "text in an unknown encoding: save it as UTF-8"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])
def test_empty_text_is_refused(data):
    assert refusal(decode_text, data) == "the file is empty"


def test_text_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_TEXT_CHARS", 1_000)

    assert decode_text(("é" * 1_000).encode()) == ("é" * 1_000, [])
    assert refusal(decode_text, ("é" * 1_001).encode()) == (
        "the text is 1,001 characters long; the limit is 1,000"
    )


# --- Extensions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename,kind",
    [
        ("interview.docx", "docx"),
        ("C:\\Users\\me\\P1 final.DOCX", "docx"),
        ("interview.txt", "text"),
        ("teams.vtt", "text"),
    ],
)
def test_accepted_extensions_that_agree_with_the_content(filename, kind):
    check_extension(filename, kind)


@pytest.mark.parametrize(
    "filename,data,expected",
    [
        (
            "interview.docx",
            hostile.TRANSCRIPT.encode(),
            "the file is named .docx but holds plain text: rename it .txt",
        ),
        (
            "interview.txt",
            hostile.word_document(),
            "the file is named .txt but is a Word document: rename it .docx",
        ),
        (
            "teams.vtt",
            hostile.word_document(),
            "the file is named .vtt but is a Word document: rename it .docx",
        ),
    ],
    ids=[".docx holding text", ".txt holding a zip", ".vtt holding a zip"],
)
def test_an_extension_that_claims_another_kind_is_refused(filename, data, expected):
    assert refusal(check_extension, filename, sniff(data)) == expected


@pytest.mark.parametrize(
    "filename,expected",
    [
        ("interview.doc", "old Word .doc files are not accepted: save it as .docx"),
        ("interview.docm", "the document contains macros (.docm): save it as .docx"),
        ("interview.dotx", "Word templates (.dotx) are not accepted: save it as .docx"),
        ("interview.rtf", "RTF files are not accepted: save it as .docx or .txt"),
        ("interview.pdf", "PDFs are not accepted: export it as .docx or .txt"),
        ("interview.odt", "OpenDocument files (.odt) are not accepted: save it as .docx"),
        ("interview.md", "files ending in .md are not accepted"),
        ("interview", "the file name has no extension"),
        ("archive.tar.gz", "files ending in .gz are not accepted"),
    ],
)
def test_other_extensions_are_refused_naming_what_is_accepted(filename, expected):
    for kind in ("docx", "text"):
        assert refusal(check_extension, filename, kind) == (
            f"{expected} (accepted: .docx, .txt, .vtt)"
        )
