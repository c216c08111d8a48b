"""Satterthwaite degrees of freedom for the fixed effects of a linear mixed model, as lmerTest.

Takes a fitted :class:`~mlmcourse.models.result.FitResult` and its deviance core; hands
`result.py` one df per fixed effect, for t tests and t intervals.

lmerTest's algorithm (Kuznetsova, Brockhoff and Christensen 2017): the variance parameters are
``varpar = (theta, sigma)``, lme4's relative Cholesky entries and the residual SD.  Their
asymptotic covariance is ``A = 2 H^+``, with H the Hessian of the (RE)ML deviance written as a
function of both (sigma not profiled out),

    d(theta, sigma) = log|L|^2 + pwrss / sigma^2 + n log(2 pi sigma^2)
                      [+ log|R_X|^2 - p log(2 pi sigma^2) for REML],

and ``H^+`` its inverse on the eigenvalues above 1e-8.  For the j-th coefficient, with
``C(varpar) = sigma^2 (X'V^{-1}X)^{-1}`` the covariance of beta-hat and g the gradient of
``C_jj`` with respect to varpar,

    df_j = 2 C_jj^2 / (g' A g).

The derivatives are numDeriv's Richardson extrapolation with lmerTest's settings (``hessian``:
relative step 0.1, ``jacobian``: 1e-4; four halvings), so that boundary fits, where the
answer depends on the differencing, agree with lmerTest too.
"""
import numpy as np

_ZERO_TOL = np.sqrt(np.finfo(float).eps / 7e-7)  # numDeriv's zero.tol
_EIGEN_TOL = 1e-8                                 # lmerTest's tol


def satterthwaite_df(deviance, theta, sigma):
    """One Satterthwaite df per fixed effect of the linear model at (theta, sigma).

    Parameters
    ----------
    deviance : ProfiledDeviance
        The fit's deviance core (its ``reml`` says which criterion).
    theta : array
        The estimated relative covariance parameters.
    sigma : float
        The estimated residual SD.

    Returns
    -------
    numpy.ndarray
        The df of each coefficient, in the order of the columns of X.

    Examples
    --------
    >>> import mlmcourse
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
    ...                       mlmcourse.load_dataset("sleepstudy"))
    >>> satterthwaite_df(model._deviance, model._theta, model.sigma).round(2).tolist()
    [17.0, 17.0]
    """
    varpar = np.append(np.asarray(theta, float), sigma)
    deviance = _Memo(deviance)  # steps in sigma alone reuse the factorisation at theta
    hessian = _richardson(lambda v: np.array([_deviance_vp(deviance, v)]), varpar, d=0.1,
                          second=True)[1][0]
    values, vectors = np.linalg.eigh(hessian)
    keep = values > _EIGEN_TOL
    A = 2 * (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
    p = deviance.p
    jacobian = _richardson(lambda v: np.diag(_covbeta(deviance, v)), varpar, d=1e-4)[0]
    variance = np.diag(_covbeta(deviance, varpar))
    denominator = np.einsum("ji,ik,jk->j", jacobian, A, jacobian)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = 2 * variance ** 2 / denominator
    return np.where(np.isfinite(df), df, np.inf)[:p]


class _Memo:
    """The deviance core with its last factorisations kept, by theta."""

    def __init__(self, deviance):
        self.core, self.states = deviance, {}
        self.n, self.p, self.reml = deviance.n, deviance.p, deviance.reml

    def factorize(self, theta):
        key = np.asarray(theta, float).tobytes()
        if key not in self.states:
            self.states[key] = self.core.factorize(theta)
        return self.states[key]


def _deviance_vp(deviance, varpar):
    """lmerTest's devfun_vp: the (RE)ML deviance at theta with sigma given, not profiled."""
    theta, sigma2 = varpar[:-1], varpar[-1] ** 2
    try:
        state = deviance.factorize(theta)
    except (np.linalg.LinAlgError, ValueError, RuntimeError):
        return np.inf
    n, p = deviance.n, deviance.p
    value = state["logdet"] + state["pwrss"] / sigma2 + n * np.log(2 * np.pi * sigma2)
    if deviance.reml:
        logdet_x = np.linalg.slogdet(state["xvx"])[1] if p else 0.0
        value += logdet_x - p * np.log(2 * np.pi * sigma2)
    return value


def _covbeta(deviance, varpar):
    """lmerTest's get_covbeta: sigma^2 (X'V^{-1}X)^{-1} at theta."""
    state = deviance.factorize(varpar[:-1])
    return varpar[-1] ** 2 * np.linalg.inv(state["xvx"])


def _richardson(func, x, d, eps=1e-4, r=4, v=2, second=False):
    """numDeriv's genD: Richardson-extrapolated central differences of a vector function.

    Returns the Jacobian (m x n) and, when `second`, the Hessians (m x n x n).
    """
    x = np.asarray(x, float)
    n = len(x)
    f0 = func(x)
    h0 = np.abs(d * x) + eps * (np.abs(x) < _ZERO_TOL)
    eye = np.eye(n)
    jacobian = np.empty((len(f0), n))
    hessian = np.empty((len(f0), n, n))
    for i in range(n):
        first, curvature = [], []
        for k in range(r):
            h = h0[i] / v ** k
            up, down = func(x + h * eye[i]), func(x - h * eye[i])
            first.append((up - down) / (2 * h))
            curvature.append((up - 2 * f0 + down) / h ** 2)
        jacobian[:, i] = _extrapolate(first)
        if second:
            hessian[:, i, i] = _extrapolate(curvature)
    if second:
        for i in range(n):
            for j in range(i):
                mixed = []
                for k in range(r):
                    h = h0 / v ** k
                    step = h[i] * eye[i] + h[j] * eye[j]
                    up, down = func(x + step), func(x - step)
                    mixed.append((up - 2 * f0 + down - hessian[:, i, i] * h[i] ** 2
                                  - hessian[:, j, j] * h[j] ** 2) / (2 * h[i] * h[j]))
                hessian[:, i, j] = hessian[:, j, i] = _extrapolate(mixed)
    return jacobian, hessian


def _extrapolate(estimates):
    """Richardson's extrapolation of estimates at steps h, h/2, h/4, ... (error in h^2)."""
    a = list(estimates)
    for m in range(1, len(a)):
        a = [(a[k + 1] * 4 ** m - a[k]) / (4 ** m - 1) for k in range(len(a) - 1)]
    return a[0]
