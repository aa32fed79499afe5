"""The standard foods as loaded: each corrected or renamed figure, with the source its seed names (F1-F9;
docs/clinical-sources.md §2, the seeded-foods table, and §1.6, §2.1, §2.2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from challenges.models import Food


def _food(name: str, form: str) -> Food:
    return Food.objects.get(clinic=None, name=name, form=form)


@pytest.mark.parametrize(
    ("name", "form", "protein", "sources"),
    [
        # F1: CNF's 4.6 is "plain, 2-3.9 % MF"; USDA SR 01116 (whole milk) is 3.47.
        ("Yogurt", "plain, 2-3.9 % MF", "4.6", ("CNF 2015", "USDA SR 01116, whole milk: 3.47")),
        ("Yogurt", "plain, whole milk", "3.47", ("USDA SR 01116: 3.47", "CNF 2015")),
        # F2: CNF 2015 10.7 against USDA SR 18075 12.45.
        ("Bread", "whole wheat, commercial", "10.7", ("CNF 2015: 10.7", "USDA SR 18075: 12.45")),
        # F3: USDA SR 15149 (treated, 13.61) against USDA SR 15270 (untreated, 20.10).
        ("Shrimp", "mixed species, raw, commercially treated", "13.61", ("USDA SR 15149",)),
        ("Shrimp", "mixed species, untreated, raw", "20.10", ("USDA SR 15270: 20.10", "CNF 2015")),
        # F4: CNF 2015 14.64 against USDA SR 20080 13.21.
        ("Wheat flour", "whole-wheat", "14.64", ("CNF 2015: 14.64", "USDA SR 20080: 13.21")),
        # F5: CNF 2015 22.21 against USDA SR 16098 25.09.
        ("Peanut butter", "smooth", "22.21", ("CNF 2015: 22.21", "USDA SR 16098: 25.09")),
        # F6: USDA SR 20081 = CNF's calcium-fortified AP flour; CNF plain AP 12.08 / 12.17.
        ("Wheat flour", "white, all-purpose, enriched", "10.33", ("USDA SR 20081", "12.08 bleached")),
        # F7: CNF 2015 11.8 against USDA SR 01123 12.56 and 01129 12.58.
        ("Egg", "whole, raw", "11.8", ("CNF 2015: 11.8", "USDA SR 01123: 12.56")),
        ("Egg", "whole, hard-boiled", "11.8", ("CNF 2015: 11.8", "USDA SR 01129: 12.58")),
        # F9: whole sesame seeds, USDA SR 12023.
        ("Sesame seeds", "whole, dried", "17.73", ("USDA SR 12023: 17.73",)),
    ],
)
def test_corrected_or_renamed_foods_name_their_sources(library, name, form, protein, sources):
    food = _food(name, form)
    assert food.protein_g_per_100 == Decimal(protein)
    for source in sources:
        assert source in food.protein_source


def test_notes_explain_the_remaining_differences(library):
    assert "ask for the jar's label value" in _food("Peanut butter", "smooth").notes
    assert "17 % more protein" in _food("Wheat flour", "white, all-purpose, enriched").notes
    assert "6-8 % more egg protein" in _food("Egg", "whole, hard-boiled").notes


@pytest.mark.parametrize(
    ("name", "form", "physical_form"),
    [
        ("Peanut butter", "smooth", "paste"),
        ("Tahini", "roasted, toasted kernels", "paste"),
        ("Peanut flour", "defatted", "powder"),
        ("Powdered peanut butter", "PB2 Original", "powder"),
        ("Milk powder", "skim", "powder"),
        ("Egg white powder", "dried", "powder"),
        ("Cow's milk", "whole, 3.25 %", "liquid"),
        ("Egg", "whole, hard-boiled", "solid"),
        ("Cheesecake", "baked, commercial", "solid"),
    ],
)
def test_standard_foods_have_their_physical_form(library, name, form, physical_form):
    assert _food(name, form).physical_form == physical_form


def test_household_measures_are_the_foods_own(library):
    assert _food("Peanut butter", "smooth").household_measures == {"tsp": "5"}  # ASCIA 2011
    pb2 = _food("Powdered peanut butter", "PB2 Original")
    assert pb2.household_measures == {"tsp": "2"}  # the pack's serving, 2 tbsp = 12 g
    assert "check the pack and the kitchen scale" in pb2.protein_source
    flour = _food("Peanut flour", "defatted")
    assert flour.household_measures == {}
    assert "weigh on the kitchen scale" in flour.protein_source


def test_the_baked_milk_muffin_is_a_structured_baked_food(library):
    muffin = Food.objects.get(clinic=None, name="Baked-milk muffin")
    assert muffin.allergen_protein_g_per_100 == Decimal("1.3")  # 1.3 g per muffin, Nowak-Węgrzyn 2008
    assert (muffin.processing, muffin.processing_temperature_c, muffin.processing_minutes, muffin.matrix) == (
        "baked",
        180,
        30,
        "wheat",
    )
    assert muffin.protein_name == "milk protein"
    assert muffin.processing_text == "baked at 180 °C for 30 min in a wheat matrix"
    assert "Nowak-Węgrzyn 2008" in muffin.protein_source
    assert "1 cup" in muffin.recipe


def test_every_seeded_text_fits_its_column():
    """PostgreSQL refuses a value longer than its varchar (SQLite stores it): check the seeds against the columns."""
    from challenges.library.standard_content.foods import FOODS
    from challenges.library.standard_content.protocols import PROTOCOLS
    from challenges.models import Food, Protocol

    too_long = []
    for seed in FOODS:
        for attr, column in (("name", "name"), ("form", "form"), ("source", "protein_source"), ("matrix", "matrix")):
            value, limit = getattr(seed, attr), Food._meta.get_field(column).max_length
            if isinstance(value, str) and limit and len(value) > limit:
                too_long.append(f"{seed.name}: {column} {len(value)} > {limit}")
    limit = Protocol._meta.get_field("name").max_length
    too_long += [f"{seed.name}: name" for seed in PROTOCOLS if limit and len(seed.name) > limit]
    assert too_long == []
