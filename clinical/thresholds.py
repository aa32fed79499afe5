"""The population distribution of eliciting-dose thresholds, fitted to the intervals challenges give for them
(clinical.threshold_intervals: how one challenge brackets one person's threshold).

Three distributions of the threshold are fitted by maximum likelihood to the intervals: log-normal, log-logistic
and Weibull, all location-scale families on the log of the dose (`mu`, `sigma`). They are averaged with Akaike
weights (Burnham and Anderson 2002) as a mixture of the three fitted curves (Wheeler and Bailer 2007), and the
eliciting doses for 1 %, 5 % and 10 % of the population (ED01, ED05, ED10) are read off the averaged curve. Their
confidence intervals come from a nonparametric bootstrap over challenges (each replicate refits all three models
and re-weights them), percentile method.

Numbers here are estimates, not doses: they are computed in floating point and shown rounded to three significant
figures, always with a warning when the data are few.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from scipy import optimize, special

from clinical.threshold_intervals import ThresholdInterval
from clinical.units import format_quantity

LOG_NORMAL = "log-normal"
LOG_LOGISTIC = "log-logistic"
WEIBULL = "weibull"
MODELS = (LOG_NORMAL, LOG_LOGISTIC, WEIBULL)
MODEL_LABELS = {LOG_NORMAL: "Log-normal", LOG_LOGISTIC: "Log-logistic", WEIBULL: "Weibull"}

# The population fractions reported (VITAL reports ED01 and ED05; ED10 is commonly shown beside them).
ED_FRACTIONS = (Decimal("0.01"), Decimal("0.05"), Decimal("0.10"))

# Below these counts a distribution is not fitted at all: with fewer than 5 reactions (or only one distinct
# bracket) the likelihood has no useful maximum. Below FEW_REACTIONS the numbers are shown with a warning.
MIN_REACTIONS = 5
FEW_REACTIONS = 30

BOOTSTRAP_REPLICATES = 200
CONFIDENCE = 0.95


# --- the population: fitting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Brackets:
    """Threshold intervals grouped: each distinct (lower, upper) pair once, with how many challenges gave it."""

    lower: np.ndarray  # mg; 0 for left-censored
    upper: np.ndarray  # mg; inf for right-censored
    count: np.ndarray

    @classmethod
    def of(cls, intervals: Sequence[ThresholdInterval]) -> Brackets:
        counts = Counter((float(i.lower_mg), math.inf if i.upper_mg is None else float(i.upper_mg)) for i in intervals)
        pairs = sorted(counts)
        return cls(
            lower=np.array([p[0] for p in pairs], dtype=float),
            upper=np.array([p[1] for p in pairs], dtype=float),
            count=np.array([counts[p] for p in pairs], dtype=float),
        )

    @property
    def total(self) -> int:
        return int(self.count.sum())

    @property
    def reactions(self) -> int:
        """Challenges with an upper bound (someone reacted)."""
        return int(self.count[np.isfinite(self.upper)].sum())

    @functools.cached_property
    def rows(self) -> list[tuple[float, float, float]]:
        """(log lower, log upper, count) per bracket as plain floats, -inf and inf for open ends (the likelihood
        loops over a handful of them)."""
        return [
            (math.log(lower) if lower > 0 else -math.inf, math.log(upper) if upper < math.inf else math.inf, count)
            for lower, upper, count in zip(self.lower.tolist(), self.upper.tolist(), self.count.tolist(), strict=True)
        ]

    def reweighted(self, count: np.ndarray) -> Brackets:
        return Brackets(lower=self.lower, upper=self.upper, count=count)


_SQRT2 = math.sqrt(2)


def _log_cdf(model: str, z: float) -> float:
    """log F(z) of the standard variate of the model (-inf where it underflows)."""
    if model == LOG_NORMAL:
        value = 0.5 * math.erfc(-z / _SQRT2)
    elif model == LOG_LOGISTIC:
        return -_log1p_exp(-z)
    else:  # Weibull: F = 1 - exp(-exp(z)), z = (log d - mu) / sigma
        value = -math.expm1(-math.exp(min(z, 700.0)))
    return math.log(value) if value > 0 else -math.inf


def _log_sf(model: str, z: float) -> float:
    """log S(z) = log(1 - F(z))."""
    if model == LOG_NORMAL:
        value = 0.5 * math.erfc(z / _SQRT2)
        return math.log(value) if value > 0 else -math.inf
    if model == LOG_LOGISTIC:
        return -_log1p_exp(z)
    return -math.exp(min(z, 700.0))


def _log1p_exp(x: float) -> float:
    """log(1 + e^x) without overflow."""
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _quantile_z(model: str, p: float) -> float:
    """The standardised log dose below which a fraction p of thresholds lie."""
    if model == LOG_NORMAL:
        return float(special.ndtri(p))
    if model == LOG_LOGISTIC:
        return math.log(p / (1 - p))
    return math.log(-math.log1p(-p))


def _bracket_log_probability(model: str, mu: float, sigma: float, log_lower: float, log_upper: float) -> float:
    """log P(lower < T <= upper) for a threshold T of the model, given the logs of the bounds (-inf, inf: open)."""
    if log_lower == -math.inf:
        return _log_cdf(model, (log_upper - mu) / sigma)  # left-censored: log F(upper)
    sf_lower = _log_sf(model, (log_lower - mu) / sigma)
    if log_upper == math.inf:
        return sf_lower  # right-censored: log S(lower)
    # log(S(L) - S(R)) = log S(L) + log(1 - S(R) / S(L))
    sf_upper = _log_sf(model, (log_upper - mu) / sigma)
    gap = -math.expm1(sf_upper - sf_lower) if sf_lower > -math.inf else 0.0
    return sf_lower + math.log(gap) if gap > 0 else -math.inf


def _log_likelihood(model: str, mu: float, sigma: float, data: Brackets) -> float:
    """Sum over brackets of count × log P(lower < T <= upper), with T the threshold."""
    total = 0.0
    for log_lower, log_upper, count in data.rows:
        if count:
            total += count * _bracket_log_probability(model, mu, sigma, log_lower, log_upper)
    return total


@dataclass(frozen=True)
class ModelFit:
    """One distribution fitted by maximum likelihood: log dose ~ mu + sigma × standard variate of the model."""

    model: str
    mu: float
    sigma: float
    log_likelihood: float

    @property
    def aic(self) -> float:
        return 2 * 2 - 2 * self.log_likelihood

    def cdf(self, dose_mg: float) -> float:
        """The fraction of the population whose threshold is at or below this dose."""
        if dose_mg <= 0:
            return 0.0
        return math.exp(_log_cdf(self.model, (math.log(dose_mg) - self.mu) / self.sigma))

    def ed(self, fraction: float) -> float:
        """The dose (mg) at or below which `fraction` of the population reacts."""
        return math.exp(self.mu + self.sigma * _quantile_z(self.model, fraction))


def _start(data: Brackets) -> tuple[float, float]:
    """Starting values: mean and spread of log midpoints (open ends placed one decade beyond the bracket)."""
    finite_upper = np.where(np.isinf(data.upper), data.lower * 10, data.upper)
    lower = np.where(data.lower == 0, finite_upper / 10, data.lower)
    mids = (np.log(lower) + np.log(finite_upper)) / 2
    mu = float(np.average(mids, weights=data.count))
    spread = float(np.sqrt(np.average((mids - mu) ** 2, weights=data.count)))
    return mu, max(spread, 0.5)


def _bounds(data: Brackets) -> list[tuple[float, float]]:
    """Keep the optimiser to plausible values: mu within 10 log units of the doses seen, sigma 0.02 to 20."""
    seen = np.concatenate([data.lower[data.lower > 0], data.upper[np.isfinite(data.upper)]])
    low, high = float(np.log(seen.min())), float(np.log(seen.max()))
    return [(low - 10, high + 10), (math.log(0.02), math.log(20))]


def fit_model(
    model: str, data: Brackets, start: tuple[float, float] | None = None, *, tolerance: float = 1e-8
) -> ModelFit:
    """Maximum-likelihood fit of one model to interval-censored thresholds (parameters mu and log sigma)."""
    mu0, sigma0 = start or _start(data)
    (mu_low, mu_high), (log_sigma_low, log_sigma_high) = _bounds(data)

    def negative(params: np.ndarray) -> float:
        mu, log_sigma = float(params[0]), float(params[1])
        if not (mu_low <= mu <= mu_high and log_sigma_low <= log_sigma <= log_sigma_high):
            return math.inf
        return -_log_likelihood(model, mu, math.exp(log_sigma), data)

    # Nelder-Mead: two parameters, and a likelihood that is -inf far out in the tails (a bracket of probability
    # 0), which derivative-based methods step into and stop at.
    result = optimize.minimize(
        negative,
        np.array([mu0, math.log(sigma0)]),
        method="Nelder-Mead",
        options={"xatol": tolerance, "fatol": tolerance / 100, "maxiter": 2000},
    )
    mu, sigma = float(result.x[0]), math.exp(float(result.x[1]))
    return ModelFit(model=model, mu=mu, sigma=sigma, log_likelihood=-float(result.fun))


def akaike_weights(fits: Sequence[ModelFit]) -> list[float]:
    """exp(-ΔAIC/2), normalised: the relative support of each model (Burnham and Anderson 2002)."""
    best = min(f.aic for f in fits)
    raw = [math.exp(-(f.aic - best) / 2) for f in fits]
    return [r / sum(raw) for r in raw]


def averaged_ed(fits: Sequence[ModelFit], weights: Sequence[float], fraction: float) -> float:
    """The dose at which the weighted mixture of the fitted curves reaches `fraction` (Wheeler and Bailer 2007)."""
    eds = [f.ed(fraction) for f in fits]
    low, high = math.log(min(eds)), math.log(max(eds))
    if high - low < 1e-12:
        return eds[0]

    def gap(log_dose: float) -> float:
        return sum(w * f.cdf(math.exp(log_dose)) for f, w in zip(fits, weights, strict=True)) - fraction

    return math.exp(optimize.brentq(gap, low, high, xtol=1e-12))


# --- the report: estimates with their intervals and warnings ---------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """An eliciting dose with its confidence interval, in mg protein (floats; shown with `dose_text`)."""

    fraction: Decimal
    mg: float
    low_mg: float
    high_mg: float
    below_lowest_dose: bool  # the estimate lies under every dose given: an extrapolation

    @property
    def label(self) -> str:
        return f"ED{int(self.fraction * 100):02d}"


@dataclass(frozen=True)
class Distribution:
    """The eliciting-dose distribution of one food: the fits, their weights, the averaged EDs, and warnings."""

    basis: str
    challenges: int
    reactions: int
    fits: tuple[ModelFit, ...]
    weights: tuple[float, ...]
    estimates: tuple[Estimate, ...]
    warnings: tuple[str, ...]
    replicates: int


@dataclass(frozen=True)
class NotEstimable:
    """Too few data to fit a distribution; says why (never a bare number)."""

    basis: str
    challenges: int
    reactions: int
    reason: str


def distribution(
    intervals: Sequence[ThresholdInterval],
    *,
    basis: str,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = 2020,
) -> Distribution | NotEstimable:
    """Fit the three models, average them, and estimate ED01/ED05/ED10 with bootstrap confidence intervals."""
    data = Brackets.of(intervals)
    refusal = _refusal(data)
    if refusal:
        return NotEstimable(basis=basis, challenges=data.total, reactions=data.reactions, reason=refusal)
    fits = tuple(fit_model(model, data) for model in MODELS)
    weights = tuple(akaike_weights(fits))
    fractions = [float(f) for f in ED_FRACTIONS]
    point = [averaged_ed(fits, weights, p) for p in fractions]
    samples = _bootstrap(data, fits, fractions, replicates=replicates, seed=seed)
    alpha = (1 - CONFIDENCE) / 2
    lowest = float(min(data.lower[data.lower > 0].min(initial=math.inf), data.upper.min()))
    estimates = tuple(
        Estimate(
            fraction=fraction,
            mg=mg,
            low_mg=float(np.quantile(samples[:, i], alpha)),
            high_mg=float(np.quantile(samples[:, i], 1 - alpha)),
            below_lowest_dose=mg < lowest,
        )
        for i, (fraction, mg) in enumerate(zip(ED_FRACTIONS, point, strict=True))
    )
    return Distribution(
        basis=basis,
        challenges=data.total,
        reactions=data.reactions,
        fits=fits,
        weights=weights,
        estimates=estimates,
        warnings=_warnings(data, estimates),
        replicates=replicates,
    )


def _refusal(data: Brackets) -> str:
    if data.reactions < MIN_REACTIONS:
        return (
            f"Not estimated: {data.reactions} challenge(s) with a reaction; at least {MIN_REACTIONS} are needed "
            "before a distribution can be fitted."
        )
    if len(set(zip(data.lower.tolist(), data.upper.tolist(), strict=True))) < 2:
        return "Not estimated: every challenge gave the same interval, which fixes no distribution."
    return ""


def _bootstrap(
    data: Brackets, fits: Sequence[ModelFit], fractions: Sequence[float], *, replicates: int, seed: int
) -> np.ndarray:
    """Resample challenges with replacement (multinomial counts over the brackets), refit, re-weight, re-read.

    Every replicate has the same brackets with other counts, so all replicates of a model are refitted at once
    (vectorised Newton steps from the full-data estimate, see _refit_all).
    """
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(data.total, data.count / data.count.sum(), size=replicates).astype(float)
    refits = {f.model: _refit_all(f, data, counts) for f in fits}
    out = np.empty((replicates, len(fractions)))
    for r in range(replicates):
        replicate = [ModelFit(m, float(mu[r]), float(sigma[r]), float(ll[r])) for m, (mu, sigma, ll) in refits.items()]
        weights = akaike_weights(replicate)
        out[r] = [averaged_ed(replicate, weights, p) for p in fractions]
    return out


def _log_probabilities(model: str, mu: np.ndarray, sigma: np.ndarray, data: Brackets) -> np.ndarray:
    """log P(bracket) for each (mu, sigma) row and each bracket column; -inf where a bracket has no probability."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_lower = np.where(data.lower > 0, np.log(np.where(data.lower > 0, data.lower, 1.0)), -np.inf)
        log_upper = np.log(data.upper)
        z_lower = (log_lower[None, :] - mu[:, None]) / sigma[:, None]
        z_upper = (log_upper[None, :] - mu[:, None]) / sigma[:, None]
        sf_lower, sf_upper = _log_sf_array(model, z_lower), _log_sf_array(model, z_upper)
        interval = sf_lower + np.log(-np.expm1(sf_upper - sf_lower))
        result = np.where(
            np.isneginf(log_lower)[None, :],
            _log_cdf_array(model, z_upper),
            np.where(np.isposinf(log_upper)[None, :], sf_lower, interval),
        )
    return np.where(np.isnan(result), -np.inf, result)


