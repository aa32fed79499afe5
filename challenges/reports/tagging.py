"""Tagged PDF (toward PDF/UA): what each report flowable draws is marked in the content stream, and the structure
tree (Document > H1/H2/H3, P, L/LI/LBody, Table/TR/TH/TD, Figure with /Alt) is written from those marks at the end
(interop review 13).

Open-source reportlab writes no structure tree, so the work is split in two:

- While the pages are laid out, each tagged flowable (`TaggedParagraph`, pdf/flowables.py's one-line `TextLine`,
  `Figure`, a table's `TableTagger`) wraps what it draws in a marked-content sequence `/P <</MCID n>> BDC ... EMC`
  and records, on the canvas's `Recorder`, which structure element (`Node`) owns that MCID on that page. Elements
  join the tree the first time they draw, so the tree's order is the reading order. A paragraph or table row split
  across pages keeps its element: both halves are marks of the one element.
- Running header, footer, page numbers, the DRAFT watermark, table rules and fills are marked `/Artifact`, so a
  screen reader skips them and nothing on a page is left unmarked.
- `write_structure` (called by archival.py, which opens the finished file with pikepdf) turns the recorded tree
  into StructTreeRoot, ParentTree, each page's /StructParents and /MarkInfo.

The renderers use the helpers in pdf/ (flowables: p, rich, cell, bullets, figure; tables: table, label_values,
grid) and never this module directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Table
from reportlab.platypus.paragraph import cleanBlockQuotedText
from reportlab.platypus.paraparser import ParaParser
from reportlab.platypus.tables import TableRenderCB

# Paragraph style name -> structure type (pdf/style.STYLES); every other style is a plain paragraph.
HEADING_TAGS = {"title": "H1", "h2": "H2", "h3": "H3"}


@dataclass(eq=False)
class Node:
    """A structure element: its type, and its kids in reading order (elements, or marks on a page)."""

    tag: str
    alt: str = ""  # /Alt: what a figure shows, for those who cannot see it
    scope: str = ""  # a header cell's /Scope: "Column" or "Row"
    kids: list[Node | Mark] = field(default_factory=list)
    attached: bool = False


@dataclass(frozen=True)
class Mark:
    """One marked-content sequence: page index (0-based) and its MCID on that page."""

    page: int
    mcid: int


class Recorder:
    """The structure being recorded while the document is drawn; one per PDF, held by the canvas as `tags`."""

    def __init__(self) -> None:
        self.root = Node("Document", attached=True)
        self._parents: list[Node] = [self.root]
        self._next_mcid: dict[int, int] = {}
        self.artifact_depth = 0  # inside an artifact nothing is tagged

    def attach(self, chain: Sequence[Node]) -> Node:
        """Join the chain (outermost first, e.g. L, LI, LBody) to the tree under the current parent; the leaf."""
        parent = self._parents[-1]
        for node in chain:
            if not node.attached:
                parent.kids.append(node)
                node.attached = True
            parent = node
        return parent

    def mark(self, node: Node, page: int) -> int:
        """A new MCID on `page`, owned by `node`."""
        mcid = self._next_mcid.get(page, 0)
        self._next_mcid[page] = mcid + 1
        node.kids.append(Mark(page, mcid))
        return mcid

    def push(self, node: Node) -> None:
        self._parents.append(node)

    def pop(self) -> None:
        self._parents.pop()


def recorder(canvas: Canvas) -> Recorder | None:
    """The canvas's recorder, or None when nothing is recorded (a canvas outside build_pdf, or inside an artifact)."""
    tags: Recorder | None = getattr(canvas, "tags", None)
    return None if tags is None or tags.artifact_depth else tags


@contextmanager
def marked(canvas: Canvas, chain: Sequence[Node]) -> Iterator[None]:
    """Mark what is drawn inside as content of the chain's innermost element."""
    tags = recorder(canvas)
    if tags is None or not chain:
        yield
        return
    leaf = tags.attach(chain)
    mcid = tags.mark(leaf, canvas.getPageNumber() - 1)
    canvas.addLiteral(f"/{leaf.tag} <</MCID {mcid}>> BDC")
    yield
    canvas.addLiteral("EMC")


