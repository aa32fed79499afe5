"""The embedded report font draws every name we print: no black boxes, no missing glyphs."""

from __future__ import annotations

import unicodedata
from io import BytesIO

import pytest
from pypdf import PdfReader

from challenges.reports import fonts
from challenges.reports.pdf.style import STYLES
from tests.reports.helpers import text

NAMES = (
    "Zoë Ångström-Nguyễn",
    "Ελένη Παπαδοπούλου",
    "Kōji Watanabe",
    "Nguyễn Thị Minh Khai",
    "Trần Đức Lương",
    "Þórunn Ægisdóttir",
    "Łukasz Żółć",
    "Søren Ørsted",
    "Mateo García López",
    "Владимир Соколов",
    "Çağla Şahin",
)
CLINICAL = "≤ ≥ → ± × µ ° ₂ ½ ¼ ⅛ — – · • “ ” ‘ ’ … %"


@pytest.mark.parametrize("face", [fonts.REGULAR, fonts.BOLD, fonts.ITALIC])
@pytest.mark.parametrize("name", NAMES)
def test_every_letter_of_every_name_has_a_glyph(face, name):
    glyphs = fonts.glyphs(face)
    assert [c for c in name if not c.isspace() and ord(c) not in glyphs] == []


def test_clinical_signs_have_glyphs():
    assert fonts.missing(CLINICAL) == []


def test_decomposed_names_are_composed_before_drawing():
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    assert len(decomposed) > len("Nguyễn")
    assert fonts.markup(decomposed) == "Nguyễn"


def test_markup_escapes_and_falls_back_for_rare_characters():
    assert fonts.markup("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    rare = "ᴀ"  # U+1D00, a small capital in Noto Sans but not FiraGO
    assert ord(rare) not in fonts.glyphs()
    assert fonts.markup(rare) == f'<font name="{fonts.FALLBACK}">{rare}</font>'
    assert fonts.missing(rare) == []


def test_styles_use_the_embedded_font():
    assert {style.fontName for style in STYLES.values()} <= {fonts.REGULAR, fonts.BOLD}


def test_pdf_embeds_the_font_and_the_names_read_back(patient, failed):
    from challenges.reports.build_challenge import challenge_report
    from challenges.reports.render_challenge import render_challenge_report

    patient.given_name, patient.family_name = "Ελένη", "Παπαδοπούλου"
    patient.save()
    pdf = render_challenge_report(challenge_report(failed))
    assert "Ελένη Παπαδοπούλου" in text(pdf)
    reader = PdfReader(BytesIO(pdf))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/FontDescriptor"].get_object()  # a core (unembedded) font has none
            assert "/FontFile2" in descriptor  # the TrueType program is embedded
            assert "FiraGO" in str(descriptor["/FontName"])  # Greek needs no fallback face


def test_a_number_keeps_its_unit_on_the_same_line():
    assert fonts.markup("cumulative 4,443 mg, 0.3 mg/kg, 98 %") == "cumulative 4,443\u00a0mg, 0.3\u00a0mg/kg, 98\u00a0%"
    assert fonts.markup("3 hives, 2 go") == "3 hives, 2 go"  # only units


CJK_NAMES = ("王 小明", "山田 花子", "やまだ はなこ", "김 민준")


@pytest.mark.parametrize("name", CJK_NAMES)
def test_chinese_japanese_and_korean_names_have_glyphs(name):
    assert fonts.missing(name) == []
    assert f'<font name="{fonts.CJK}">' in fonts.markup(name)


def test_a_cjk_name_prints_in_the_patient_summary_with_the_font_embedded(client, allergist, patient, failed):
    """Security review L10: "王 小明" printed as empty boxes; now the CJK face is embedded and the name reads back."""
    from django.urls import reverse

    patient.given_name, patient.family_name = "小明", "王"
    patient.save()
    client.force_login(allergist)
    pdf = client.get(reverse("challenges:patient-summary", args=[patient.pk])).content
    assert "小明 王" in text(pdf) or "王 小明" in text(pdf)
    faces = set()
    for page in PdfReader(BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor
            faces.add(str(descriptor["/FontName"]))
    assert any("WenQuanYi" in face for face in faces)
