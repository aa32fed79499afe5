"""Every exported FHIR bundle passes an independent R4 validator (Medplum over the official R4 definitions and the R4
vital-sign profiles, run by tests/interop/fhir_validate.mjs), and that validator does fail a broken resource."""

from __future__ import annotations

import atexit
import copy
import json
import select
import shutil
import subprocess
import tempfile
from collections import Counter
from http import HTTPStatus
from pathlib import Path
from typing import IO

import pytest
from django.urls import reverse

from challenges.run import services as runs
from tests.interop.test_fhir import download, resources

SCRIPT = Path(__file__).with_name("fhir_validate.mjs")
ROOT = SCRIPT.parents[2]


class _Validator:
    """One `fhir_validate.mjs --serve` process per test session (per xdist worker), started on first use: loading the
    R4 definitions is most of what a run of the validator costs. Each request is validated as a run of its own."""

    process: subprocess.Popen[str] | None = None
    log: IO[str] | None = None  # its stderr: a file, so that a chatty validator never blocks on a full pipe

    def __call__(self, files: list[str], timeout: float = 300) -> tuple[int, list[dict]]:
        if self.process is None or self.process.poll() is not None:
            node = shutil.which("node")
            assert node, "node is missing: `make node` installs it with the validator (part of `make test`)"
            self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed in close()
            self.process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
                [node, str(SCRIPT), "--serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log,
                text=True,
                cwd=ROOT,
            )
            atexit.register(self.close)
        process = self.process
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps(files) + "\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        assert ready, f"the validator gave no answer in {timeout} s"
        line = process.stdout.readline()
        if not line:  # the validator died: say why
            process.wait(timeout=10)
            assert self.log is not None
            self.log.seek(0)
            raise AssertionError(f"the validator exited {process.returncode}: {self.log.read()[-2000:]}")
        answer = json.loads(line)
        assert "error" not in answer, answer.get("error", "")[-2000:]
        return answer["code"], answer["report"]

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the validator ends when its input ends
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()
        self.process = self.log = None


_validator = _Validator()


def validate(tmp_path: Path, **bundles: dict) -> tuple[int, list[dict]]:
    """Run the validator on the bundles; its exit code and its issues."""
    files = []
    for name, bundle in bundles.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        files.append(str(path))
    return _validator(files)


def errors(issues: list[dict]) -> list[dict]:
    return [i for i in issues if i["severity"] in ("error", "fatal")]


def add_trigger_and_medicines(client, nurse, patient) -> None:
    """Through the patient pages: two known triggers (one the challenged food) and two medicines, one stopped."""
    client.force_login(nurse)
    for substance, kind, severity in (("Peanut", "ige", "anaphylaxis"), ("Corn <maize> & co", "mcas", "moderate")):
        data = {
            "substance": substance,
            "reaction_type": kind,
            "worst_reaction_on": "2025-03-01",
            "worst_reaction_severity": severity,
            "last_reaction_on": "",
            "last_reaction_severity": "",
            "notes": "",
        }
        response = client.post(reverse("patients:trigger-create", args=[patient.pk]), data)
        assert response.status_code == HTTPStatus.FOUND
    for name, dose, stopped in (("Montelukast", "4 mg", ""), ("Cetirizine", "5 mg", "2026-11-20")):
        data = {"name": name, "dose": dose, "schedule": "once daily", "med_class": "other", "route": "oral"}
        response = client.post(
            reverse("patients:medication-create", args=[patient.pk]), {**data, "stopped_on": stopped}
        )
        assert response.status_code == HTTPStatus.FOUND


@pytest.fixture
def systolic_only(passed_challenge, nurse, clock):
    """A passed challenge (not signed yet) with a blood pressure whose diastolic could not be read (the vitals form
    accepts it)."""
    runs.vitals_record(challenge=passed_challenge, by=nurse, values={"taken_at": clock.now, "systolic": 96})
    return passed_challenge


