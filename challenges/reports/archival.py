"""PDF/A-2b for every report PDF (interop review 24): signed reports are filed for years in EHR document stores.

reportlab (open source) writes neither XMP metadata nor an OutputIntent, so the finished file is opened once with
pikepdf (qpdf) and gets, beside the structure tree (tagging.py):

- an XMP metadata stream that says what the info dictionary says (dc:title, dc:creator, dc:description,
  xmp:CreatorTool, xmp:CreateDate/ModifyDate, pdf:Producer) and claims PDF/A-2b (pdfaid:part 2, conformance B);
- an OutputIntent (GTS_PDFA1) with an embedded sRGB ICC profile, the colour space of every colour we draw
  (DeviceRGB, and DeviceGray where reportlab uses it, are then allowed; the watermark's alpha blends in it);
- a file ID, derived from the content (deterministic_id), so the same snapshot still gives the same bytes.

Fonts are embedded already (fonts.py); nothing is encrypted and there is no JavaScript, no annotation, no form.
No independent PDF/A validator runs here (veraPDF is not packaged for PyPI, npm or Debian): the tests check each
requirement above with pikepdf (docs/pdf-output.md).
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import pikepdf

from challenges.reports import tagging

# sRGB IEC61966-2.1, ICC v2.3 display profile from Debian's icc-profiles-free (zlib licence; icc/README.md).
ICC_PROFILE = Path(__file__).parent / "icc" / "sRGB.icc"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"
PDFA_PART, PDFA_CONFORMANCE = 2, "B"

XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>{language}</rdf:li></rdf:Bag></dc:language>
   <xmp:CreatorTool>{creator}</xmp:CreatorTool>
   <xmp:CreateDate>{created}</xmp:CreateDate>
   <xmp:ModifyDate>{modified}</xmp:ModifyDate>
   <pdf:Producer>{producer}</pdf:Producer>
   <pdfaid:part>{part}</pdfaid:part>
   <pdfaid:conformance>{conformance}</pdfaid:conformance>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def finish(pdf: bytes, *, structure: tagging.Node) -> bytes:
    """reportlab's output, tagged and made PDF/A-2b; the same input always gives the same bytes."""
    with pikepdf.open(BytesIO(pdf)) as document:
        _flate_filters_as_names(document)
        tagging.write_structure(document, structure)
        _drop_empty_info(document)
        document.Root.Metadata = _metadata(document)
        document.Root.OutputIntents = pikepdf.Array([_output_intent(document)])
        out = BytesIO()
        # Object streams (allowed in PDF/A-2) hold the structure tree's many small objects: half the file size.
        document.save(
            out,
            deterministic_id=True,
            fix_metadata_version=False,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
    return out.getvalue()


def xmp_date(pdf_date: str) -> str:
    """ "D:20261126120000+01'00'" (PDF 1.7 §7.9.4) as XMP's "2026-11-26T12:00:00+01:00"."""
    digits = pdf_date.removeprefix("D:")
    moment = f"{digits[0:4]}-{digits[4:6]}-{digits[6:8]}T{digits[8:10]}:{digits[10:12]}:{digits[12:14]}"
    zone = digits[14:].replace("'", "")
    if zone in ("", "Z"):
        return moment + "Z"
    return f"{moment}{zone[0]}{zone[1:3]}:{zone[3:5] or '00'}"


def _flate_filters_as_names(document: pikepdf.Pdf) -> None:
    """reportlab writes `/Filter [/FlateDecode]`. qpdf copies a Flate stream untouched on save only when /Filter is
    the name, and decoded and recompressed every page's content and every font file otherwise (to the same bytes:
    zlib's default level both times): about half the save's time (bench/README.md, seventh pass). A one-element filter
    array means the same as the name (ISO 32000-1 §7.3.8.2), and Flate is allowed in PDF/A-2, so the name is set and
    the streams keep reportlab's bytes. Called before the structure tree is added: only reportlab's objects are read."""
    flate = pikepdf.Name.FlateDecode
    for obj in document.objects:
        if isinstance(obj, pikepdf.Stream) and "/DecodeParms" not in obj:
            filters = obj.get("/Filter")
            if isinstance(filters, pikepdf.Array) and len(filters) == 1 and filters[0] == flate:
                obj.Filter = flate


def _drop_empty_info(document: pikepdf.Pdf) -> None:
    """reportlab writes an empty /Keywords and /Trapped /False; PDF/A wants every info entry mirrored in the XMP,
    so entries that say nothing are left out rather than mirrored."""
    info = document.trailer.Info
    for key in ("/Keywords", "/Trapped"):
        if key in info and (key == "/Trapped" or not str(info[key]).strip()):
            del info[key]


def _metadata(document: pikepdf.Pdf) -> pikepdf.Stream:
    info = document.trailer.Info

    def text(key: str) -> str:
        return _xml_text(str(info.get(key, "")))

    xmp = XMP.format(
        title=text("/Title"),
        author=text("/Author"),
        subject=text("/Subject"),
        language=_xml_text(str(document.Root.get("/Lang", "x-default"))),
        creator=text("/Creator"),
        producer=text("/Producer"),
        created=xmp_date(str(info.CreationDate)),
        modified=xmp_date(str(info.get("/ModDate", info.CreationDate))),
        part=PDFA_PART,
        conformance=PDFA_CONFORMANCE,
    )
    # Not compressed: PDF/A wants metadata readable by tools that do not decode streams (qpdf leaves it so).
    return pikepdf.Stream(document, xmp.encode("utf-8"), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)


def _xml_text(value: str) -> str:
    """Text for an XMP element: escaped, and without the control characters XML 1.0 cannot carry (a pasted name
    may hold one; the info dictionary keeps it)."""
    return escape("".join(c for c in value if c >= " " or c in "\t\n\r"))


def _output_intent(document: pikepdf.Pdf) -> pikepdf.Dictionary:
    profile = pikepdf.Stream(document, _icc_profile(), N=3)
    return pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String(OUTPUT_CONDITION),
        Info=pikepdf.String(OUTPUT_CONDITION),
        RegistryName=pikepdf.String("http://www.color.org"),
        DestOutputProfile=document.make_indirect(profile),
    )


@functools.cache
def _icc_profile() -> bytes:
    return ICC_PROFILE.read_bytes()
