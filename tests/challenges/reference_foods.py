"""Reference foods for the dose-math tests: docs/clinical-sources.md §2, CNF 2015 values (g protein per 100 g; milk
used as per
100 mL, docs/clinical-sources.md §2 "100 g ≈ 100 mL")."""

from decimal import Decimal as D

from clinical.dosing import FoodSpec

PEANUT_BUTTER = FoodSpec(
    D("22.21"), name="peanut butter, smooth", physical_form="paste", allergen="peanut", measures=(("tsp", D("5")),)
)
WHOLE_MILK = FoodSpec(D("3.15"), is_liquid=True, name="whole milk", allergen="milk")
HARD_BOILED_EGG = FoodSpec(D("11.8"), name="hard-boiled egg", physical_form="solid", allergen="egg")
TAHINI = FoodSpec(D("17.0"), name="tahini", physical_form="paste", allergen="sesame")
CHEESECAKE = FoodSpec(D("5.5"), name="cheesecake", physical_form="solid", allergen="milk")
# Powders (CNF 2015; USDA SR 16099 and 01173): the forms a dose too small to weigh is diluted from.
PEANUT_FLOUR = FoodSpec(D("52.2"), name="peanut flour, defatted", physical_form="powder", allergen="peanut")
EGG_WHITE_POWDER = FoodSpec(D("81.1"), name="egg white powder", physical_form="powder", allergen="egg")
REFERENCE_FOODS = [PEANUT_BUTTER, WHOLE_MILK, HARD_BOILED_EGG, TAHINI, CHEESECAKE, PEANUT_FLOUR, EGG_WHITE_POWDER]
# The foods a water dilution may be made of (docs/clinical-sources.md §2.1) and those it may not.
DISPERSIBLE_FOODS = [WHOLE_MILK, PEANUT_FLOUR, EGG_WHITE_POWDER]
NOT_DISPERSIBLE_FOODS = [PEANUT_BUTTER, HARD_BOILED_EGG, TAHINI, CHEESECAKE]
