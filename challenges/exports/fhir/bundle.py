"""The transaction Bundle: which challenges may be exported, the two bundles (one challenge, one patient), and the
builder that gives each record its stable id and adds each resource once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from urllib.parse import quote

from challenges.exports.fhir.allergies import (
    AllergyEntry,
    Substance,
    allergy_intolerance,
    orphan_reason,
    substance_of,
    trigger_substance,
    withdrawn_allergy,
    withdrawn_trigger,
)
from challenges.exports.fhir.codes import URI
from challenges.exports.fhir.datatypes import JSON, fhir_datetime, mark_withdrawn, withdrawal_reason
from challenges.exports.fhir.medication import medication_administration, medication_statement
from challenges.exports.fhir.observations import (
    allergy_test_observation,
    bears_on,
    figure_observations,
    vital_observations,
)
from challenges.exports.fhir.people import organization_resource, patient_resource, practitioner_resource
from challenges.exports.fhir.procedure import procedure_resource
from challenges.models import Challenge, Status
from challenges.run.selectors import RunState
from clinics.models import Clinic, User
from patients.models import DiagnosticResult, Medication, Patient, Trigger

# Challenges that may be exported: dosing over and the outcome confirmed by the allergist.
EXPORTABLE_STATUSES = (Status.COMPLETED, Status.STOPPED)


def is_exportable(challenge: Challenge) -> bool:
    """Dosing over and the outcome confirmed: only then do the figures and the allergy status mean anything."""
    return bool(challenge.outcome) and challenge.status in EXPORTABLE_STATUSES and not challenge.entered_in_error


def is_withdrawn(challenge: Challenge) -> bool:
    """A challenge entered in error that could have been exported before: it is sent again, marked entered in error
    under the same ids, so a receiver that imported it learns it is void (never silently left out)."""
    return bool(challenge.outcome) and challenge.status in EXPORTABLE_STATUSES and challenge.entered_in_error


def challenge_bundle(
    state: RunState,
    *,
    history: Sequence[RunState] = (),
    diagnostics: Iterable[DiagnosticResult] = (),
    now: datetime,
) -> JSON:
    """One completed challenge with its patient. `history`: the patient's other exportable challenges, so the
    allergy entry of this food states the latest confirmed result, as the patient bundle does. `diagnostics`: the
    patient's allergy test results; those that bear on the challenged food go too (as on the report).

    A challenge entered in error goes too, withdrawn: its resources marked entered in error under the same ids, and
    the allergy entry of its food stated again from the other challenges (or withdrawn when nothing else holds it)."""
    challenge = state.challenge
    withdrawn = is_withdrawn(challenge)
    if not withdrawn:
        _require_exportable(challenge)
    builder = BundleBuilder(challenge.patient)
    key = substance_of(challenge.protocol.food).key
    builder.challenge(state, withdrawn=withdrawn)
    others = [s for s in history if s.challenge.pk != challenge.pk and is_exportable(s.challenge)]
    mine = [s for s in ([] if withdrawn else [state]) + others if substance_of(s.challenge.protocol.food).key == key]
    named = [t for t in challenge.patient.triggers.all() if substance_of(challenge.protocol.food).named_in(t.substance)]
    builder.allergies(mine, triggers=named, withdrawn=[state] if withdrawn else [])
    for result in diagnostics:
        if bears_on(result, challenge.protocol.food):
            builder.add(allergy_test_observation(builder, result))
    return builder.bundle(now)


def patient_bundle(
    patient: Patient,
    states: Sequence[RunState],
    *,
    withdrawn: Sequence[RunState] = (),
    triggers: Iterable[Trigger] = (),
    medications: Iterable[Medication] = (),
    diagnostics: Iterable[DiagnosticResult] = (),
    now: datetime,
) -> JSON:
    """The patient, every given completed challenge, one allergy entry per substance (challenged or a known
    trigger), the patient's medicines (those taken now as active; stopped or entered in error ones with that
    status, so a receiving system's copy from an earlier export is updated) and allergy test results.

    `withdrawn`: the patient's challenges entered in error (is_withdrawn), sent marked entered in error."""
    for state in states:
        _require_exportable(state.challenge)
    for state in withdrawn:
        if not is_withdrawn(state.challenge):
            raise ValueError(f"Challenge {state.challenge.pk} is not a withdrawn challenge.")
    builder = BundleBuilder(patient)
    for state in states:
        builder.challenge(state)
    for state in withdrawn:
        builder.challenge(state, withdrawn=True)
    builder.allergies(states, triggers=list(triggers), withdrawn=withdrawn)
    today = now.astimezone(patient.clinic.tzinfo).date()
    for medication in medications:
        builder.add(medication_statement(builder, medication, today))
    for result in diagnostics:
        builder.add(allergy_test_observation(builder, result))
    return builder.bundle(now)


def _require_exportable(challenge: Challenge) -> None:
    if not is_exportable(challenge):
        raise ValueError(f"Challenge {challenge.pk} has no confirmed outcome to export.")


