"""The standard library: challenge foods with their protein content, and the seeded standard protocols.

Every figure carries its source; docs/clinical-sources.md §2 lists each food with its table entry. Protein values are
g protein per 100 g of food as sold/prepared (docs/clinical-sources.md §2): CNF 2015 = Canadian Nutrient File 2015 as
extracted
in jay-joshy/allergyguide `cnf_extracted.csv`; USDA SR = USDA Standard Reference `ABBREV.txt` (NDB number given).
For liquids the same figure is used per 100 mL (allergyguide: 100 g of a liquid is taken as 100 mL,
docs/clinical-sources.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal as D

TSP_PB_G = (
    "5"  # ASCIA peanut challenge protocol 2011: 1 teaspoon of peanut butter = 5 g (docs/clinical-sources.md §1.3)
)


@dataclass(frozen=True)
class FoodSeed:
    name: str
    form: str
    group: str
    protein: D
    source: str
    liquid: bool = False
    measures: dict[str, str] = field(default_factory=dict)
    serving: D | None = None
    notes: str = ""
    composite: bool = False  # several ingredients: a reaction cannot be pinned on one of them
    # --- food helper (issue 13): physical form, a composite food's allergen protein, processing (X9) ---
    physical: str = ""  # liquid, powder, paste or solid; empty: liquid if `liquid`, else solid
    allergen_protein: D | None = None
    processing: str = ""
    processing_temperature_c: int | None = None
    processing_minutes: int | None = None
    matrix: str = ""
    recipe: str = ""


# Physical forms (clinical.dosing.PHYSICAL_FORMS): only a liquid or a powder is ever diluted (docs/clinical-sources.md
# §2.1).
POWDER, PASTE = "powder", "paste"
_EGG_NOTE = "USDA SR gives 6-8 % more egg protein than this CNF figure: patients may get slightly more than planned."

# Servings: the top dose of an OFC is about one serving, "8-10 g dried food or 60-100 g wet food" (Bock 1988;
# Bindslev-Jensen 2004; docs/clinical-sources.md §1.2). We seed 100 g/mL for wet foods and 10 g for dried ones.
WET, DRY = D("100"), D("10")
_DAY, _WEEK = 24 * 60, 7 * 24 * 60  # waits between home rungs, in minutes

FOODS: tuple[FoodSeed, ...] = (
    FoodSeed("Peanut", "peanuts, raw", "peanut", D("25.80"), "CNF 2015; USDA SR 16087", serving=DRY),
    FoodSeed("Peanut", "peanuts, dry-roasted", "peanut", D("24.35"), "CNF 2015 (USDA SR 16390: 23.68)", serving=DRY),
    FoodSeed(
        "Peanut butter",
        "smooth",
        "peanut",
        D("22.21"),
        "CNF 2015: 22.21; USDA SR 16098: 25.09; prefer the jar's label",
        measures={"tsp": TSP_PB_G},
        serving=D("20"),
        physical=PASTE,
        notes=(
            "Products range from about 21.9 (USDA SR 16167) to 25 g/100 g: ask for the jar's label value. A fat-based "
            "paste: never diluted in water; doses under 0.2 g use a peanut powder."
        ),
    ),
    FoodSeed(
        "Peanut butter",
        "chunky",
        "peanut",
        D("24.06"),
        "CNF 2015; USDA SR 16397",
        measures={"tsp": TSP_PB_G},
        serving=D("20"),
        physical=PASTE,
    ),
    FoodSeed(
        "Peanut flour",
        "defatted",
        "peanut",
        D("52.2"),
        "CNF 2015; USDA SR 16099; no teaspoon weight on file: weigh on the kitchen scale",
        serving=DRY,
        physical=POWDER,
    ),
    FoodSeed(
        "Peanut flour",
        "low fat",
        "peanut",
        D("33.8"),
        "CNF 2015; USDA SR 16100; no teaspoon weight on file: weigh on the kitchen scale",
        serving=DRY,
        physical=POWDER,
    ),
    FoodSeed(
        "Powdered peanut butter",
        "PB2 Original",
        "peanut",
        D("46.15"),
        "product label (allergyguide custom_foods.json); 1 level tsp about 2 g from the label serving "
        "(2 tbsp = 12 g): check the pack and the kitchen scale",
        serving=DRY,
        physical=POWDER,
        measures={"tsp": "2"},
    ),
    FoodSeed("Cow's milk", "whole, 3.25 %", "milk", D("3.15"), "CNF 2015; USDA SR 01077", liquid=True, serving=WET),
    FoodSeed("Cow's milk", "2 %", "milk", D("3.30"), "CNF 2015; USDA SR 01079", liquid=True, serving=WET),
    FoodSeed("Cow's milk", "skim", "milk", D("3.37"), "CNF 2015", liquid=True, serving=WET),
    FoodSeed("Milk powder", "whole", "milk", D("26.32"), "CNF 2015; USDA SR 01090", serving=DRY, physical=POWDER),
    FoodSeed("Milk powder", "skim", "milk", D("36.16"), "CNF 2015; USDA SR 01091", serving=DRY, physical=POWDER),
    FoodSeed("Cheese", "cheddar", "milk", D("24.04"), "CNF 2015 (USDA SR 01009: 24.90)", serving=D("25")),
    FoodSeed(
        "Cheese",
        "cream cheese",
        "milk",
        D("5.93"),
        "CNF 2015; USDA SR 01017",
        measures={"tsp": "5"},
        serving=D("30"),
        physical=PASTE,
    ),
    FoodSeed("Cheese", "ricotta, whole milk", "milk", D("11.26"), "CNF 2015", serving=WET),
    FoodSeed(
        "Cheesecake",
        "baked, commercial",
        "milk",
        D("5.5"),
        "CNF 2015; USDA SR 18147",
        serving=WET,
        notes="Protein is the whole cake's (milk, egg, wheat); a home-made figure was not found.",
        composite=True,
    ),
    FoodSeed(
        "Baked-milk muffin",
        "Nowak-Węgrzyn 2008 recipe, home-baked",
        "milk",
        D("6"),
        "milk protein 1.3 g per muffin (Nowak-Węgrzyn 2008); a muffin taken as 100 g [unconfirmed: weigh one of the "
        "batch]; whole-food protein 6 g/100 g is an estimate from the ingredients",
        serving=D("100"),
        measures={"muffin": "100"},
        allergen_protein=D("1.3"),
        processing="baked",
        processing_temperature_c=180,
        processing_minutes=30,
        matrix="wheat",
        recipe=(
            "Batter of wheat flour, sugar, egg, oil and 1 cup (about 244 g) of cow's milk for 6 muffins, so about "
            "1.3 g of milk protein in each; bake at 180 °C (350 °F) for 30 min. Weigh one muffin: if it is not "
            "about 100 g, add a clinic food with milk protein per 100 g = 130 ÷ its weight in g."
        ),
        notes="Milk is the only dose-counted allergen; the muffin also holds egg and wheat.",
    ),
    FoodSeed(
        "Yogurt",
        "plain, 2-3.9 % MF",
        "milk",
        D("4.6"),
        "CNF 2015, plain yogourt 2-3.9 % MF: 4.6 (USDA SR 01116, whole milk: 3.47); prefer the pot's label",
        serving=WET,
        physical=PASTE,
    ),
    FoodSeed(
        "Yogurt",
        "plain, whole milk",
        "milk",
        D("3.47"),
        "USDA SR 01116: 3.47 (CNF 2015 has 4.6 only for 2-3.9 % MF); prefer the pot's label",
        serving=WET,
        physical=PASTE,
    ),
    FoodSeed("Greek yogurt", "plain, nonfat", "milk", D("10.19"), "USDA SR 01256", serving=WET, physical=PASTE),
    # Milk ladder rungs (X4, docs/clinical-sources.md §13.1). The milk in each biscuit and muffin is the iMAP recipe
    # file's; the weight of one biscuit or muffin is not in it, so the per-100 g figures rest on an assumed weight.
    FoodSeed(
        "Milk ladder biscuit",
        "iMAP recipe, home-baked",
        "milk",
        D("6"),
        "milk protein 0.035 g per biscuit (1 mL milk, iMAP recipe file, Venter 2017); a biscuit taken as 10 g "
        "[unconfirmed: weigh one of the batch]; whole-food 6 g/100 g estimated from the ingredients",
        serving=D("30"),
        measures={"biscuit": "10"},
        allergen_protein=D("0.35"),
        processing="baked",
        processing_temperature_c=180,
        processing_minutes=15,
        matrix="wheat",
        recipe="iMAP biscuit: 1 mL of cow's milk in each biscuit; bake 10-15 min at 180 °C.",
        notes="Milk is the dose-counted allergen; the biscuit also holds wheat.",
        composite=True,
    ),
    FoodSeed(
        "Milk ladder muffin",
        "iMAP recipe, home-baked",
        "milk",
        D("6"),
        "milk protein 0.875 g per muffin (25 mL milk, iMAP recipe file, Venter 2017); a muffin taken as 50 g "
        "[unconfirmed: weigh one of the batch]; whole-food 6 g/100 g estimated from the ingredients",
        serving=D("50"),
        measures={"muffin": "50"},
        allergen_protein=D("1.75"),
        processing="baked",
        processing_temperature_c=180,
        processing_minutes=20,
        matrix="wheat",
        recipe="iMAP muffin: 25 mL of cow's milk in each muffin; bake 15-20 min at 180-200 °C.",
        notes="Milk is the dose-counted allergen; the muffin also holds egg and wheat.",
        composite=True,
    ),
    FoodSeed(
        "Egg",
        "whole, raw",
        "egg",
        D("11.8"),
        "CNF 2015: 11.8; USDA SR 01123: 12.56",
        serving=D("50"),
        processing="raw",
        notes=_EGG_NOTE,
    ),
    FoodSeed(
        "Egg",
        "whole, hard-boiled",
        "egg",
        D("11.8"),
        "CNF 2015: 11.8; USDA SR 01129: 12.58",
        serving=D("50"),
        processing="boiled",
        notes=_EGG_NOTE,
    ),
    FoodSeed("Egg", "scrambled", "egg", D("10.39"), "CNF 2015 (USDA SR 01132: 9.99)", serving=D("50")),
    FoodSeed(
        "Egg white",
        "raw",
        "egg",
        D("9.99"),
        "CNF 2015: 9.99; USDA SR 01124: 10.90",
        serving=D("35"),
        processing="raw",
        notes=_EGG_NOTE,
    ),
    FoodSeed("Egg yolk", "raw", "egg", D("15.9"), "CNF 2015; USDA SR 01125: 15.86", serving=D("17")),
    FoodSeed("Egg powder", "whole", "egg", D("48.37"), "CNF 2015; USDA SR 01133", serving=DRY, physical=POWDER),
    FoodSeed("Egg white powder", "dried", "egg", D("81.1"), "CNF 2015; USDA SR 01173", serving=DRY, physical=POWDER),
    FoodSeed(
        "Wheat flour",
        "white, all-purpose, enriched",
        "wheat",
        D("10.33"),
        "USDA SR 20081: 10.33 = CNF 2015 calcium-fortified AP flour; CNF plain AP: 12.08 bleached, 12.17 unbleached",
        serving=DRY,
        physical=POWDER,
        notes="An ordinary (not calcium-fortified) AP flour holds about 17 % more protein: prefer the bag's label.",
    ),
    FoodSeed(
        "Wheat flour",
        "whole-wheat",
        "wheat",
        D("14.64"),
        "CNF 2015: 14.64; USDA SR 20080: 13.21; prefer the bag's label",
        serving=DRY,
        physical=POWDER,
    ),
    FoodSeed("Bread", "white, commercial", "wheat", D("9.14"), "CNF 2015 (USDA SR 18069: 9.15)", serving=D("30")),
    FoodSeed(
        "Bread",
        "whole wheat, commercial",
        "wheat",
        D("10.7"),
        "CNF 2015: 10.7; USDA SR 18075: 12.45 (16 % more); prefer the loaf's label",
        serving=D("30"),
    ),
    FoodSeed("Spaghetti", "dry", "wheat", D("13.04"), "CNF 2015; USDA SR 20120", serving=DRY),
    FoodSeed("Spaghetti", "cooked", "wheat", D("5.8"), "CNF 2015; USDA SR 20121", serving=WET),
    FoodSeed(
        "Soy beverage", "original, unenriched", "soy", D("3.27"), "CNF 2015; USDA SR 16120", liquid=True, serving=WET
    ),
    FoodSeed("Cashew", "raw", "tree_nut", D("18.22"), "USDA SR 12087", serving=DRY),
    FoodSeed("Cashew", "dry roasted", "tree_nut", D("15.31"), "CNF 2015; USDA SR 12085", serving=DRY),
    FoodSeed(
        "Cashew butter", "plain", "tree_nut", D("17.56"), "CNF 2015; USDA SR 12088", serving=D("20"), physical=PASTE
    ),
    FoodSeed("Almond", "whole", "tree_nut", D("21.15"), "CNF 2015; USDA SR 12061", serving=DRY),
    FoodSeed(
        "Almond butter", "plain", "tree_nut", D("20.96"), "CNF 2015; USDA SR 12195", serving=D("20"), physical=PASTE
    ),
    FoodSeed("Hazelnut", "whole", "tree_nut", D("14.95"), "CNF 2015; USDA SR 12120", serving=DRY),
    FoodSeed("Walnut", "English", "tree_nut", D("15.23"), "CNF 2015; USDA SR 12155", serving=DRY),
    FoodSeed("Sesame seeds", "kernels, dried", "sesame", D("20.45"), "CNF 2015; USDA SR 12201", serving=DRY),
    FoodSeed(
        "Sesame seeds",
        "whole, dried",
        "sesame",
        D("17.73"),
        "USDA SR 12023: 17.73 (the kernel figure, 20.45, would over-state whole seeds by about 15 %)",
        serving=DRY,
    ),
    FoodSeed(
        "Tahini",
        "roasted, toasted kernels",
        "sesame",
        D("17.0"),
        "CNF 2015; USDA SR 12166",
        serving=D("20"),
        physical=PASTE,
    ),
    FoodSeed("Cod", "Atlantic, raw", "fish", D("17.81"), "CNF 2015; USDA SR 15015", serving=WET),
    FoodSeed("Cod", "Atlantic, cooked (dry heat)", "fish", D("22.83"), "CNF 2015; USDA SR 15016", serving=WET),
    FoodSeed(
        "Shrimp",
        "mixed species, raw, commercially treated",
        "shellfish",
        D("13.61"),
        "CNF 2015; USDA SR 15149 (treated, with added water)",
        serving=WET,
        processing="raw",
        notes="For fresh untreated shrimp use the untreated entry (20.10); challenges are usually with cooked shrimp.",
    ),
    FoodSeed(
        "Shrimp",
        "mixed species, untreated, raw",
        "shellfish",
        D("20.10"),
        "USDA SR 15270: 20.10 (CNF 2015 lists only the treated form, 13.61)",
        serving=WET,
        processing="raw",
    ),
    FoodSeed("Shrimp", "cooked (moist heat)", "shellfish", D("22.78"), "CNF 2015; USDA SR 15151", serving=WET),
    FoodSeed("Corn", "sweet, yellow, raw", "other", D("3.27"), "CNF 2015; USDA SR 11167", serving=WET),
    FoodSeed("Cornmeal", "whole-grain, yellow", "other", D("8.12"), "CNF 2015; USDA SR 20020", serving=DRY),
    FoodSeed("Corn grain", "yellow", "other", D("9.42"), "USDA SR 20014", serving=DRY),
)


# --- the allergen as a SNOMED CT substance (FHIR export) ---------------------------------------------------
# Each code is a SNOMED CT International Edition substance concept, checked against published FHIR value sets that
# list it with its fully specified name (docs/clinical-sources.md §14). A food's code is its allergen's, not the form
# eaten: peanut butter is coded as peanut. The cheesecake has none: its protein is the whole cake's (milk, egg,
# wheat), so a reaction cannot be put on one substance; it goes as text only.
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


# --- standard protocols ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtocolSeed:
    name: str
    kind: str
    food: tuple[str, str]  # (name, form) of a FoodSeed
    dose_basis: str
    generator: dict  # plan.GeneratorInput fields
    observation_minutes: int
    watch_hours: int = 0
    min_top_dose_mg: D | None = None
    follow_up_hours: tuple[int, ...] = ()
    premeds: tuple[dict, ...] = ()
    washout: str = "default"  # "default" (docs/clinical-sources.md §5.1) or "none" (premedicated home plan)
    notes: str = ""
    references: str = ""
    first_step_in_clinic: bool = True  # home plans: step 1 under supervision (docs/clinical-sources.md §11.1)
    keep_eating_between_steps: bool = False  # home plans: eat the tolerated amount daily until the next step
    fpies_protein_g_per_kg: D | None = None  # FPIES: doses generated for the patient's weight at booking
    # food helper (issue 13): explicit steps (protein mg, household measure, wait in minutes) instead of a generator
    steps: tuple[tuple[D, str, int], ...] = ()
    # ladders (X4): rungs of different foods, each (food (name, form), amount in that food, household measure, wait
    # in minutes); the protocol's food is the first rung's
    rungs: tuple[tuple[tuple[str, str], D, str, int], ...] = ()


PROTOCOLS: tuple[ProtocolSeed, ...] = (
    ProtocolSeed(
        "PRACTALL 7-step peanut OFC",
        "open",
        # food helper (issue 13, P1): peanut flour, a powder, because 3-30 mg of peanut protein is 0.01-0.14 g of
        # peanut butter, too little to weigh, and a paste cannot be diluted in water.
        ("Peanut flour", "defatted"),
        "protein",
        {"generator": "practall7", "interval_minutes": 30},
        observation_minutes=120,
        min_top_dose_mg=D("3000"),
        follow_up_hours=(24,),
        notes=(
            "Open challenge; doses in mg of peanut protein, 30 min apart; observe 2 h after the last dose. "
            "Defatted peanut flour throughout: the 3, 10, 30 and 100 mg doses are under 0.2 g of the flour (100 mg is "
            "0.19 g), so they are given from a suspension of the flour in water (a powder disperses; peanut butter, a "
            "fat-based paste, does not). From 300 mg the flour is weighed and mixed into a vehicle the patient eats "
            "(apple purée). "
            "A clinic preferring peanut butter from 100 mg up can clone this protocol as two foods' steps."
        ),
        references=(
            "Doses 3-3000 mg: PRACTALL semi-log schedule (allergyguide food_protein_index.js; "
            "docs/clinical-sources.md §1.1). "
            "20-30 min intervals: PRACTALL 2024 update abstract (§1.1). 2 h observation: ASCIA 2011, IFAN (§6.3). "
            "24 h phone follow-up: tree-nut OFC study NCT02070263 (§6.3; not a guideline requirement). "
            "Dilution only of a liquid or powder: §2.1."
        ),
    ),
    ProtocolSeed(
        "PRACTALL peanut flour DBPCFC",
        "dbpcfc",
        ("Peanut flour", "defatted"),
        "protein",
        {"generator": "practall7", "interval_minutes": 30},
        observation_minutes=120,
        min_top_dose_mg=D("3000"),
        follow_up_hours=(24,),
        notes=(
            "Double-blind, placebo-controlled: the seven PRACTALL doses of peanut protein, all given, in order, 30 min "
            "apart; placebo doses are added among them when the challenge is booked (the number is chosen then, the "
            "places drawn at random). Active doses are defatted peanut flour hidden in a vehicle (matrix) the patient "
            "eats; placebo doses are the same amount of the same vehicle without the flour. Only the preparer sees "
            "which doses are placebo until the allergist has recorded the blinded verdict and unblinded. After a "
            "negative challenge, an open feeding of a normal portion confirms tolerance."
        ),
        references=(
            "Doses 3-3000 mg and 30 min intervals: PRACTALL (docs/clinical-sources.md §1.1). Placebo added, never in "
            "place of an active dose; verdict before unblinding: §1.8. 2 h observation: §6.3."
        ),
    ),
    ProtocolSeed(
        "ASCIA peanut butter household ladder",
        "ladder",
        ("Peanut butter", "smooth"),
        "food",
        {"generator": "household", "interval_minutes": 20, "lip_smear": True},
        observation_minutes=120,
        min_top_dose_mg=D("1110.5"),
        notes=(
            "Step 1 is a smear inside the lower lip (not the outer lip), recorded like a dose with no quantity, "
            "then 20 min before the teaspoon steps. 1 teaspoon is the minimum last dose to call the challenge "
            "negative. Home: 2 tsp/day on days 2-7, then peanut at least weekly."
        ),
        references=(
            "ASCIA Food Challenge Protocols, Sept 2011, peanut sheet; 1 tsp = 5 g (docs/clinical-sources.md §1.3)."
        ),
    ),
    ProtocolSeed(
        "Baked-milk muffin open OFC",
        "open",
        ("Baked-milk muffin", "Nowak-Węgrzyn 2008 recipe, home-baked"),
        "protein",
        {},
        observation_minutes=120,
        min_top_dose_mg=D("1300"),
        follow_up_hours=(24,),
        # mg of MILK protein: 1/20, 1/10, 1/4 then the rest of one muffin (1.3 g milk protein in all).
        steps=(
            (D("65"), "1/20 of a muffin", 30),
            (D("130"), "1/10 of a muffin", 30),
            (D("325"), "1/4 of a muffin", 30),
            (D("780"), "3/5 of a muffin", 30),
        ),
        notes=(
            "Baked milk in a wheat matrix (muffin baked at 180 °C for 30 min); doses are mg of MILK protein, to one "
            "whole muffin (about 1.3 g of milk protein). Passing it does not clear fresh milk, yogurt, cheese "
            "(including cheese on pizza) or lightly heated milk: those are separate, later challenges."
        ),
        references=(
            "Baked-milk muffin, 1.3 g milk protein, 180 °C (350 °F) for 30 min: Nowak-Węgrzyn 2008 "
            "(docs/clinical-sources.md §1.6). Baked-milk challenges are an exception to 'least processed form' "
            "(AAAAI work group, §1.2)."
        ),
    ),
    ProtocolSeed(
        "Hard-boiled egg OFC",
        "open",
        ("Egg", "whole, hard-boiled"),
        "protein",
        # food helper (issue 13, P1): PRACTALL-5 (from 30 mg = 0.25 g of egg): 3 and 10 mg are under 0.2 g of a
        # solid, which can be neither weighed nor diluted.
        {"generator": "practall5", "interval_minutes": 30},
        observation_minutes=120,
        min_top_dose_mg=D("3000"),
        follow_up_hours=(24,),
        notes=(
            "Starts at 30 mg of egg protein (0.25 g of hard-boiled egg, the smallest amount that can be weighed): a "
            "solid cannot be diluted. For a patient who needs a 3 mg start, use egg-white powder for the first steps "
            "in a separate protocol. Passing hard-boiled egg does not clear raw or lightly cooked egg."
        ),
        references=(
            "PRACTALL doses (§1.1); hard-boiled egg 11.8 g/100 g, CNF 2015 (§2); 2 h observation (§6.3); "
            "no dilution of solids (§2.1)."
        ),
    ),
    ProtocolSeed(
        "FPIES oral food challenge (egg, dosed per kg)",
        "fpies",
        ("Egg", "whole, hard-boiled"),
        "protein",
        # The stored steps are an example for 10 kg; booking generates the portions for the patient's own weight.
        # The serving after the portions, 25 g of hard-boiled egg (about 3 g of protein), follows Bird 2020's
        # "second, higher dose, e.g. 3 g protein" (docs/clinical-sources.md §1.5).
        {"generator": "fpies", "interval_minutes": 30, "weight_kg": D("10"), "serving": D("25")},
        observation_minutes=240,
        follow_up_hours=(2, 6, 24),
        fpies_protein_g_per_kg=D("0.3"),
        notes=(
            "0.3 g protein/kg in 3 equal portions 30 min apart, at most 3 g of protein and at most 10 g of egg; "
            "booking generates them for the patient's own recent weight. If tolerated, an age-appropriate serving "
            "2.5 h after the last portion; observe at least 4 h after it. IV access and fluids ready (the rescue "
            "doses are printed on the preparation sheet); baseline neutrophil count, repeat at about 6 h."
        ),
        references=(
            "Total 0.06-0.6 g/kg, 3 g protein or 10 g food cap, 3 equal portions, ≥4 h observation, serving after "
            "2-3 h, rescue doses: Dimov 2012 summary; fpies.org; Bird 2020 (docs/clinical-sources.md §1.5, §11.2). "
            "0.3 g/kg is marked unconfirmed there. Positive: vomiting 1-4 h plus ≥2 minor criteria (Leonard 2018)."
        ),
    ),
    ProtocolSeed(
        "MCAS slow home reintroduction: cheesecake",
        "home",
        ("Cheesecake", "baked, commercial"),
        "food",
        {"generator": "home", "serving": D("100"), "days_between": 3, "watch_hours": 48},
        observation_minutes=0,
        watch_hours=48,
        follow_up_hours=(2, 24, 72),
        washout="none",
        premeds=(
            # Oral cromolyn builds its effect over weeks: the plan is for a patient already established on it
            # (docs/clinical-sources.md §5.5). One of the usual four daily doses is timed 30 min before the step.
            {
                "drug": "Cromolyn sodium (oral)",
                "med_class": "mast_cell_stabiliser",
                "dose": "by age",
                "dose_rule": "cromolyn_oral",
                "route": "oral",
                "minutes_before": 0,
                "continue_regular": True,
                "established_weeks": 4,
                "required": True,
                "notes": "Four times a day as prescribed, before meals and at bedtime; do not stop for this plan.",
            },
            {
                "drug": "Cromolyn sodium (oral)",
                "med_class": "mast_cell_stabiliser",
                "dose": "by age",
                "dose_rule": "cromolyn_oral",
                "route": "oral",
                "minutes_before": 30,
                "before_each_step": True,
                "required": True,
                # A home step already eaten must still be recorded: a step without it, or too soon after it, is
                # recorded and flagged for the clinic (docs/clinical-sources.md §5.5).
                "if_not_taken": "flag",
                "notes": "The usual dose before that meal, taken 30 min before the step; not an extra dose.",
            },
            {
                "drug": "H1 antihistamine (usual)",
                "med_class": "h1_antihistamine",
                "dose": "usual dose",
                "route": "oral",
                "minutes_before": 0,
                "continue_regular": True,
                "required": True,
                "notes": "Keep taking as usual; do not stop for this plan.",
            },
            {
                "drug": "H2 blocker (usual)",
                "med_class": "h2_blocker",
                "dose": "usual dose",
                "route": "oral",
                "minutes_before": 0,
                "continue_regular": True,
                "required": True,
                "notes": "Keep taking as usual; do not stop for this plan.",
            },
        ),
        keep_eating_between_steps=True,
        notes=(
            "One step every 3 days from a crumb (0.1 g) to a full serving (100 g), each step at most about 3× the "
            "one before: 0.1, 0.25, 0.5, 1, 2.5, 6.25, 12.5, 25, 50, 100 g. The first step is taken in clinic. "
            "An adult stays with the patient, who rests, for 2 h after each step; no exercise, hot baths, alcohol "
            "or NSAIDs around a step, and no step up when unwell. Keep eating the tolerated amount daily until the "
            "next step. Watch 48 h after each step for delayed symptoms and do not move on until the window has "
            "passed without symptoms. Nothing else new in the diet. Cheesecake is a composite food (milk, egg, "
            "wheat): a reaction cannot be pinned on one ingredient; prefer a single-ingredient food when the "
            "trigger is one of them."
        ),
        references=(
            "No published MCAS reintroduction protocol exists (docs/clinical-sources.md §5.4). Spacing 3-5 days, "
            "24-48 h watch, "
            "one food at a time: SM Companion (§5.4). Steps of at most about 3×, a supervised first step, an adult "
            "present for 2 h, cofactors and daily maintenance: §11.1. Oral cromolyn by age (100 mg aged 2-12, 200 mg "
            "from 13), 30 min before meals, in water only, for a patient established on it: FDA label (§5.5); "
            "H1/H2 continued as the basic MCAD regimen (Molderings 2011, §5.3)."
        ),
    ),
    # Ladders and linked days (X4, X5, P2; docs/clinical-sources.md §13).
    ProtocolSeed(
        "Milk ladder at home (iMAP/MAP rungs)",
        "home",
        ("Milk ladder biscuit", "iMAP recipe, home-baked"),
        "food",
        {},
        observation_minutes=0,
        watch_hours=48,
        follow_up_hours=(2, 24),
        keep_eating_between_steps=True,
        rungs=(
            (("Milk ladder biscuit", "iMAP recipe, home-baked"), D("10"), "1 biscuit", _WEEK),
            (("Milk ladder biscuit", "iMAP recipe, home-baked"), D("20"), "2 biscuits", _WEEK),
            (("Milk ladder biscuit", "iMAP recipe, home-baked"), D("30"), "3 biscuits", _WEEK),
            (("Milk ladder muffin", "iMAP recipe, home-baked"), D("25"), "1/2 muffin", _WEEK),
            (("Milk ladder muffin", "iMAP recipe, home-baked"), D("50"), "1 muffin", _WEEK),
            (("Yogurt", "plain, whole milk"), D("125"), "", _WEEK),
            (("Cheese", "cheddar"), D("25"), "", _WEEK),
            (("Cow's milk", "whole, 3.25 %"), D("100"), "", _WEEK),
            (("Cow's milk", "whole, 3.25 %"), D("200"), "", _WEEK),
        ),
        notes=(
            "A ladder of different foods, from well-baked milk to fresh milk; each rung is eaten daily for about a "
            "week before the next, and only when the child is well and gut symptoms and eczema are settled. Keep "
            "eating the tolerated rung daily until the next step. Designed for mild-to-moderate non-IgE cow's milk "
            "allergy; in IgE-mediated allergy only after specialist review, more slowly. The iMAP pancake rung has "
            "no published amount here: add it from your own recipe if you use it. Protein falls from cheese to the "
            "first 100 mL of milk: the rungs rise in how little the milk is cooked, not only in protein. Weigh one "
            "home-baked biscuit and muffin: the seeded weights are assumptions."
        ),
        references=(
            "Biscuit 1 → 3 and muffin ½ → 1 with their milk: iMAP recipe file (Venter 2017). Yogurt 125 g pot, hard "
            "cheese 25 g, milk 100 → 200 mL: MAP 12-step ladder 2013. Rung order beyond that and the week per rung "
            "are unconfirmed (docs/clinical-sources.md §13.1)."
        ),
    ),
    ProtocolSeed(
        "ASCIA peanut days 2-7 at home (after a negative clinic challenge)",
        "home",
        ("Peanut butter", "smooth"),
        "food",
        {},
        observation_minutes=0,
        watch_hours=2,
        follow_up_hours=(24,),
        first_step_in_clinic=False,
        rungs=tuple((("Peanut butter", "smooth"), D("10"), "2 tsp", _DAY) for _ in range(6)),
        notes=(
            "Book it as a continuation (home days) of the negative ASCIA peanut challenge in clinic: 2 teaspoons of "
            "peanut butter a day on days 2-7, then peanut at least weekly from then on."
        ),
        references="ASCIA Food Challenge Protocols 2011, peanut sheet (docs/clinical-sources.md §1.3, §13.2).",
    ),
)
