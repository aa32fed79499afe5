"""Every rule the run and home services enforce, called directly: the refusal's code, and nothing stored.

Each test drives a challenge to the state where one rule applies (through the services, as the pages would), then
asks for the write the rule refuses. The refusal must carry the rule's stable code, and the database must be exactly
as before (every model of the challenges app, its history, and the audit chain). The tests are split by stage:
test_rule_codes_booking.py, _doses, _end and _home (shared steps in rule_code_helpers.py). The test here checks that
each code raised in challenges/run/services/ and challenges/home/services.py is asserted in one of them.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from clinical import blinding

ROOT = Path(__file__).resolve().parents[2]

SERVICES = [*sorted((ROOT / "challenges/run/services").glob("*.py")), ROOT / "challenges/home/services.py"]
# The first dose's medication refusals: services.doses raises the code that
# clinical.washout_decisions.first_dose_refusal names.
FIRST_DOSE_REFUSALS = ROOT / "clinical/washout_decisions.py"
# A step's premedication refusals: services.doses raises the code clinical.premedication.step_problems names.
PREMEDICATION_REFUSALS = ROOT / "clinical/premedication.py"
# A continuation's refusals: services.schedule raises the code clinical.continuation.continuation_refusal names.
CONTINUATION_REFUSALS = ROOT / "clinical/continuation.py"
# The files that assert the codes: this test's neighbours, one per stage.
RULE_CODE_TESTS = sorted(Path(__file__).parent.glob("test_rule_codes_*.py"))


def test_every_code_the_services_raise_is_asserted_here():
    raised = {code for path in SERVICES for code in re.findall(r'code="([a-z_]+)"', path.read_text(encoding="utf-8"))}
    raised |= set(re.findall(r'Refusal\(\s*"([a-z_]+)"', FIRST_DOSE_REFUSALS.read_text(encoding="utf-8")))
    raised |= set(re.findall(r'Refusal\(\s*"([a-z_]+)"', CONTINUATION_REFUSALS.read_text(encoding="utf-8")))
    premedication = PREMEDICATION_REFUSALS.read_text(encoding="utf-8")
    raised |= set(re.findall(r'^PREMED_[A-Z_]+ = "([a-z_]+)"', premedication, re.MULTILINE))
    # Booking's placebo refusals: services.schedule raises the code clinical.blinding.check_placebo_count names.
    raised |= set(re.findall(r'code="([a-z_]+)"', inspect.getsource(blinding.check_placebo_count)))
    asserted = {
        code
        for path in RULE_CODE_TESTS
        for code in re.findall(r'_refused\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert len(raised) > 30  # positive control: the pattern finds the codes
    assert raised == asserted