def test_every_exported_bundle_passes_the_r4_validator(
    client, nurse, allergist, patient, failed_challenge, systolic_only, finished_home_plan, tmp_path
):
    add_trigger_and_medicines(client, nurse, patient)
    challenge = download(client, nurse, reverse("challenges:challenge-fhir", args=[failed_challenge.pk]))
    passed = download(client, nurse, reverse("challenges:challenge-fhir", args=[systolic_only.pk]))
    home = download(client, allergist, reverse("challenges:challenge-fhir", args=[finished_home_plan.pk]))
    person = download(client, nurse, reverse("challenges:patient-fhir", args=[patient.pk]))

    code, issues = validate(tmp_path, challenge=challenge, passed=passed, home=home, patient=person)

    assert errors(issues) == [], json.dumps(errors(issues), indent=1)[:4000]
    assert code == 0
    assert not [i for i in issues if "dom-6" in i["message"]]  # every resource has its narrative
    kinds = Counter(e["resource"]["resourceType"] for e in person["entry"] if "resource" in e)
    statuses = {m["medicationCodeableConcept"]["text"]: m["status"] for m in resources(person, "MedicationStatement")}
    assert statuses == {"Montelukast": "active", "Cetirizine": "stopped"}  # stopped on 20 Nov
    # peanut (challenge + trigger), cheesecake (home plan), corn (trigger), and the withdrawn peanut trigger entry
    assert kinds["AllergyIntolerance"] == 4
    standing = [a for a in resources(person, "AllergyIntolerance") if "clinicalStatus" in a]
    corn = next(a for a in standing if "Corn" in a["code"]["text"])
    assert "Known trigger: Corn &lt;maize&gt; &amp; co (MCAS trigger)" in corn["text"]["div"]  # escaped, and valid
    assert (corn["type"], corn["criticality"]) == ("intolerance", "low")
    peanut = next(a for a in standing if "Peanut" in a["code"]["text"])
    assert peanut["onsetDateTime"] == "2025-03-01"  # the trigger's history is older than the challenge
    assert any(n["text"].startswith("Known trigger: Peanut") for n in peanut["note"])
    # The peanut trigger is part of the peanut entry now: an earlier export's entry of its own is withdrawn, put
    # again as entered in error (never a DELETE: the receiver keeps what it was told).
    assert not [e for e in person["entry"] if e["request"]["method"] == "DELETE"]
    withdrawn = [a for a in resources(person, "AllergyIntolerance") if "clinicalStatus" not in a]
    assert [a["verificationStatus"]["coding"][0]["code"] for a in withdrawn] == ["entered-in-error"]
    assert withdrawn[0]["id"] != peanut["id"]
    assert "now recorded in the allergy entry of its substance" in withdrawn[0]["note"][0]["text"]
    montelukast = next(m for m in resources(person, "MedicationStatement") if m["status"] == "active")
    assert montelukast["dosage"][0]["doseAndRate"][0]["doseQuantity"]["code"] == "mg"
    assert kinds["Practitioner"] >= 1
    assert kinds["Organization"] == 1
    # The vital-sign profiles were applied: the validator saw the SpO2 (oxygensat) and the panels (bp).
    spo2 = [o for o in resources(challenge, "Observation") if o["code"]["coding"][0]["code"] == "2708-6"]
    assert len(spo2) == 2
    # The systolic-only reading goes as its own 8480-6 Observation, not as a one-component panel (defect 5).
    lone = [o for o in resources(passed, "Observation") if o["code"]["coding"][0]["code"] == "8480-6"]
    assert [o["valueQuantity"]["value"] for o in lone] == [96]


def _broken(bundle: dict, kind: str, test) -> dict:
    """A copy of the bundle with one resource of `kind` that `test` picks, for breaking in place."""
    return next(r for r in resources(bundle, kind) if test(r))


def test_the_validator_fails_broken_resources(client, nurse, failed_challenge, tmp_path):
    good = download(client, nurse, reverse("challenges:challenge-fhir", args=[failed_challenge.pk]))
    bundle = copy.deepcopy(good)
    adrenaline = _broken(bundle, "MedicationAdministration", lambda r: "Adrenaline" in str(r))
    del adrenaline["dosage"]["dose"]  # mad-1
    spo2 = _broken(bundle, "Observation", lambda r: r["code"]["coding"][0]["code"] == "2708-6")
    spo2["code"]["coding"] = spo2["code"]["coding"][1:]  # 59408-5 only: the oxygensat profile needs 2708-6
    panel = _broken(bundle, "Observation", lambda r: r["code"]["coding"][0]["code"] == "85354-9")
    panel["component"] = panel["component"][:1]  # systolic only in a bp panel
    allergy = _broken(bundle, "AllergyIntolerance", lambda r: True)
    del allergy["clinicalStatus"]  # ait-1
    salbutamol = _broken(bundle, "MedicationAdministration", lambda r: "Salbutamol" in str(r))
    salbutamol["subject"] = {"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"}  # resolves to nothing

    code, issues = validate(tmp_path, broken=bundle)

    assert code == 1
    messages = " | ".join(i["message"] for i in errors(issues))
    assert "mad-1" in messages
    assert "OxygenSatCode" in messages
    assert "bp slice DiastolicBP: expected one 8462-4 component, found 0" in messages
    assert "ait-1" in messages
    assert "Reference urn:uuid:00000000-0000-4000-8000-000000000000 is not the fullUrl of any entry" in messages
    assert validate(tmp_path, good=good)[0] == 0  # the same bundle unbroken passes


def test_the_validator_fails_an_unescaped_narrative(client, nurse, failed_challenge, tmp_path):
    bundle = download(client, nurse, reverse("challenges:challenge-fhir", args=[failed_challenge.pk]))
    patient = _broken(bundle, "Patient", lambda r: True)
    del patient["text"]["div"]  # a narrative must have its div (txt-1 / cardinality)
    code, issues = validate(tmp_path, broken=bundle)
    assert code == 1
    assert any("Patient" in (i["expression"] or "") for i in errors(issues))
