"""clinical.risk_factors.summary: which severe-reaction risk factors the record holds (R7)."""

from clinical.risk_factors import summary


def test_none_recorded_says_what_was_checked():
    text = summary(conditions=["eczema"], anaphylaxis_to=[], medications=[("h1_antihistamine", "Cetirizine")])
    assert text == "None recorded (checked: asthma, mastocytosis, previous anaphylaxis, beta-blocker or ACE inhibitor)."


def test_each_factor_named_with_what_it_is():
    text = summary(
        conditions=["asthma", "mastocytosis"],
        anaphylaxis_to=["Peanut", "Cashew"],
        medications=[("beta_blocker", "Propranolol"), ("ace_inhibitor", "Ramipril"), ("other", "Vitamin D")],
    )
    assert text == (
        "Asthma; mastocytosis; previous anaphylaxis (Peanut, Cashew); beta-blocker (Propranolol); "
        "ACE inhibitor (Ramipril)"
    )


def test_one_factor_alone():
    assert summary(conditions=[], anaphylaxis_to=[], medications=[("beta_blocker", "Bisoprolol")]) == (
        "Beta-blocker (Bisoprolol)"
    )
