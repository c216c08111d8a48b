"""Optimisation and its checks, the fourth stage: the theta that minimises the deviance.

Takes the :class:`~mlmcourse.models.deviance.ProfiledDeviance` from `deviance.py` and hands
`result.py` theta (in lme4's canonical form), whether the optimum passed lme4's convergence
check, and the optimizers tried.

theta is unconstrained: L L' is a covariance matrix whatever the signs in L, so a variance can
pass through zero instead of sticking to a bound (the trap that leaves a bounded optimizer at a
corner).  Convergence is judged as lme4's ``checkConv`` judges it: the gradient and Hessian of
the deviance by central differences, the gradient scaled by the Cholesky factor of the Hessian,
and the largest of ``min(|scaled|, |gradient|)`` below 0.002; so a deviance that grows with the
number of rows does not raise false alarms.  Optimisation and check both work in well-scaled
coordinates, theta times the root mean square of its random-effect column, so that a slope on
a predictor measured in tiny units (theta near 1e-5) is as easy to optimise and to check as one
on a standardised predictor.
"""
import numpy as np
from scipy import linalg, optimize

SINGULAR_TOLERANCE = 1e-4  # lme4's isSingular(): a relative Cholesky diagonal below this
GRADIENT_TOLERANCE = 2e-3  # lme4's check.conv.grad
_STEP = 1e-4               # lme4's deriv12 step


def start(design):
    """lme4's start: identity templates (diagonal 1, off-diagonal 0)."""
    return np.concatenate([(f.tril[0] == f.tril[1]).astype(float) for f in design.factors])


def canonical(design, theta):
    """The same covariances with non-negative diagonals in every template (as lme4 reports)."""
    out = []
    for factor, piece in zip(design.factors, design.split_theta(theta)):
        L = factor.template(piece)
        L = L * np.where(np.diag(L) < 0, -1.0, 1.0)
        out.append(L[factor.tril])
    return np.concatenate(out) if out else np.zeros(0)


def is_singular(design, theta):
    """lme4's rule: a diagonal element of a relative covariance factor below the tolerance."""
    diagonal = np.concatenate([piece[f.tril[0] == f.tril[1]]
                               for f, piece in zip(design.factors, design.split_theta(theta))])
    return bool(np.any(np.abs(diagonal) < SINGULAR_TOLERANCE))


def derivatives(deviance, x, step=_STEP):
    """Gradient and Hessian of the deviance at `x` by central differences (lme4's deriv12).

    All the points are evaluated in one batch (``deviance.many``).
    """
    k = len(x)
    eye = np.eye(k) * step
    pairs = [(i, j) for i in range(k) for j in range(i)]
    points = [x] + [x + e for e in eye] + [x - e for e in eye]
    for i, j in pairs:
        points += [x + eye[i] + eye[j], x + eye[i] - eye[j], x - eye[i] + eye[j],
                   x - eye[i] - eye[j]]
    values = deviance.many(np.array(points))
    f0, up, down = values[0], values[1:k + 1], values[k + 1:2 * k + 1]
    gradient = (up - down) / (2 * step)
    hessian = np.diag((up - 2 * f0 + down) / step ** 2)
    for n, (i, j) in enumerate(pairs):
        a, b, c, d = values[2 * k + 1 + 4 * n: 2 * k + 5 + 4 * n]
        hessian[i, j] = hessian[j, i] = (a - b - c + d) / (4 * step ** 2)
    return gradient, hessian


def is_converged(deviance, theta):
    """lme4's checkConv: max(min(|R^{-1} g|, |g|)) < 0.002, with H = R'R (g, H by deriv12)."""
    if len(theta) == 0:
        return True
    if not np.isfinite(deviance(theta)):
        return False
    gradient, hessian = derivatives(deviance, theta)
    if not np.all(np.isfinite(gradient)):
        return False
    try:
        R = linalg.cholesky(hessian, lower=False)
        scaled = np.abs(linalg.solve_triangular(R, gradient))
    except (linalg.LinAlgError, ValueError):
        scaled = np.abs(gradient)  # a flat direction (a boundary fit): the gradient alone
    return bool(np.max(np.minimum(scaled, np.abs(gradient))) < GRADIENT_TOLERANCE)


def newton_polish(deviance, theta):
    """One Newton step from `theta` (gradient and Hessian by deriv12), kept if it lowers the
    deviance: BFGS stops once the gradient is small, and the step takes the estimates the rest
    of the way to the optimum, so that their printed digits do not depend on where it stopped.
    """
    if len(theta) == 0:
        return theta
    gradient, hessian = derivatives(deviance, theta)
    try:
        step = linalg.solve(hessian, gradient, assume_a="pos")
    except (linalg.LinAlgError, ValueError):
        return theta
    candidate = theta - step
    return candidate if deviance(candidate) < deviance(theta) else theta


def _gradient(deviance, theta, step=1e-5):
    """Central-difference gradient for the optimizer, its points in one batch."""
    h = np.diag(step * np.maximum(1.0, np.abs(theta)))
    values = deviance.many(np.concatenate([theta + h, theta - h]))
    k = len(theta)
    return (values[:k] - values[k:]) / (2 * np.diag(h))