def _log_cdf_array(model: str, z: np.ndarray) -> np.ndarray:
    if model == LOG_NORMAL:
        return special.log_ndtr(z)
    if model == LOG_LOGISTIC:
        return -np.logaddexp(0.0, -z)
    return np.where(z < -30, z, np.log(-np.expm1(-np.exp(z))))  # Weibull: log(1 - exp(-e^z)) ~ z far left


def _log_sf_array(model: str, z: np.ndarray) -> np.ndarray:
    if model == LOG_NORMAL:
        return special.log_ndtr(-z)
    if model == LOG_LOGISTIC:
        return -np.logaddexp(0.0, z)
    return -np.exp(z)


def _log_likelihoods(model: str, theta: np.ndarray, data: Brackets, counts: np.ndarray) -> np.ndarray:
    """The log-likelihood of each replicate (row of counts) at its own (mu, log sigma) row of theta."""
    logp = _log_probabilities(model, theta[:, 0], np.exp(theta[:, 1]), data)
    with np.errstate(invalid="ignore"):
        terms = np.where(counts > 0, counts * logp, 0.0)
    return terms.sum(axis=1)


def _refit_all(fit: ModelFit, data: Brackets, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum-likelihood (mu, sigma, log-likelihood) for every row of counts: damped Newton steps on
    (mu, log sigma) with finite-difference derivatives, from the full-data estimate, kept inside _bounds."""
    (mu_low, mu_high), (ls_low, ls_high) = _bounds(data)
    low, high = np.array([mu_low, ls_low]), np.array([mu_high, ls_high])
    theta = np.tile([fit.mu, math.log(fit.sigma)], (len(counts), 1))
    current = _log_likelihoods(fit.model, theta, data, counts)
    h = 1e-4
    for _ in range(60):
        gradient, hessian = _derivatives(fit.model, theta, data, counts, current, h)
        step = _newton_step(gradient, hessian)
        scale = np.ones(len(theta))
        for _ in range(30):  # halve each replicate's step until its likelihood does not fall
            trial = np.clip(theta + scale[:, None] * step, low, high)
            value = _log_likelihoods(fit.model, trial, data, counts)
            better = value >= current - 1e-12
            if better.all():
                break
            scale = np.where(better, scale, scale / 2)
        moved = np.where(better[:, None], trial, theta)
        done = np.abs(moved - theta).max() < 1e-7
        theta, current = moved, np.where(better, value, current)
        if done:
            break
    return theta[:, 0], np.exp(theta[:, 1]), current


def _derivatives(
    model: str, theta: np.ndarray, data: Brackets, counts: np.ndarray, centre: np.ndarray, h: float
) -> tuple[np.ndarray, np.ndarray]:
    """Central finite-difference gradient (n, 2) and Hessian (n, 2, 2) of each replicate's log-likelihood."""

    def at(d_mu: float, d_ls: float) -> np.ndarray:
        return _log_likelihoods(model, theta + np.array([d_mu, d_ls]), data, counts)

    f_p0, f_m0, f_0p, f_0m = at(h, 0), at(-h, 0), at(0, h), at(0, -h)
    f_pp, f_pm, f_mp, f_mm = at(h, h), at(h, -h), at(-h, h), at(-h, -h)
    gradient = np.stack([(f_p0 - f_m0) / (2 * h), (f_0p - f_0m) / (2 * h)], axis=1)
    h_mm = (f_p0 - 2 * centre + f_m0) / h**2
    h_ss = (f_0p - 2 * centre + f_0m) / h**2
    h_ms = (f_pp - f_pm - f_mp + f_mm) / (4 * h**2)
    hessian = np.stack([np.stack([h_mm, h_ms], axis=1), np.stack([h_ms, h_ss], axis=1)], axis=1)
    return np.nan_to_num(gradient), np.nan_to_num(hessian)


def _newton_step(gradient: np.ndarray, hessian: np.ndarray) -> np.ndarray:
    """The Newton step for a maximum where the Hessian is negative definite; a short gradient step elsewhere."""
    a, b, d = hessian[:, 0, 0], hessian[:, 0, 1], hessian[:, 1, 1]
    det = a * d - b * b
    concave = (a < 0) & (det > 0)
    safe_det = np.where(concave, det, 1.0)
    newton = -np.stack([(d * gradient[:, 0] - b * gradient[:, 1]), (a * gradient[:, 1] - b * gradient[:, 0])], axis=1)
    newton = newton / safe_det[:, None]
    norm = np.maximum(np.linalg.norm(gradient, axis=1), 1e-300)
    ascent = gradient / norm[:, None] * np.minimum(0.5, norm)[:, None]
    return np.where(concave[:, None], newton, ascent)


def _warnings(data: Brackets, estimates: Sequence[Estimate]) -> tuple[str, ...]:
    found = []
    if data.reactions < FEW_REACTIONS:
        found.append(
            f"Few data: {data.reactions} challenges with a reaction (fewer than {FEW_REACTIONS}). The intervals "
            "are wide; do not use these figures as reference doses."
        )
    extrapolated = [e.label for e in estimates if e.below_lowest_dose]
    if extrapolated:
        found.append(
            f"{', '.join(extrapolated)} lie below the lowest dose given: the model extrapolates there, and the "
            "shape of the distribution in that tail is not observed."
        )
    for e in estimates:
        if e.high_mg > 0 and e.low_mg > 0 and e.high_mg / e.low_mg > 100:
            found.append(f"The 95 % interval of {e.label} spans more than a hundredfold.")
            break
    return tuple(found)


# --- wording ----------------------------------------------------------------------------------------------------


def significant(value: float, figures: int = 3) -> Decimal:
    """A float rounded to `figures` significant figures, as a Decimal without an exponent (4443.2 -> 4440)."""
    if value == 0 or not math.isfinite(value):
        return Decimal(0)
    return Decimal(f"{value:.{figures}g}")  # format_decimal writes it out without the exponent


def dose_text(value_mg: float) -> str:
    """ "25.3 mg", "0.052 mg", "4,440 mg": three significant figures and the unit."""
    return format_quantity(significant(value_mg), "mg")


def estimate_text(estimate: Estimate) -> str:
    """ "ED05 25.3 mg (95 % CI 9.1 mg to 61 mg)"."""
    return (
        f"{estimate.label} {dose_text(estimate.mg)} "
        f"(95 % CI {dose_text(estimate.low_mg)} to {dose_text(estimate.high_mg)})"
    )


def weibull_parameters(fit: ModelFit) -> tuple[float, float]:
    """A Weibull fit as scale (mg) and shape: S(d) = exp(-(d / scale) ** shape)."""
    return math.exp(fit.mu), 1 / fit.sigma


def log_logistic_parameters(fit: ModelFit) -> tuple[float, float]:
    """A log-logistic fit as scale alpha (mg, the median) and shape beta: S(d) = 1 / (1 + (d / alpha) ** beta)."""
    return math.exp(fit.mu), 1 / fit.sigma