@contextmanager
def artifact(canvas: Canvas, subtype: str = "") -> Iterator[None]:
    """Mark what is drawn inside as an artifact: page furniture a screen reader skips (subtype "Header", "Footer",
    "Watermark" for pagination artifacts; none for rules and fills)."""
    tags: Recorder | None = getattr(canvas, "tags", None)
    if tags is None or tags.artifact_depth:
        yield
        return
    properties = f"<</Type /Pagination /Subtype /{subtype}>> BDC" if subtype else "BMC"
    canvas.addLiteral(f"/Artifact {properties}")
    tags.artifact_depth += 1
    yield
    tags.artifact_depth -= 1
    canvas.addLiteral("EMC")


# --- flowables ----------------------------------------------------------------------------------------------


class TaggedParagraph(Paragraph):
    """A Paragraph marked as its structure element: P, or H1-H3 by style, or the LBody of a list item."""

    chain: tuple[Node, ...] = ()
    _wrapped_width: float | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (reportlab's names)
        """The lines broken once per width: a table wraps each cell when it measures its rows, again when it draws
        them, and again for each piece of a table split across pages, always at the cell's width. Breaking depends
        on the width alone, so the lines of the first wrap are those of every later one."""
        if availWidth == self._wrapped_width and getattr(self, "blPara", None) is not None:
            return self.width, self.height
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._wrapped_width = availWidth
        return size

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803 (reportlab's names)
        if not self.chain:  # a piece reportlab made without split() (none known): still a paragraph
            self.chain = (Node(HEADING_TAGS.get(self.style.name, "P")),)
        with marked(canvas, self.chain):
            # The ignore: types-reportlab leaves out Flowable.drawOn's _sW, which reportlab passes.
            super().drawOn(canvas, x, y, _sW)  # type: ignore[call-arg]

    def draw(self) -> None:
        """Drawn with the space reportlab drops where a line wraps put back at the line's end: invisible, but text
        read from the tags ("Planned protein" wrapped in a narrow column) no longer runs two words together."""
        restore = _keep_breaking_spaces(getattr(self, "blPara", None))
        try:
            super().draw()
        finally:
            restore()

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803 (reportlab's names)
        parts = super().split(availWidth, availHeight)
        for part in parts:  # both halves of a paragraph split across pages are one element
            if isinstance(part, TaggedParagraph):
                part.chain = self.chain
        return parts


def _keep_breaking_spaces(laid_out: Any) -> Callable[[], None]:
    """Add a trailing space to every line but the last of a laid-out paragraph; returns what undoes it.

    Simple paragraphs (kind 0) keep each line as (extra space, words); rich ones (kind 1) as lines of fragments.
    There the space goes on the last fragment, or, when that one is struck, underlined, a link or shaded (its rule
    or shade, reportlab's us_lines, link and backColor, would grow under the space), on a plain fragment of its own:
    text entered in error is struck through, and read from the tags it must not run its words together either."""
    lines = getattr(laid_out, "lines", None)
    if not lines or len(lines) < 2:
        return lambda: None
    if laid_out.kind == 0:
        original = list(lines)
        laid_out.lines = [(extra, [*words, ""]) for extra, words in lines[:-1]] + [lines[-1]]

        def undo_simple() -> None:
            laid_out.lines = original

        return undo_simple
    changed: list[tuple[Any, str]] = []
    added: list[list[Any]] = []
    for line in lines[:-1]:
        words: list[Any] = getattr(line, "words", None) or []
        last: Any = words[-1] if words else None
        text = getattr(last, "text", None)
        if not isinstance(text, str) or not text or text.endswith(" ") or getattr(last, "cbDefn", None):
            continue
        if getattr(last, "us_lines", None) or getattr(last, "link", None) or getattr(last, "backColor", None):
            words.append(last.clone(text=" ", us_lines=[], link=[], backColor=None, strike=0, underline=0))
            added.append(words)
        else:
            changed.append((last, text))
            last.text = text + " "

    def undo_rich() -> None:
        for fragment, text in changed:
            fragment.text = text
        for words in added:
            words.pop()

    return undo_rich


def paragraph(text: str, style: Any, *, bullet: str | None = None, chain: tuple[Node, ...] = ()) -> TaggedParagraph:
    """A TaggedParagraph; its element is a heading or P by style unless a chain is given (list items)."""
    result = TaggedParagraph(text, style, bulletText=bullet)
    result.chain = chain or (Node(HEADING_TAGS.get(style.name, "P")),)
    return result


def plain_paragraph(text: str, style: Any) -> TaggedParagraph | None:
    """A paragraph of text without markup, built without reportlab's markup parser; None if the text needs it.

    The parser (an HTMLParser per paragraph) was most of the cost of making a paragraph. For text with nothing to
    parse (no line break, no &, <, >) it makes one fragment: the style's font, size and colour, holding the text with
    its whitespace collapsed (reportlab's cleanBlockQuotedText). That fragment is made here from a copy of the one
    the parser makes for the style, so the paragraph is the parser's (tests/reports/test_report_layout_paths.py
    compares them).
    """
    if "\n" in text or "&" in text or "<" in text or ">" in text:
        return None
    cleaned = cleanBlockQuotedText(text)
    if not cleaned:
        return None
    fragment = _fragment(style).clone()
    fragment.text = cleaned
    result = TaggedParagraph(cleaned, style, frags=[fragment])
    result.chain = (Node(HEADING_TAGS.get(style.name, "P")),)
    return result


_FRAGMENTS: dict[int, tuple[Any, Any]] = {}  # id(style) -> (style, the parser's fragment for it)


def _fragment(style: Any) -> Any:
    known = _FRAGMENTS.get(id(style))
    if known is None or known[0] is not style:
        parsed_style, fragments, _ = ParaParser().parse("x", style)
        if parsed_style is not style or len(fragments) != 1:  # not met with a plain style; the parser decides
            raise ValueError(f"paragraph style {style.name} is not a plain one")
        known = _FRAGMENTS[id(style)] = (style, fragments[0])
    return known[1]


def list_items(texts: Sequence[str], style: Any, bullet: str) -> list[Flowable]:
    """Paragraphs that are the items of one list (L > LI > LBody each)."""
    whole = Node("L")
    return [paragraph(text, style, bullet=bullet, chain=(whole, Node("LI"), Node("LBody"))) for text in texts]


class Figure(Flowable):
    """A drawing (the vitals chart) tagged as a Figure whose /Alt says in words what it shows."""

    def __init__(self, drawing: Flowable, alt: str) -> None:
        super().__init__()
        self.drawing = drawing
        self.node = Node("Figure", alt=alt)
        self.width, self.height = drawing.width, drawing.height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (reportlab's names)
        self.width, self.height = self.drawing.wrap(availWidth, availHeight)
        return self.width, self.height

    def draw(self) -> None:
        with marked(self.canv, (self.node,)):
            self.drawing.drawOn(self.canv, 0, 0)


# --- tables -------------------------------------------------------------------------------------------------


class TaggedTable(Table):
    """A Table whose split pieces say whether they continue a row cut by the page break (read by TableTagger)."""

    continues_row = False

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803 (reportlab's names)
        parts = super().split(availWidth, availHeight)
        first, rest = parts if len(parts) == 2 else (None, None)
        if isinstance(first, TaggedTable) and isinstance(rest, TaggedTable):
            # A row split in two (splitInRow) appears in both pieces: one row more than the table had.
            rest.continues_row = _row_count(first) + _row_count(rest) - _repeated_rows(rest) > _row_count(self)
        return parts


def _repeated_rows(table: Table) -> int:
    rows = table.repeatRows
    return rows if isinstance(rows, int) else len(rows)


def _row_count(table: Table) -> int:
    # The ignore: types-reportlab leaves out Table's private members; _cellvalues is its rows as laid out.
    return len(table._cellvalues)  # type: ignore[attr-defined]


class TableTagger(TableRenderCB):
    """The render callback of one table (shared by its split pieces): marks fills and rules as artifacts and, for a
    data table, each cell as TH or TD in its TR. A layout table (`role` None: boxes, side-by-side blocks) adds no
    element of its own: its cells' paragraphs belong to the enclosing element.

    Pieces are drawn in page order: the first holds the real header row; later pieces repeat it as an artifact.
    """

    def __init__(self, *, data: bool, header_rows: int = 0, header_cols: int = 0) -> None:
        self.node = Node("Table") if data else None
        self.header_rows, self.header_cols = header_rows, header_cols
        self._rows: list[Node] = []
        self._cells: dict[tuple[int, int], Node] = {}
        self._pieces = 0
        self._logical: list[int | None] = []  # this piece's rows -> the table's rows (None: repeated header)
        self._row: int | None = None
        self._open: list[str] = []  # per cell being drawn: "mark", "push", "artifact" or ""

    def startTable(self, T: Table) -> None:  # noqa: N802, N803 (reportlab's names)
        count = _row_count(T)
        if self._pieces == 0:
            self._logical = list(range(count))
        else:
            repeated = _repeated_rows(T)
            start = len(self._rows) - 1 if getattr(T, "continues_row", False) else len(self._rows)
            self._logical = [None] * repeated + list(range(start, start + count - repeated))
        self._pieces += 1
        tags = recorder(T.canv)
        if tags is not None and self.node is not None:
            tags.attach((self.node,))

    def startBG(self, T: Table) -> None:  # noqa: N802, N803
        self._begin_artifact(T)

    def endBG(self, T: Table) -> None:  # noqa: N802, N803
        self._end_artifact(T)

    def startLines(self, T: Table) -> None:  # noqa: N802, N803
        self._begin_artifact(T)

    def endLines(self, T: Table) -> None:  # noqa: N802, N803
        self._end_artifact(T)

    def startRow(self, T: Table, rowNo: int) -> None:  # noqa: N802, N803
        self._row = self._logical[rowNo] if rowNo < len(self._logical) else None
        if self._row is None:
            self._begin_artifact(T)
            return
        tags = recorder(T.canv)
        if tags is not None and self.node is not None:
            while len(self._rows) <= self._row:
                self._rows.append(Node("TR"))
            tags.attach((self.node, self._rows[self._row]))

    def endRow(self, T: Table) -> None:  # noqa: N802, N803
        if self._row is None:
            self._end_artifact(T)

    def startCell(self, T: Table, rowNo: int, colNo: int, cellval: Any, cellstyle: Any, pos: Any, size: Any) -> None:  # noqa: N802, N803, PLR0913
        tags = recorder(T.canv)
        if tags is None or self._row is None:
            self._open.append("")
            return
        if self.node is None:  # layout: text drawn straight into a cell is a paragraph, an empty one nothing
            if isinstance(cellval, str):
                self._open.append("mark" if cellval.strip() else "artifact")
                if cellval.strip():
                    self._mark(T, tags, Node("P"))
                else:
                    self._begin_artifact(T)
            else:
                self._open.append("")
            return
        node = self._cell(self._row, colNo)
        tags.attach((self.node, self._rows[self._row], node))
        content = cellval[0] if isinstance(cellval, list | tuple) and len(cellval) == 1 else cellval
        chain = getattr(content, "chain", ())  # a TaggedParagraph, or flowables.TextLine
        if chain and chain[-1].tag == "P":
            content.chain = (node,)  # a cell of one paragraph: its text is the cell's own content, no P inside
        if isinstance(content, str):
            self._open.append("mark")
            self._mark(T, tags, node)
        else:
            self._open.append("push")
            tags.push(node)

    def endCell(self, T: Table) -> None:  # noqa: N802, N803
        what = self._open.pop()
        if what == "mark":
            T.canv.addLiteral("EMC")
        elif what == "artifact":
            self._end_artifact(T)
        elif what == "push":
            tags = getattr(T.canv, "tags", None)
            if tags is not None:
                tags.pop()

    def endTable(self, T: Table) -> None:  # noqa: N802, N803
        pass

    def _cell(self, row: int, column: int) -> Node:
        node = self._cells.get((row, column))
        if node is None:
            if row < self.header_rows:
                node = Node("TH", scope="Column")
            elif column < self.header_cols:
                node = Node("TH", scope="Row")
            else:
                node = Node("TD")
            self._cells[(row, column)] = node
        return node

    @staticmethod
    def _mark(T: Table, tags: Recorder, node: Node) -> None:  # noqa: N803
        mcid = tags.mark(node, T.canv.getPageNumber() - 1)
        T.canv.addLiteral(f"/{node.tag} <</MCID {mcid}>> BDC")

    @staticmethod
    def _begin_artifact(T: Table) -> None:  # noqa: N803
        tags: Recorder | None = getattr(T.canv, "tags", None)
        if tags is not None:
            if not tags.artifact_depth:
                T.canv.addLiteral("/Artifact BMC")
            tags.artifact_depth += 1

    @staticmethod
    def _end_artifact(T: Table) -> None:  # noqa: N803
        tags: Recorder | None = getattr(T.canv, "tags", None)
        if tags is not None:
            tags.artifact_depth -= 1
            if not tags.artifact_depth:
                T.canv.addLiteral("EMC")


# --- the structure tree -------------------------------------------------------------------------------------


def write_structure(pdf: pikepdf.Pdf, root: Node) -> None:
    """StructTreeRoot, ParentTree and /StructParents from the recorded tree; /MarkInfo /Marked true."""
    pages: list[pikepdf.Object] = [page.obj for page in pdf.pages]
    owners: dict[int, dict[int, pikepdf.Object]] = {index: {} for index in range(len(pages))}
    tree_root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    document = _Writer(pdf, pages, owners).element(root, tree_root)
    nums = pikepdf.Array()
    for index, page in enumerate(pages):
        page.StructParents = index
        by_mcid = owners[index]
        nums.append(index)
        nums.append(pdf.make_indirect(pikepdf.Array([by_mcid[mcid] for mcid in sorted(by_mcid)])))
    tree_root.K = pikepdf.Array([document])
    tree_root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=nums))
    tree_root.ParentTreeNextKey = len(pages)
    pdf.Root.StructTreeRoot = tree_root
    pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)


class _Writer:
    """Writes structure elements; a large report has a few thousand, so names are made once, not per element."""

    def __init__(
        self, pdf: pikepdf.Pdf, pages: list[pikepdf.Object], owners: dict[int, dict[int, pikepdf.Object]]
    ) -> None:
        self.pdf, self.pages, self.owners = pdf, pages, owners
        self._names: dict[str, pikepdf.Name] = {}
        self._struct_elem = pikepdf.Name.StructElem

    def name(self, value: str) -> pikepdf.Name:
        name = self._names.get(value)
        if name is None:
            name = self._names[value] = pikepdf.Name("/" + value)
        return name

    def element(self, node: Node, parent: pikepdf.Object) -> pikepdf.Object:
        # Made empty and indirect, then filled by one update(): with pikepdf that is cheaper than making a filled
        # dictionary indirect (about 5 against 7 µs an element), and /K is set in the same call.
        element = self.pdf.make_indirect(pikepdf.Dictionary())
        entries: dict[str, Any] = {"/Type": self._struct_elem, "/S": self.name(node.tag), "/P": parent}
        marks = [kid for kid in node.kids if isinstance(kid, Mark)]
        if marks:  # the element's /Pg: the page of its first mark
            entries["/Pg"] = self.pages[marks[0].page]
        if node.alt:
            entries["/Alt"] = pikepdf.String(node.alt)
        if node.scope:
            entries["/A"] = pikepdf.Dictionary({"/O": self.name("Table"), "/Scope": self.name(node.scope)})
        if len(node.kids) == 1 and marks:  # the common leaf: one marked sequence, /K is its MCID
            entries["/K"] = marks[0].mcid
            element.update(entries)
            self.owners[marks[0].page][marks[0].mcid] = element
            return element
        kids: list[Any] = []
        for kid in node.kids:
            if isinstance(kid, Node):
                kids.append(self.element(kid, element))
                continue
            if kid.page == marks[0].page:
                kids.append(kid.mcid)
            else:  # the rest of a paragraph or row on the next page
                kids.append(pikepdf.Dictionary(Type=self.name("MCR"), Pg=self.pages[kid.page], MCID=kid.mcid))
            self.owners[kid.page][kid.mcid] = element
        entries["/K"] = pikepdf.Array(kids)
        element.update(entries)
        return element