def _minimize(method, deviance, start, options):
    jac = (lambda t: _gradient(deviance, t)) if method == "BFGS" else None
    with np.errstate(all="ignore"):  # far-out trial steps may overflow; they score inf
        return optimize.minimize(deviance, start, method=method, jac=jac, options=options).x


def _bfgs(deviance, start, gtol=1e-8):
    return _minimize("BFGS", deviance, start, {"gtol": gtol, "maxiter": 2000})


def _nelder_mead(deviance, start):
    found = _minimize("Nelder-Mead", deviance, start,
                      {"xatol": 1e-9, "fatol": 1e-12, "maxfev": 20000, "adaptive": True})
    return _bfgs(deviance, found)


def _powell(deviance, start):
    found = _minimize("Powell", deviance, start, {"xtol": 1e-9, "ftol": 1e-13, "maxfev": 20000})
    return _bfgs(deviance, found)


def theta_scales(design):
    """The natural scale of each theta: the RMS of the model column that its row multiplies."""
    out = []
    for factor in design.factors:
        rms = np.sqrt(np.mean(factor.values ** 2, axis=0))
        rms = np.where(rms > 0, rms, 1.0)
        out.append(rms[factor.tril[0]])  # L[i, j] scales effect i, which multiplies column i
    return np.concatenate(out) if out else np.zeros(0)


class Scaled:
    """The deviance as a function of phi = theta * scales (``many`` batched, as the original)."""

    def __init__(self, deviance, scales):
        self.deviance, self.scales, self.n_theta = deviance, scales, deviance.n_theta

    def __call__(self, phi):
        return self.deviance(np.asarray(phi) / self.scales)

    def many(self, phis):
        return self.deviance.many(np.atleast_2d(phis) / self.scales)


def minimize(deviance, design, theta0=None):
    """Minimise the deviance; returns (theta, converged, optimizers tried).

    Works on the well-scaled coordinates of :func:`theta_scales` (see the module docstring),
    starting where lme4 would on standardised columns, or at `theta0` (a refit near a known
    optimum).
    """
    if deviance.n_theta == 0:
        return np.zeros(0), True, []
    scales = theta_scales(design)
    phi0 = start(design) if theta0 is None else np.asarray(theta0, float) * scales
    phi, converged, tried = _minimize_scaled(Scaled(deviance, scales), design, scales, phi0)
    return canonical(design, phi / scales), converged, tried


COSTLY_SCHUR = 500  # columns of the other factors from which an evaluation costs milliseconds


def _costly(design):
    """True when the factors after the first have many columns (crossed or large nested designs).

    Each evaluation then factorises a Schur complement of that size, and the derivative-free
    trust-region method COBYQA (Powell's successor to lme4's BOBYQA) needs about half the
    evaluations of BFGS with central-difference gradients; for cheap evaluations BFGS is faster.
    """
    return sum(f.size for f in design.factors[1:]) >= COSTLY_SCHUR


def _cobyqa(deviance, start):
    with np.errstate(all="ignore"):
        return optimize.minimize(deviance, start, method="COBYQA",
                                 options={"maxfev": 200 * (len(start) + 1)}).x


def _first_gtol(deviance, start):
    """The gradient tolerance of the first BFGS run: 1e-4, or more for a huge deviance.

    A central difference carries rounding noise of about |deviance| * 1e-16 / 1e-5; at 10^6
    rows (a deviance near 3e6) that is above 1e-4, BFGS cannot meet the tolerance and spends
    hundreds of evaluations in failing line searches.  The Newton step and lme4's check that
    follow judge convergence on the Hessian's scale.
    """
    value = deviance(start)
    return max(1e-4, 1e-9 * abs(value)) if np.isfinite(value) else 1e-4


def _minimize_scaled(deviance, design, scales, first):
    """Minimise the scaled deviance from phi = `first`; returns (phi, converged, tried).

    A cheap BFGS run comes first and is kept when it passes the convergence check and the fit
    is not singular.  A boundary (singular) optimum may be a local one, so BFGS also runs from
    seeded random starts; a failed check adds Powell and Nelder-Mead.  The lowest deviance wins,
    polished by a last BFGS run.
    """
    if _costly(design):
        theta, tried = newton_polish(deviance, _cobyqa(deviance, first)), ["COBYQA"]
    else:
        theta = newton_polish(deviance, _bfgs(deviance, first, gtol=_first_gtol(deviance, first)))
        tried = ["BFGS"]
    converged = is_converged(deviance, theta)
    if converged and not is_singular(design, canonical(design, theta / scales)):
        return theta, True, tried
    rng = np.random.default_rng(20240501)
    candidates = [theta]
    for _ in range(3):
        candidates.append(_bfgs(deviance, start(design) + rng.normal(0, 0.5, theta.shape),
                                gtol=1e-4))
        tried.append("BFGS (random start)")
    if not converged:
        candidates += [_powell(deviance, theta), _nelder_mead(deviance, theta)]
        tried += ["Powell", "Nelder-Mead"]
    best = newton_polish(deviance, _bfgs(deviance, min(candidates, key=deviance)))
    return best, is_converged(deviance, best), tried