class BundleBuilder:
    """The entries of one bundle, each resource once, with the ids derived from the clinic's namespace."""

    def __init__(self, patient: Patient) -> None:
        self.clinic: Clinic = patient.clinic
        self.tz: tzinfo = self.clinic.tzinfo
        self.entries: dict[str, JSON] = {}
        self.organization = self.add(organization_resource(self))
        self.patient = self.add(patient_resource(self, patient))

    def id(self, *parts: object) -> str:
        """The stable id of a record: uuid5 of the clinic's namespace and the record's kind and key."""
        return str(uuid.uuid5(self.clinic.fhir_namespace, "/".join(str(p) for p in parts)))

    def add(self, resource: JSON) -> JSON:
        """Add a resource (once) and return a reference to it."""
        self.entries.setdefault(resource["id"], resource)
        return {"reference": f"urn:uuid:{resource['id']}"}

    def practitioner(self, user: User | None) -> JSON | None:
        return None if user is None else self.add(practitioner_resource(self, user))

    def challenge(self, state: RunState, *, withdrawn: bool = False) -> None:
        """The challenge's Procedure and the records made in it. A vital sign or treatment entered in error goes
        marked so (an earlier export may hold it); with `withdrawn`, every resource of the challenge does."""
        challenge = state.challenge
        void = withdrawal_reason(challenge) if withdrawn else ""
        procedure = self.add(mark_withdrawn(procedure_resource(self, challenge), void))
        for resource in figure_observations(self, state, procedure):
            self.add(mark_withdrawn(resource, void))
        for vitals in challenge.vitals.all():
            for resource in vital_observations(self, vitals, procedure):
                self.add(mark_withdrawn(resource, void or withdrawal_reason(vitals)))
        for treatment in challenge.treatments.all():
            resource = medication_administration(self, treatment, procedure)
            self.add(mark_withdrawn(resource, void or withdrawal_reason(treatment)))

    def allergies(
        self, states: Sequence[RunState], *, triggers: Sequence[Trigger], withdrawn: Sequence[RunState] = ()
    ) -> None:
        """One AllergyIntolerance per substance: the challenges of it and the known triggers that name it.

        The entry of a substance whose only challenges were `withdrawn` (entered in error) keeps its id while a
        known trigger still names the substance, and is withdrawn itself when nothing holds it any more."""
        groups: dict[str, AllergyEntry] = {}
        for state in states:
            substance = substance_of(state.challenge.protocol.food)
            groups.setdefault(substance.key, AllergyEntry(substance)).states.append(state)
        orphans: dict[str, tuple[Substance, RunState]] = {}
        for state in withdrawn:
            substance = substance_of(state.challenge.protocol.food)
            if substance.key not in groups:
                orphans.setdefault(substance.key, (substance, state))
        for trigger in triggers:
            standalone = trigger_substance(trigger).key
            match = _group_for(trigger, groups, [substance for substance, _ in orphans.values()])
            if trigger.entered_in_error or match is not None:
                # An earlier export may have sent this trigger as an entry of its own: that entry is withdrawn, as
                # now entered in error or part of its substance's entry (one entry per substance, no duplicate).
                # Withdrawn, not deleted: it is put again marked entered in error, so the receiver keeps the record
                # of what it was once told (clinical records are never deleted, here or there).
                self.add(withdrawn_trigger(self, standalone, trigger, merged=match is not None))
            if trigger.entered_in_error:
                continue
            if match is None:
                match = groups.setdefault(standalone, AllergyEntry(trigger_substance(trigger)))
            match.triggers.append(trigger)
        for group in groups.values():
            self.add(allergy_intolerance(self, group))
        for key, (substance, state) in orphans.items():
            if key not in groups:
                self.add(withdrawn_allergy(self, key, substance.text, orphan_reason(self, state)))

    def bundle(self, now: datetime) -> JSON:
        return {
            "resourceType": "Bundle",
            "identifier": {"system": URI, "value": f"urn:uuid:{uuid.uuid4()}"},
            "type": "transaction",
            "timestamp": fhir_datetime(now, self.tz),
            "entry": [_entry(resource) for resource in self.entries.values()],
        }


def _group_for(trigger: Trigger, groups: dict[str, AllergyEntry], orphans: Sequence[Substance]) -> AllergyEntry | None:
    """The entry a known trigger belongs to: a challenged substance it names, else (a trigger that stands) one whose
    challenges were all withdrawn, so that entry keeps its id; None when it stands alone."""
    match = next((g for g in groups.values() if g.substance.named_in(trigger.substance)), None)
    if match is None and not trigger.entered_in_error:
        orphan = next((sub for sub in orphans if sub.named_in(trigger.substance)), None)
        if orphan is not None:
            match = groups.setdefault(orphan.key, AllergyEntry(orphan))
    return match


def _entry(resource: JSON) -> JSON:
    """A transaction entry: the clinic's own records are put by id; people and the clinic are matched first (a
    patient entered in error updates the matching record, so a receiver that imported it learns it is void)."""
    kind, rid = resource["resourceType"], resource["id"]
    request: JSON = {"method": "PUT", "url": f"{kind}/{rid}"}
    if kind in ("Patient", "Organization", "Practitioner"):
        first = resource["identifier"][0]
        search = f"identifier={quote(first['system'], safe=':/')}|{quote(first['value'], safe=':/')}"
        request = {"method": "POST", "url": kind, "ifNoneExist": search}
        if kind == "Patient" and resource.get("active") is False:
            request = {"method": "PUT", "url": f"{kind}?{search}"}
    return {"fullUrl": f"urn:uuid:{rid}", "resource": resource, "request": request}
