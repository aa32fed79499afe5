"""The seeded standard protocols (PROTOCOLS): open and double-blind clinic challenges, a household ladder, FPIES
(dosed per kg) and home plans, each with its sources in its notes and references (docs/clinical-sources.md).

A protocol names its food, and each ladder rung its own, by (name, form) of a seed in standard_content.foods."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

_DAY, _WEEK = 24 * 60, 7 * 24 * 60  # waits between home rungs, in minutes


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
