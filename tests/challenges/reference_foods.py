"""Reference foods for the dose-math tests: docs/clinical-sources.md §2, CNF 2015 values (g protein per 100 g; milk
used as per
100 mL, docs/clinical-sources.md §2 "100 g ≈ 100 mL")."""

from decimal import Decimal as D

from clinical.dosing import FoodSpec

PEANUT_BUTTER = FoodSpec(D("22.21"), name="peanut butter, smooth")
WHOLE_MILK = FoodSpec(D("3.15"), is_liquid=True, name="whole milk")
HARD_BOILED_EGG = FoodSpec(D("11.8"), name="hard-boiled egg")
TAHINI = FoodSpec(D("17.0"), name="tahini")
CHEESECAKE = FoodSpec(D("5.5"), name="cheesecake")
REFERENCE_FOODS = [PEANUT_BUTTER, WHOLE_MILK, HARD_BOILED_EGG, TAHINI, CHEESECAKE]
