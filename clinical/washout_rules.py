"""The wash-out rule table: how long before a diagnostic challenge each medicine is stopped, and its data format.

The vocabulary the rules and the medication check share (medication classes, routes), WashoutRule (a class, maybe
narrowed to one route and/or one drug, and the hours), the seeded defaults with their sources (DEFAULT_WASHOUT,
docs/clinical-sources.md §5.1), and the JSON form a protocol stores them in (rules_to_data / rules_from_data).
What a patient's medicines mean against these rules is clinical.washout; what was decided about a conflict is
clinical.washout_decisions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clinical.errors import DomainError

MED_CLASS_LABELS: dict[str, str] = {
    "h1_antihistamine": "H1 antihistamine",
    "h2_blocker": "H2 blocker",
    "leukotriene_antagonist": "leukotriene antagonist",
    "mast_cell_stabiliser": "mast-cell stabiliser",
    "tricyclic_antidepressant": "tricyclic antidepressant",
    "biologic": "long-acting biologic",
    "beta_blocker": "beta-blocker",
    "ace_inhibitor": "ACE inhibitor",
    "nsaid": "NSAID",
    "ppi": "proton-pump inhibitor",
    "systemic_steroid": "systemic steroid",
    "other": "other",
}
MED_CLASSES: tuple[str, ...] = tuple(MED_CLASS_LABELS)

# How a medicine is taken; a wash-out rule may name one (antihistamine eye drops and nasal sprays differ from
# tablets, docs/clinical-sources.md §5.1). The codes match patients.models.MedicationRoute.
ROUTE_LABELS: dict[str, str] = {
    "oral": "by mouth",
    "nasal": "nasal spray",
    "eye": "eye drops",
    "skin": "on the skin",
    "inhaled": "inhaled",
    "injection": "injection",
}

# A sanity bound on rule data: a year, so a biologic can be deferred by months (the old 90-day cap could not say
# that, clinical review W4). [project choice]
MAX_WASHOUT_HOURS = 365 * 24


class WashoutError(DomainError):
    """Bad wash-out rule data, medication or decision."""


def check_med_class(med_class: object) -> None:
    """Reject a medication class that is not one of the shared codes."""
    if med_class not in MED_CLASS_LABELS:
        raise WashoutError(f"Unknown medication class: {med_class!r}.", code="unknown_class")


def check_route(route: object, *, blank: bool) -> None:
    """Reject a route that is not one of the shared codes (blank allowed where a rule names no route)."""
    if route not in ROUTE_LABELS and not (blank and route == ""):
        raise WashoutError(f"Unknown route: {route!r}.", code="unknown_route")


_DRUG_NAME = re.compile(r"[a-z][a-z -]*[a-z]")


@dataclass(frozen=True)
class WashoutRule:
    """Stop this medication this many hours before a diagnostic challenge (0 = keep taking it).

    A rule names a class, and may narrow it to one route ("eye") and/or one drug ("loratadine", matched as a whole
    word in the medication's name). For a medication the most specific rule wins: route before drug before the
    class alone; among equally specific rules the longest (the cautious choice; clinical.washout picks it).
    """

    med_class: str
    hours: int
    note: str = ""
    source: str = ""
    drug: str = ""
    route: str = ""

    def __post_init__(self) -> None:
        check_med_class(self.med_class)
        if isinstance(self.hours, bool) or not isinstance(self.hours, int):
            raise WashoutError(f"Hours for {self.med_class} must be a whole number.", code="bad_type")
        if not 0 <= self.hours <= MAX_WASHOUT_HOURS:
            raise WashoutError(
                f"Hours for {self.med_class} must be 0 to {MAX_WASHOUT_HOURS} (365 days), not {self.hours}.",
                code="bad_hours",
            )
        if not all(isinstance(value, str) for value in (self.note, self.source, self.drug, self.route)):
            raise WashoutError(f"Note, source, drug and route for {self.med_class} must be text.", code="bad_type")
        if self.drug and not _DRUG_NAME.fullmatch(self.drug):
            raise WashoutError(
                f"A drug in a wash-out rule is a lower-case generic name, not {self.drug!r}.", code="bad_drug"
            )
        check_route(self.route, blank=True)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.med_class, self.route, self.drug)

    @property
    def label(self) -> str:
        """ "H1 antihistamine", "H1 antihistamine: eye drops", "H1 antihistamine: loratadine, by mouth"."""
        detail = ", ".join(part for part in (self.drug, ROUTE_LABELS.get(self.route, "")) if part)
        return f"{MED_CLASS_LABELS[self.med_class]}: {detail}" if detail else MED_CLASS_LABELS[self.med_class]


_UPMC = "UPMC Children's Hospital of Pittsburgh food challenge page"
_LATITUDE = "Latitude Food Allergy Care, oral food challenge preparation page"
_CHECKLIST = "allergyguide pre-challenge checklist (none in the past 24 h)"

# Seeded defaults, docs/clinical-sources.md §5.1. Per-drug values come from the one source that gives them per drug
# (UPMC); where another per-drug statement disagrees (cetirizine, hydroxyzine) the drug keeps the class value, the
# longer one. Beta-blockers and ACE inhibitors have no rule: they are risk factors, never washed out. Mast-cell
# stabilisers, tricyclic antidepressants and biologics have none either: no source gives a time, so on a
# diagnostic challenge the allergist decides.
DEFAULT_WASHOUT: tuple[WashoutRule, ...] = (
    WashoutRule(
        "h1_antihistamine",
        7 * 24,
        note="All oral antihistamines 7 days. Sources range from 3 to 10 days; per-drug rules below.",
        source="Children's Mercy Kansas City OFC page (7 days); BMC Pediatrics 2020, Table 1 (3-10 days)",
    ),
    WashoutRule("h1_antihistamine", 3 * 24, drug="diphenhydramine", route="oral", source=f"{_UPMC} (3 days)"),
    WashoutRule("h1_antihistamine", 3 * 24, drug="fexofenadine", route="oral", source=f"{_UPMC} (3 days)"),
    WashoutRule("h1_antihistamine", 3 * 24, drug="cyproheptadine", route="oral", source=f"{_UPMC} (3 days)"),
    WashoutRule("h1_antihistamine", 7 * 24, drug="loratadine", route="oral", source=f"{_UPMC} (7 days)"),
    WashoutRule("h1_antihistamine", 5 * 24, route="nasal", source=f"{_LATITUDE} (antihistamine nasal sprays 5 days)"),
    WashoutRule("h1_antihistamine", 2 * 24, route="eye", source=f"{_LATITUDE} (antihistamine eye drops 2 days)"),
    WashoutRule(
        "h2_blocker",
        24,
        note="BMC Pediatrics 2020 table gives 12 h; Latitude Food Allergy Care gives 2 days.",
        source=_CHECKLIST,
    ),
    WashoutRule(
        "leukotriene_antagonist",
        24,
        note="Applies without asthma; in asthma montelukast is continued as maintenance (UPMC), with a warning.",
        source="BMC Pediatrics 2020, Table 1 (24 h)",
    ),
    WashoutRule(
        "systemic_steroid",
        3 * 24,
        note="Range 3 days to 2 weeks, after a finished course; a steroid still being taken is never stopped for "
        "a challenge (defer, or accept the limitation).",
        source="BMC Pediatrics 2020, Table 1 (3 days to 2 weeks)",
    ),
    WashoutRule("nsaid", 24, note="A cofactor: a warning, not a block.", source=_CHECKLIST),
    WashoutRule("ppi", 24, note="No masking effect: a warning, not a block.", source=_CHECKLIST),
)

_RULE_FIELDS = ("med_class", "hours", "note", "source", "drug", "route")


def rules_to_data(rules: Sequence[WashoutRule]) -> list[dict[str, Any]]:
    """Rules as JSON-ready dicts, for a protocol's JSON field (drug and route only where a rule names them)."""
    data = []
    for r in rules:
        item: dict[str, Any] = {"med_class": r.med_class, "hours": r.hours, "note": r.note, "source": r.source}
        item.update({name: getattr(r, name) for name in ("drug", "route") if getattr(r, name)})
        data.append(item)
    return data


def _rule_from_item(index: int, item: object) -> WashoutRule:
    """One rule from one JSON object, or a WashoutError naming the entry."""
    if not isinstance(item, dict):
        raise WashoutError(f"Washout rule {index + 1} must be an object.", code="bad_type")
    unknown = sorted(str(key) for key in item if key not in _RULE_FIELDS)
    if unknown:
        raise WashoutError(f"Washout rule {index + 1} has unknown fields: {', '.join(unknown)}.", code="unknown_field")
    missing = [key for key in ("med_class", "hours") if key not in item]
    if missing:
        raise WashoutError(f"Washout rule {index + 1} lacks: {', '.join(missing)}.", code="missing_field")
    return WashoutRule(**{"note": "", "source": "", **item})


def rules_from_data(data: object) -> tuple[WashoutRule, ...]:
    """Rules from their JSON form; raises WashoutError on anything malformed or ambiguous."""
    if not isinstance(data, list):
        raise WashoutError("Washout rules must be a list.", code="bad_type")
    rules = tuple(_rule_from_item(index, item) for index, item in enumerate(data))
    keys = [rule.key for rule in rules]
    duplicated = sorted({rule.label for rule in rules if keys.count(rule.key) > 1})
    if duplicated:
        raise WashoutError(f"More than one washout rule for: {', '.join(duplicated)}.", code="duplicate_class")
    return rules
