"""The standard challenge foods with their protein content (FOODS).

Every figure carries its source; docs/clinical-sources.md §2 lists each food with its table entry. Protein values are
g protein per 100 g of food as sold/prepared (docs/clinical-sources.md §2): CNF 2015 = Canadian Nutrient File 2015 as
extracted in jay-joshy/allergyguide `cnf_extracted.csv`; USDA SR = USDA Standard Reference `ABBREV.txt` (NDB number
given). For liquids the same figure is used per 100 mL (allergyguide: 100 g of a liquid is taken as 100 mL,
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
