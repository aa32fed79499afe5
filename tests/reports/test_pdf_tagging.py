"""The PDFs are tagged (interop review 13): read back with Poppler (`pdfinfo`, `pdfinfo -struct-text`), which knows
nothing of how they were made, and with pikepdf for what Poppler does not print (/Alt, the parent tree).

Poppler reads an element's text by drawing its whole page again, once per tagged run: about 60 s of CPU for the
11-page report with 30 doses and 200 findings. The tests on that report and on the running furniture read the tree
with `read_structure` instead (pikepdf for the tree, pypdf for the text of each marked run: neither is reportlab),
and one test checks that it reads the same tree, with the same texts, as Poppler does.

Texts are mostly compared without whitespace (`squash`): where a line wraps, the words keep their space only
because tagging.py puts it back, and one test checks that on its own."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from http import HTTPStatus
from io import BytesIO
from pathlib import Path

import pikepdf
import pypdf
import pytest
from django.urls import reverse

from tests.reports.helpers import text as page_text

pytestmark = pytest.mark.django_db

ELEMENT = re.compile(r"([A-Za-z0-9]+)(?: \((?:block|inline)\))?:?")


@dataclass
class Element:
    tag: str
    texts: list[str] = field(default_factory=list)
    kids: list[Element] = field(default_factory=list)

    def walk(self) -> list[Element]:
        return [self, *(e for kid in self.kids for e in kid.walk())]

    def text(self) -> str:
        return "".join([*self.texts, *(kid.text() for kid in self.kids)])

    def find(self, tag: str) -> list[Element]:
        return [e for e in self.walk() if e.tag == tag]


def squash(text: str) -> str:
    return "".join(text.split())


def get(client, user, name: str, pk: int) -> bytes:
    client.force_login(user)
    response = client.get(reverse(f"challenges:{name}", args=[pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content


def poppler(pdf: bytes, *options: str) -> str:
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        pytest.fail("pdfinfo is missing: install Debian's poppler-utils package (make test does)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(pdf)
        result = subprocess.run([pdfinfo, *options, str(path)], capture_output=True, text=True, check=True)  # noqa: S603
    return result.stdout


def structure(pdf: bytes) -> Element:
    """The structure tree as `pdfinfo -struct-text` prints it: one element per line, indented by depth, its text in
    quotes beneath it, attributes (/Scope /Row) on lines of their own."""
    root = Element("root")
    stack: list[tuple[int, Element]] = [(-1, root)]
    for line in poppler(pdf, "-struct-text").splitlines():
        body = line.strip()
        if not body or body.startswith("/"):
            continue
        depth = len(line) - len(line.lstrip(" "))
        while stack[-1][0] >= depth:
            stack.pop()
        if body.startswith('"'):
            stack[-1][1].texts.append(body[1:-1])
            continue
        match = ELEMENT.fullmatch(body)
        assert match, line
        element = Element(match.group(1))
        stack[-1][1].kids.append(element)
        stack.append((depth, element))
    (document,) = root.kids
    assert document.tag == "Document"
    return document


def read_structure(pdf: bytes) -> Element:
    """The structure tree as `structure` reads it, without Poppler: the elements from the StructTreeRoot (pikepdf),
    each marked run's text from its page's content stream (pypdf, one pass per page)."""
    marked = _marked_texts(pdf)
    root = Element("root")
    with pikepdf.open(BytesIO(pdf)) as document:
        pages = {page.objgen: index for index, page in enumerate(document.pages)}

        def add(node: object, parent: Element, page: int | None) -> None:
            if isinstance(node, pikepdf.Array):
                for kid in node:
                    add(kid, parent, page)
            elif isinstance(node, int):  # a marked run on the element's page
                parent.texts.append(marked.get((page, int(node)), ""))
            elif isinstance(node, pikepdf.Dictionary):
                if "/Pg" in node:
                    page = pages[node.Pg.objgen]
                if node.get("/Type") == "/MCR":
                    parent.texts.append(marked.get((page, int(node.MCID)), ""))
                elif "/S" in node:
                    element = Element(str(node.S).lstrip("/"))
                    parent.kids.append(element)
                    if "/K" in node:
                        add(node.K, element, page)

        add(document.Root.StructTreeRoot.K, root, None)
    (tree,) = root.kids
    assert tree.tag == "Document"
    return tree


def _marked_texts(pdf: bytes) -> dict[tuple[int, int], str]:
    """The text drawn inside each marked-content run, by (page index, MCID); line breaks dropped, as Poppler does.
    A run that draws no text (a rule, the chart's lines) has none."""
    texts: dict[tuple[int, int], str] = {}
    for index, page in enumerate(pypdf.PdfReader(BytesIO(pdf)).pages):
        open_runs: list[int | None] = []
        drawn: dict[int, list[str]] = defaultdict(list)

        def operator(op: bytes, args: list, _cm: object, _tm: object, open_runs: list = open_runs) -> None:
            if op == b"BDC":
                properties = args[1] if len(args) > 1 else None
                open_runs.append(properties.get("/MCID") if isinstance(properties, dict) else None)
            elif op == b"BMC":
                open_runs.append(None)
            elif op == b"EMC" and open_runs:
                open_runs.pop()

        def text(chunk: str, *_: object, open_runs: list = open_runs, drawn: dict = drawn) -> None:
            run = next((mcid for mcid in reversed(open_runs) if mcid is not None), None)
            if run is not None and chunk:
                drawn[int(run)].append(chunk)

        page.extract_text(visitor_operand_before=operator, visitor_text=text)
        texts.update({(index, mcid): "".join(chunks).replace("\n", "") for mcid, chunks in drawn.items()})
    return texts


def rows(table: Element) -> list[list[str]]:
    return [[squash(cell.text()) for cell in row.kids] for row in table.find("TR")]


def table_headed(document: Element, *headers: str) -> Element:
    """The one table whose header row starts with these column titles."""
    wanted = [squash(header) for header in headers]
    tables = [t for t in document.find("Table") if rows(t) and rows(t)[0][: len(wanted)] == wanted]
    assert len(tables) == 1, headers
    return tables[0]


def test_the_report_is_tagged_with_headings_tables_and_the_chart_in_reading_order(client, allergist, failed):
    pdf = get(client, allergist, "report", failed.pk)
    assert re.search(r"^Tagged:\s+yes$", poppler(pdf), re.MULTILINE)
    document = structure(pdf)
    assert outline(read_structure(pdf)) == outline(document)  # the reader the slower tests use reads the same tree
    assert [h.text() for h in document.find("H1")] == ["Oral food challenge report"]
    sections = [h.text() for h in document.kids if h.tag == "H2"]
    order = ["Result", "Doses given", "Observation timeline", "Vital signs", "Treatment given", "Signature"]
    assert [s for s in sections if s in order] == order

    doses = table_headed(document, "Dose", "Step")
    header, *body = doses.find("TR")
    assert {cell.tag for cell in header.kids} == {"TH"}
    assert rows(doses)[0][:3] == ["Dose", "Step", squash("Planned protein")]
    assert header.kids[2].text().strip() == "Planned protein"  # wrapped in its narrow column, read with its space
    assert len(body) == failed.doses.count()
    assert {cell.tag for row in body for cell in row.kids} == {"TD"}
    assert rows(doses)[1][:3] == ["1", "1", "3mg"]  # dose 1, step 1, 3 mg planned

    result = [row for row in document.find("TR") if [c.tag for c in row.kids] == ["TH", "TD"]]
    outcome = next(row for row in result if row.kids[0].text() == "Outcome")
    assert outcome.kids[1].text().startswith("Failed (not tolerated)")

    vitals = next(i for i, kid in enumerate(document.kids) if kid.tag == "H2" and kid.text() == "Vital signs")
    assert document.kids[vitals + 1].tag == "Figure"  # the chart straight under its heading


def test_header_footer_page_numbers_and_watermark_are_artifacts_not_content(client, allergist, failed):
    pdf = get(client, allergist, "report", failed.pk)
    printed = page_text(pdf)
    tagged = squash(read_structure(pdf).text())
    reference = f"Challenge {failed.pk}"
    running_header = f"MRN {failed.patient.mrn} · born"
    for furniture in ("Page 1 of", "· generated", running_header):
        assert furniture in printed  # on the page ...
        assert squash(furniture) not in tagged  # ... but not read out as content
    pages = printed.count("Page ")
    assert printed.count("UNSIGNED DRAFT") == 2 * pages + 1  # watermark and footer on each page, the signature
    assert tagged.count("UNSIGNEDDRAFT") == 1  # only the signature line is read out
    assert squash(reference) in tagged  # the same words in the body are content
    assert squash(failed.patient.full_name) in tagged


def test_the_chart_has_alternative_text_that_says_what_it_shows(client, allergist, failed):
    pdf = get(client, allergist, "report", failed.pk)
    with pikepdf.open(BytesIO(pdf)) as document:
        figures = [e for e in document.objects if isinstance(e, pikepdf.Dictionary) and e.get("/S") == "/Figure"]
        assert len(figures) == 1
        alt = str(figures[0].Alt)
    assert alt.startswith("Chart of vital signs against minutes from dose 1.")
    assert re.search(r"Heart rate: \d+ readings?, from \d+ to \d+ /min", alt)
    assert re.search(r"SpO₂: \d+ readings?, from \d+ to \d+ %", alt)
    assert "D1 at 0 min" in alt


def outline(element: Element) -> list[tuple[int, str, str]]:
    """Each element with its depth, tag and own text (whitespace left out): what two readers of a tree must agree on."""
    return [(depth, e.tag, squash("".join(e.texts))) for depth, e in _depths(element)]


def _depths(element: Element, depth: int = 0) -> list[tuple[int, Element]]:
    return [(depth, element), *(pair for kid in element.kids for pair in _depths(kid, depth + 1))]


def test_a_table_over_several_pages_keeps_one_header_row_and_every_row_once(client, allergist, long_challenge):
    pdf = get(client, allergist, "report", long_challenge.pk)
    document = read_structure(pdf)
    doses = table_headed(document, "Dose", "Step")
    observations = table_headed(document, "Time", "After")
    assert long_challenge.doses.count() == 30
    assert len(doses.find("TR")) == 1 + 30  # the header repeated on later pages is an artifact
    assert [row[0] for row in rows(doses)[1:]] == [str(n) for n in range(1, 31)]
    assert len(observations.find("TR")) == 1 + long_challenge.observations.count()
    assert sum(cell.tag == "TH" for cell in doses.walk()) == 10
    with pikepdf.open(BytesIO(pdf)) as opened:
        pages = len(opened.pages)
    assert pages > 4  # the tables do run over several pages


def test_the_home_plan_lists_are_lists(client, allergist, home_challenge):
    pdf = get(client, allergist, "home-plan-pdf", home_challenge.pk)
    document = structure(pdf)
    lists = document.find("L")
    assert lists
    for items in lists:
        assert {kid.tag for kid in items.kids} == {"LI"}
        for item in items.kids:
            assert [kid.tag for kid in item.kids] == ["LBody"]
    bodies = [squash(body.text()) for body in document.find("LBody")]
    assert any(squash("rest and have an adult stay with you") in body for body in bodies)


def test_every_drawn_thing_is_tagged_or_an_artifact_and_the_parent_tree_agrees(client, allergist, failed):
    """What a screen reader gets is complete: no text or line outside marked content, and each MCID on a page
    belongs (through the page's /StructParents entry of the ParentTree) to the element that lists it."""
    pdf = get(client, allergist, "report", failed.pk)
    with pikepdf.open(BytesIO(pdf)) as document:
        assert document.Root.MarkInfo.Marked is True
        assert document.Root.ViewerPreferences.DisplayDocTitle is True
        nums = document.Root.StructTreeRoot.ParentTree.Nums
        owners = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        for page in document.pages:
            open_tags: list[str] = []
            mcids = []
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op in ("BDC", "BMC"):
                    open_tags.append(str(operands[0]))
                    if op == "BDC" and "/MCID" in operands[1]:
                        assert not any(tag != "/Artifact" for tag in open_tags[:-1]), "nested tagged content"
                        mcids.append(int(operands[1].MCID))
                elif op == "EMC":
                    open_tags.pop()
                elif op in ("Tj", "TJ", "'", '"', "S", "f", "re", "Do"):
                    assert open_tags, f"unmarked {op} on page {page.index + 1}"
            assert mcids == list(range(len(mcids)))
            parents = owners[int(page.StructParents)]
            assert len(parents) == len(mcids)
            for mcid, element in zip(mcids, parents, strict=True):
                kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                assert any(
                    (isinstance(kid, int) and kid == mcid and element.Pg.objgen == page.objgen)
                    or (isinstance(kid, pikepdf.Dictionary) and kid.get("/MCID") == mcid)
                    for kid in kids
                )
