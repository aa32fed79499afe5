"""Eliciting-dose thresholds (clinical.thresholds): the interval each challenge gives, and the fitted distribution.

Hand-computed cases on both sides of every rule, an independent implementation (lifelines' interval-censored
fitters) agreeing to three significant figures, and a simulation: the true ED05 of a known distribution falls
inside the bootstrap interval in at least 90 % of repeated studies.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from clinical import threshold_intervals as ti
from clinical import thresholds as t
from clinical.threshold_intervals import GivenDose, ThresholdInterval

PRACTALL_MG = (Decimal(3), Decimal(10), Decimal(30), Decimal(100), Decimal(300), Decimal(1000), Decimal(3000))


def _doses(*mg: int | str, placebo: tuple[int, ...] = ()) -> list[GivenDose]:
    return [GivenDose(Decimal(str(m)), is_placebo=i in placebo) for i, m in enumerate(mg)]


# --- one challenge ---------------------------------------------------------------------------------------------


def test_a_failed_challenge_brackets_the_threshold_between_tolerated_and_eliciting_dose() -> None:
    doses = _doses(3, 10, 30)
    cumulative = ti.threshold_interval(doses, outcome="failed", basis=ti.CUMULATIVE)
    discrete = ti.threshold_interval(doses, outcome="failed", basis=ti.DISCRETE)
    assert cumulative == ThresholdInterval(Decimal(13), Decimal(43))
    assert discrete == ThresholdInterval(Decimal(10), Decimal(30))
    assert cumulative.censoring == ti.INTERVAL


def test_a_reaction_to_the_first_dose_is_left_censored() -> None:
    interval = ti.threshold_interval(_doses(3), outcome="failed", basis=ti.CUMULATIVE)
    assert interval == ThresholdInterval(Decimal(0), Decimal(3))
    assert interval.censoring == ti.LEFT
    # one dose later it is an interval
    assert ti.threshold_interval(_doses(3, 10), outcome="failed", basis=ti.CUMULATIVE).censoring == ti.INTERVAL


def test_a_passed_challenge_is_right_censored_at_what_was_eaten() -> None:
    doses = _doses(*PRACTALL_MG)
    cumulative = ti.threshold_interval(doses, outcome="passed", basis=ti.CUMULATIVE)
    assert cumulative == ThresholdInterval(Decimal(4443), None)
    assert cumulative.censoring == ti.RIGHT
    assert ti.threshold_interval(doses, outcome="passed", basis=ti.DISCRETE) == ThresholdInterval(Decimal(3000), None)


def test_dose_not_reached_is_right_censored_at_the_dose_reached() -> None:
    interval = ti.threshold_interval(_doses(3, 10, 30), outcome="dose_not_reached", basis=ti.CUMULATIVE)
    assert interval == ThresholdInterval(Decimal(43), None)


def test_equivocal_and_unfinished_challenges_give_no_interval() -> None:
    assert ti.threshold_interval(_doses(3, 10), outcome="equivocal", basis=ti.CUMULATIVE) == ti.Excluded("equivocal")
    assert ti.threshold_interval(_doses(3, 10), outcome="", basis=ti.CUMULATIVE) == ti.Excluded("no_outcome")


def test_placebo_doses_count_for_nothing_and_a_reaction_after_one_gives_no_interval() -> None:
    blinded = _doses(3, 3, 10, 10, placebo=(0, 2))  # placebo, active 3, placebo, active 10
    assert ti.threshold_interval(blinded, outcome="failed", basis=ti.CUMULATIVE) == ThresholdInterval(
        Decimal(3), Decimal(13)
    )
    after_placebo = _doses(3, 3, 10, placebo=(0, 2))
    assert ti.threshold_interval(after_placebo, outcome="failed", basis=ti.CUMULATIVE) == ti.Excluded(
        "reaction_after_placebo"
    )
    only_placebo = _doses(3, placebo=(0,))
    assert ti.threshold_interval(only_placebo, outcome="passed", basis=ti.CUMULATIVE) == ti.Excluded("no_active_dose")


def test_a_repeated_dose_that_elicits_has_a_cumulative_but_no_discrete_interval() -> None:
    doses = _doses(3, 10, 10)
    assert ti.threshold_interval(doses, outcome="failed", basis=ti.CUMULATIVE) == ThresholdInterval(
        Decimal(13), Decimal(23)
    )
    assert ti.threshold_interval(doses, outcome="failed", basis=ti.DISCRETE) == ti.Excluded(
        "eliciting_not_above_tolerated"
    )


def test_an_unknown_basis_is_refused() -> None:
    with pytest.raises(ValueError, match="basis"):
        ti.threshold_interval(_doses(3), outcome="failed", basis="per kg")


# --- fitting: hand-computed maxima ---------------------------------------------------------------------------

# 25 react at or below 10 mg, 50 between 10 and 100 mg, 25 tolerate 100 mg. Two parameters, three cells: the
# maximum reproduces the observed fractions exactly, F(10 mg) = 0.25 and F(100 mg) = 0.75, whatever the model.
SATURATED = (
    [ThresholdInterval(Decimal(0), Decimal(10))] * 25
    + [ThresholdInterval(Decimal(10), Decimal(100))] * 50
    + [ThresholdInterval(Decimal(100), None)] * 25
)
LN10 = math.log(10)
EXPECTED = {  # (mu, sigma) solved by hand from F(10) = 0.25, F(100) = 0.75
    t.LOG_NORMAL: (1.5 * LN10, LN10 / (2 * 0.6744897501960817)),
    t.LOG_LOGISTIC: (1.5 * LN10, LN10 / (2 * math.log(3))),
    t.WEIBULL: (
        LN10 - LN10 / (math.log(math.log(4)) - math.log(math.log(4 / 3))) * math.log(math.log(4 / 3)),
        LN10 / (math.log(math.log(4)) - math.log(math.log(4 / 3))),
    ),
}


@pytest.mark.parametrize("model", t.MODELS)
def test_the_fit_reproduces_a_saturated_data_set(model: str) -> None:
    fit = t.fit_model(model, t.Brackets.of(SATURATED))
    mu, sigma = EXPECTED[model]
    assert fit.mu == pytest.approx(mu, rel=1e-5)
    assert fit.sigma == pytest.approx(sigma, rel=1e-5)
    assert fit.cdf(10) == pytest.approx(0.25, abs=1e-6)
    assert fit.cdf(100) == pytest.approx(0.75, abs=1e-6)
    assert fit.log_likelihood == pytest.approx(50 * math.log(0.25) + 50 * math.log(0.5), rel=1e-8)


def test_log_normal_ed05_by_hand() -> None:
    fit = t.fit_model(t.LOG_NORMAL, t.Brackets.of(SATURATED))
    mu, sigma = EXPECTED[t.LOG_NORMAL]
    assert fit.ed(0.05) == pytest.approx(math.exp(mu - 1.6448536269514722 * sigma), rel=1e-5)  # 2.09 mg


def test_akaike_weights_by_hand() -> None:
    fits = [t.ModelFit(t.LOG_NORMAL, 0, 1, -10.0), t.ModelFit(t.WEIBULL, 0, 1, -11.0)]  # AIC 24 and 26
    weights = t.akaike_weights(fits)
    assert weights == pytest.approx([1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1))])


def test_equally_supported_models_average_their_curves() -> None:
    fits = [t.fit_model(model, t.Brackets.of(SATURATED)) for model in t.MODELS]
    weights = t.akaike_weights(fits)
    assert weights == pytest.approx([1 / 3] * 3, abs=1e-6)
    averaged = t.averaged_ed(fits, weights, 0.05)
    assert sum(f.cdf(averaged) for f in fits) / 3 == pytest.approx(0.05, abs=1e-9)
    assert min(f.ed(0.05) for f in fits) < averaged < max(f.ed(0.05) for f in fits)


def test_too_few_reactions_give_no_number() -> None:
    four = [ThresholdInterval(Decimal(3), Decimal(13))] * 2 + [ThresholdInterval(Decimal(13), Decimal(43))] * 2
    result = t.distribution(four + [ThresholdInterval(Decimal(4443), None)] * 40, basis=ti.CUMULATIVE)
    assert isinstance(result, t.NotEstimable)
    assert result.reactions == 4
    assert "at least 5" in result.reason
    five = four + [ThresholdInterval(Decimal(43), Decimal(143))]
    assert isinstance(
        t.distribution(five + [ThresholdInterval(Decimal(4443), None)] * 40, basis=ti.CUMULATIVE), t.Distribution
    )


def test_one_bracket_for_everyone_gives_no_number() -> None:
    same = [ThresholdInterval(Decimal(13), Decimal(43))] * 20
    result = t.distribution(same, basis=ti.CUMULATIVE)
    assert isinstance(result, t.NotEstimable)
    assert "same interval" in result.reason


def test_few_reactions_give_a_wide_interval_and_a_warning() -> None:
    few = t.distribution(_simulated(np.random.default_rng(3), 25), basis=ti.CUMULATIVE, replicates=100)
    many = t.distribution(_simulated(np.random.default_rng(3), 400), basis=ti.CUMULATIVE, replicates=100)
    assert isinstance(few, t.Distribution)
    assert isinstance(many, t.Distribution)
    assert any(w.startswith("Few data") for w in few.warnings)
    assert not any(w.startswith("Few data") for w in many.warnings)

    def width(d: t.Distribution) -> float:
        ed05 = d.estimates[1]
        assert ed05.low_mg <= ed05.mg <= ed05.high_mg
        return math.log(ed05.high_mg / ed05.low_mg)

    assert width(few) > 1.5 * width(many)


def test_estimates_are_worded_with_three_figures_and_units() -> None:
    estimate = t.Estimate(Decimal("0.05"), 25.349, 9.0612, 61.04, below_lowest_dose=False)
    assert t.estimate_text(estimate) == "ED05 25.3 mg (95 % CI 9.06 mg to 61 mg)"
    assert t.dose_text(4443.2) == "4,440 mg"
    assert t.dose_text(0.0523) == "0.0523 mg"
    assert t.dose_text(5.0) == "5 mg"


# --- an independent implementation: lifelines ------------------------------------------------------------------

LADDER = np.cumsum([float(d) for d in PRACTALL_MG])  # cumulative PRACTALL doses, 3 to 4,443 mg


def _simulated(rng: np.random.Generator, n: int, mu: float = math.log(300), sigma: float = 1.5) -> list:
    """n challenges on the PRACTALL ladder for people whose cumulative thresholds are log-normal(mu, sigma)."""
    out = []
    for threshold in np.exp(rng.normal(mu, sigma, n)):
        k = int(np.searchsorted(LADDER, threshold))  # the first cumulative dose at or above the threshold
        if k == len(LADDER):
            out.append(ThresholdInterval(Decimal(str(LADDER[-1])), None))
        else:
            lower = Decimal(0) if k == 0 else Decimal(str(LADDER[k - 1]))
            out.append(ThresholdInterval(lower, Decimal(str(LADDER[k]))))
    return out


def _lifelines_mu_sigma(model: str, lower: np.ndarray, upper: np.ndarray) -> tuple[float, float, float]:
    lifelines = pytest.importorskip("lifelines")
    if model == t.LOG_NORMAL:
        f = lifelines.LogNormalFitter().fit_interval_censoring(lower, upper)
        return f.mu_, f.sigma_, f.log_likelihood_
    if model == t.LOG_LOGISTIC:
        f = lifelines.LogLogisticFitter().fit_interval_censoring(lower, upper)
        return math.log(f.alpha_), 1 / f.beta_, f.log_likelihood_
    f = lifelines.WeibullFitter().fit_interval_censoring(lower, upper)
    return math.log(f.lambda_), 1 / f.rho_, f.log_likelihood_


@pytest.mark.parametrize("model", t.MODELS)
@pytest.mark.parametrize("seed", [11, 12])
def test_fits_agree_with_lifelines_to_three_significant_figures(model: str, seed: int) -> None:
    data = t.Brackets.of(_simulated(np.random.default_rng(seed), 120))
    ours = t.fit_model(model, data)
    lower = np.repeat(data.lower, data.count.astype(int))
    upper = np.repeat(data.upper, data.count.astype(int))
    mu, sigma, log_likelihood = _lifelines_mu_sigma(model, lower, upper)
    theirs = t.ModelFit(model, mu, sigma, log_likelihood)
    for ours_value, their_value in (
        (ours.mu, mu),
        (ours.sigma, sigma),
        (ours.ed(0.01), theirs.ed(0.01)),
        (ours.ed(0.05), theirs.ed(0.05)),
        (ours.ed(0.10), theirs.ed(0.10)),
        (ours.log_likelihood, log_likelihood),
    ):
        assert math.isclose(ours_value, their_value, rel_tol=5e-4)


def test_the_bootstrap_refits_agree_with_the_one_at_a_time_fit() -> None:
    """The vectorised Newton refit of the bootstrap finds the same maximum as Nelder-Mead on each replicate."""
    data = t.Brackets.of(_simulated(np.random.default_rng(5), 150))
    counts = np.random.default_rng(6).multinomial(data.total, data.count / data.count.sum(), size=8).astype(float)
    for model in t.MODELS:
        full = t.fit_model(model, data)
        mus, sigmas, lls = t._refit_all(full, data, counts)
        for row, mu, sigma, ll in zip(counts, mus, sigmas, lls, strict=True):
            alone = t.fit_model(model, data.reweighted(row))
            assert mu == pytest.approx(alone.mu, rel=1e-4)
            assert sigma == pytest.approx(alone.sigma, rel=1e-4)
            assert ll == pytest.approx(alone.log_likelihood, rel=1e-7)


# --- simulation: coverage of the true ED05 ---------------------------------------------------------------------


@pytest.mark.slow
def test_the_true_ed05_lies_in_its_interval_in_at_least_90_percent_of_simulated_studies() -> None:
    mu, sigma = math.log(300), 1.5
    true_ed05 = math.exp(mu - 1.6448536269514722 * sigma)  # 25.4 mg cumulative
    rng = np.random.default_rng(2020)
    studies = 40
    covered = 0
    for study in range(studies):
        result = t.distribution(_simulated(rng, 150, mu, sigma), basis=ti.CUMULATIVE, replicates=150, seed=study)
        assert isinstance(result, t.Distribution)
        ed05 = result.estimates[1]
        covered += ed05.low_mg <= true_ed05 <= ed05.high_mg
    assert covered / studies >= 0.90, f"{covered} of {studies}"
