"""Each standard food's allergen as a SNOMED CT substance, for the FHIR export (snomed_for).

Each code is a SNOMED CT International Edition substance concept, checked against published FHIR value sets that
list it with its fully specified name (docs/clinical-sources.md §14). A food's code is its allergen's, not the form
eaten: peanut butter is coded as peanut. The cheesecake has none: its protein is the whole cake's (milk, egg,
wheat), so a reaction cannot be put on one substance; it goes as text only.
"""

from __future__ import annotations

from challenges.library.standard_content.foods import FoodSeed

PEANUT = ("762952008", "Peanut")
COWS_MILK = ("3718001", "Cow's milk")
EGG = ("102263004", "Eggs (edible)")
WHEAT = ("412071004", "Wheat")
SOY = ("256355007", "Soyabean")
SESAME = ("260167008", "Sesame seed")
SNOMED_BY_FOOD: dict[str, tuple[str, str]] = {
    "Peanut": PEANUT,
    "Peanut butter": PEANUT,
    "Peanut flour": PEANUT,
    "Powdered peanut butter": PEANUT,
    "Cow's milk": COWS_MILK,
    "Milk powder": COWS_MILK,
    "Cheese": COWS_MILK,
    "Baked-milk muffin": COWS_MILK,
    "Yogurt": COWS_MILK,
    "Greek yogurt": COWS_MILK,
    "Milk ladder biscuit": COWS_MILK,
    "Milk ladder muffin": COWS_MILK,
    "Egg": EGG,
    "Egg white": EGG,
    "Egg yolk": EGG,
    "Egg powder": EGG,
    "Egg white powder": EGG,
    "Wheat flour": WHEAT,
    "Bread": WHEAT,
    "Spaghetti": WHEAT,
    "Soy beverage": SOY,
    "Cashew": ("227493005", "Cashew nut"),
    "Cashew butter": ("227493005", "Cashew nut"),
    "Almond": ("256350002", "Almond"),
    "Almond butter": ("256350002", "Almond"),
    "Hazelnut": ("256353000", "Hazelnut"),
    "Walnut": ("256352005", "Walnut - nut"),
    "Sesame seeds": SESAME,
    "Tahini": SESAME,
    "Cod": ("735245003", "Cod"),
    "Shrimp": ("278840001", "Shrimp"),
    "Corn": ("412357001", "Corn"),
    "Cornmeal": ("412357001", "Corn"),
    "Corn grain": ("412357001", "Corn"),
}


def snomed_for(seed: FoodSeed) -> tuple[str, str]:
    """The seed's allergen as (SNOMED CT code, display); empty strings when none was confirmed."""
    return SNOMED_BY_FOOD.get(seed.name, ("", ""))
