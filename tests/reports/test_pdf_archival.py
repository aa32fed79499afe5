"""Every PDF is PDF/A-2b (interop review 24): read back with pikepdf, requirement by requirement, and checked by
qpdf. No independent PDF/A validator exists here (veraPDF is not on PyPI, npm or Debian), so these tests are the
check: XMP metadata that matches the info dictionary and claims part 2 / conformance B, an sRGB OutputIntent, every
font embedded, a file ID, no encryption, no JavaScript, only RGB colour (docs/pdf-output.md)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from datetime import datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import pytest
import time_machine
from django.urls import reverse
from pikepdf.models.metadata import decode_pdf_date

pytestmark = pytest.mark.django_db

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}


def get(client, user, name: str, pk: int) -> bytes:
    client.force_login(user)
    response = client.get(reverse(f"challenges:{name}", args=[pk]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    return response.content


def every_pdf(client, allergist, failed, home_challenge) -> dict[str, bytes]:
    return {
        "draft report": get(client, allergist, "report", failed.pk),
        "home plan": get(client, allergist, "home-plan-pdf", home_challenge.pk),
        "preparation sheet": get(client, allergist, "preparation-sheet", home_challenge.pk),
        "patient summary": get(client, allergist, "patient-summary", home_challenge.patient.pk),
    }


def xmp(document: pikepdf.Pdf) -> ElementTree.Element:
    stream = document.Root.Metadata
    assert stream.Type == "/Metadata"
    assert stream.Subtype == "/XML"
    assert "/Filter" not in stream  # readable without decoding
    return ElementTree.fromstring(stream.read_bytes())  # noqa: S314 (the XMP our own renderer just wrote)


def one(tree: ElementTree.Element, path: str) -> str:
    found = tree.findall(f".//{path}", NS)
    assert len(found) == 1, path
    return found[0].text or ""


def assert_metadata_matches_info(document: pikepdf.Pdf) -> None:
    tree, info = xmp(document), document.trailer.Info
    assert one(tree, "pdfaid:part") == "2"
    assert one(tree, "pdfaid:conformance") == "B"
    assert one(tree, "dc:title/rdf:Alt/rdf:li") == str(info.Title)
    assert one(tree, "dc:creator/rdf:Seq/rdf:li") == str(info.Author)
    assert one(tree, "dc:description/rdf:Alt/rdf:li") == str(info.Subject)
    assert one(tree, "xmp:CreatorTool") == str(info.Creator) == "Stepwise"
    assert one(tree, "pdf:Producer") == str(info.Producer)
    assert datetime.fromisoformat(one(tree, "xmp:CreateDate")) == decode_pdf_date(str(info.CreationDate))
    assert datetime.fromisoformat(one(tree, "xmp:ModifyDate")) == decode_pdf_date(str(info.ModDate))
    assert set(info.keys()) <= {"/Title", "/Author", "/Subject", "/Creator", "/Producer", "/CreationDate", "/ModDate"}
    with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:  # pikepdf's own reading
        assert meta.pdfa_status == "2B"


def assert_srgb_output_intent(document: pikepdf.Pdf) -> None:
    assert "/OutputIntents" in document.Root
    (intent,) = document.Root.OutputIntents
    assert intent.Type == "/OutputIntent"
    assert intent.S == "/GTS_PDFA1"
    assert str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
    profile = intent.DestOutputProfile
    assert profile.N == 3
    icc = profile.read_bytes()
    assert struct.unpack(">I", icc[:4])[0] == len(icc)
    assert icc[36:40] == b"acsp"  # an ICC profile
    assert icc[12:16] == b"mntr"
    assert icc[16:20] == b"RGB "
    assert icc[8] <= 4  # ICC major version PDF/A-2 accepts


def fonts_of(resources: pikepdf.Object, seen: set[tuple[int, int]]) -> list[pikepdf.Object]:
    """Every font reachable from a resource dictionary, through form XObjects too."""
    found = []
    for font in resources.get("/Font", {}).values():
        found += list(font.DescendantFonts) if font.Subtype == "/Type0" else [font]
    for xobject in resources.get("/XObject", {}).values():
        if xobject.objgen not in seen and xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
            seen.add(xobject.objgen)
            found += fonts_of(xobject.Resources, seen)
    return found


def assert_fonts_embedded(document: pikepdf.Pdf) -> None:
    fonts = [font for page in document.pages for font in fonts_of(page.Resources, set())]
    assert fonts
    for font in fonts:
        descriptor = font.FontDescriptor
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
        if descriptor.Flags & 4:  # symbolic TrueType: no /Encoding (PDF/A-2 6.2.11.6)
            assert "/Encoding" not in font, font.BaseFont


def assert_nothing_forbidden(document: pikepdf.Pdf) -> None:
    assert not document.is_encrypted
    assert "/Encrypt" not in document.trailer
    catalog = document.Root
    for key in ("/OpenAction", "/AA", "/AcroForm"):
        assert key not in catalog
    assert "/JavaScript" not in catalog.get("/Names", {})
    assert "/EmbeddedFiles" not in catalog.get("/Names", {})
    for obj in document.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            assert "/JS" not in obj
            assert obj.get("/S") != "/JavaScript"
    for page in document.pages:
        assert "/AA" not in page.obj
        for annotation in page.obj.get("/Annots", []):
            assert int(annotation.get("/F", 0)) & 4  # printable
        for gstate in page.Resources.get("/ExtGState", {}).values():
            assert gstate.get("/SMask", pikepdf.Name.None_) == pikepdf.Name.None_
            assert "/TR" not in gstate
        operators = {str(op) for _, op in pikepdf.parse_content_stream(page)}
        assert not operators & {"k", "K"}, "DeviceCMYK with an sRGB output intent"


def assert_file_header_and_id(pdf: bytes, document: pikepdf.Pdf) -> None:
    header, comment = pdf.split(b"\n")[:2]
    assert header[:7] == b"%PDF-1."
    assert header[7:8] in b"4567"
    assert comment.startswith(b"%")
    assert sum(byte > 127 for byte in comment[1:5]) == 4
    first, second = document.trailer.ID
    assert len(bytes(first)) == len(bytes(second)) == 16


def assert_pdfa_2b(pdf: bytes) -> None:
    with pikepdf.open(BytesIO(pdf)) as document:
        assert_file_header_and_id(pdf, document)
        assert_metadata_matches_info(document)
        assert_srgb_output_intent(document)
        assert_fonts_embedded(document)
        assert_nothing_forbidden(document)


def qpdf_check(pdf: bytes) -> subprocess.CompletedProcess[str]:
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        pytest.fail("qpdf is missing: install Debian's qpdf package (make test does)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(pdf)
        return subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, check=False)  # noqa: S603


def test_every_kind_of_pdf_is_pdfa_2b_and_qpdf_finds_no_error(client, allergist, failed, home_challenge):
    for kind, pdf in every_pdf(client, allergist, failed, home_challenge).items():
        assert_pdfa_2b(pdf)
        check = qpdf_check(pdf)
        assert check.returncode == 0, (kind, check.stdout, check.stderr)
        assert "No syntax or stream encoding errors found" in check.stdout, kind


def test_the_signed_report_is_pdfa_and_stays_byte_identical(client, signed_failed, nurse):
    first = get(client, signed_failed.allergist, "report", signed_failed.pk)
    with time_machine.travel(datetime(2027, 6, 1, 12, 0, tzinfo=signed_failed.clinic.tzinfo)):
        later = get(client, nurse, "report", signed_failed.pk)
    assert later == first == bytes(signed_failed.signed_pdf)
    assert_pdfa_2b(first)
    with pikepdf.open(BytesIO(first)) as document:
        created = one(xmp(document), "xmp:CreateDate")
    signed_at = signed_failed.signed_at.astimezone(signed_failed.clinic.tzinfo).replace(microsecond=0)
    assert datetime.fromisoformat(created) == signed_at


def test_the_same_snapshot_gives_the_same_bytes(client, allergist, failed, home_challenge):
    moment = datetime(2027, 1, 15, 14, 30, 5, tzinfo=failed.clinic.tzinfo)
    with time_machine.travel(moment, tick=False):
        first = every_pdf(client, allergist, failed, home_challenge)
        second = every_pdf(client, allergist, failed, home_challenge)
    assert first == second
    with pikepdf.open(BytesIO(first["draft report"])) as document:
        assert datetime.fromisoformat(one(xmp(document), "xmp:CreateDate")) == moment


def test_a_pdf_that_breaks_the_rules_fails_these_checks(client, allergist, failed):
    """The checks can fail: the same report with its output intent removed, a CMYK colour, or a JavaScript action."""
    pdf = get(client, allergist, "report", failed.pk)
    broken = []
    for change in ("no output intent", "cmyk", "javascript"):
        with pikepdf.open(BytesIO(pdf)) as document:
            if change == "no output intent":
                del document.Root.OutputIntents
            elif change == "cmyk":
                document.pages[0].contents_add(b"0 0 0 1 k", prepend=True)
            else:
                document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
            out = BytesIO()
            document.save(out)
        broken.append(out.getvalue())
    for pdf_bytes in broken:
        with pytest.raises(AssertionError):
            assert_pdfa_2b(pdf_bytes)


def test_a_cjk_name_keeps_the_pdf_archival(client, allergist, patient, failed):
    """The CJK fallback face (a TrueType collection) is embedded like the others, and the name in the title is the
    same in the info dictionary and the XMP."""
    patient.given_name, patient.family_name = "小明", "王"
    patient.save()
    pdf = get(client, allergist, "patient-summary", patient.pk)
    assert_pdfa_2b(pdf)
    with pikepdf.open(BytesIO(pdf)) as document:
        faces = {str(font.BaseFont) for page in document.pages for font in fonts_of(page.Resources, set())}
        assert any("WenQuanYi" in face or "wqy" in face.lower() for face in faces), faces
        assert one(xmp(document), "dc:title/rdf:Alt/rdf:li").endswith("小明 王")
