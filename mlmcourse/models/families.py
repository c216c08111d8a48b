"""The response families of a generalized linear mixed model, a thin layer over statsmodels.

Used by the deviance stage of a GLMM (`glmm.py`) and its result (`glm_result.py`).  statsmodels'
``statsmodels.genmod.families`` supplies the link, its inverse and derivative, the variance
function, the log-likelihood of each observation and the deviance residuals; this module only
binds a family to the outcome (the number of binomial trials), keeps the linear predictor where
R keeps it (the logit's inverse is clamped at +-30 as R's ``binomial()`` does) and gives the
IRLS weights and working response that penalized iteratively reweighted least squares needs.
Both links are canonical (logit, log), so the IRLS step is Newton's step.
"""
import numpy as np
from statsmodels.genmod import families as sm_families

FAMILIES = ("gaussian", "binomial", "poisson")
_LOGIT_LIMIT = 30.0  # R's THRESH in family.c: the logit's inverse is flat beyond +-30


class Family:
    """A binomial (logit link) or Poisson (log link) family bound to one outcome.

    Parameters
    ----------
    name : {"binomial", "poisson"}
    trials : numpy.ndarray, optional
        Binomial trials per row (1 for a 0/1 outcome); the outcome is then the proportion of
        successes, as in R's ``glm``.

    Examples
    --------
    >>> family = Family("poisson")
    >>> y = np.array([0.0, 2.0, 5.0])
    >>> family.mean(np.log(y + 1)).round(6).tolist()
    [1.0, 3.0, 6.0]
    >>> round(float(-2 * family.loglike(y, family.mean(np.log(y + 1))).sum()), 4)
    8.6492
    """

    def __init__(self, name, trials=None):
        if name not in ("binomial", "poisson"):
            raise ValueError(f"no GLMM family {name!r}")
        self.name = name
        self.link_name = "logit" if name == "binomial" else "log"
        self.sm = sm_families.Binomial() if name == "binomial" else sm_families.Poisson()
        self.trials = None
        if name == "binomial":
            self.trials = np.ones(1) if trials is None else np.asarray(trials, float)
            self.sm.n = self.trials  # statsmodels reads the trials from here

    def _clamp(self, eta):
        return np.clip(eta, -_LOGIT_LIMIT, _LOGIT_LIMIT) if self.name == "binomial" else eta

    def mean(self, eta):
        """The mean mu = g^{-1}(eta) (a probability for the binomial)."""
        mu = self.sm.link.inverse(self._clamp(eta))
        if self.name == "poisson":
            mu = np.maximum(mu, np.finfo(float).eps)  # as R's poisson()$linkinv
        return mu

    def mu_eta(self, eta):
        """d mu / d eta."""
        if self.name == "poisson":
            return self.mean(eta)
        d = self.sm.link.inverse_deriv(self._clamp(eta))
        return np.where(np.abs(eta) > _LOGIT_LIMIT, np.finfo(float).eps, d)

    def variance(self, mu):
        """Variance function V(mu) per unit of prior weight."""
        return self.sm.variance(mu)

    def prior_weights(self, n):
        """Prior weights: the trials for the binomial, ones for the Poisson."""
        if self.name == "binomial":
            return np.broadcast_to(self.trials, (n,)).astype(float)
        return np.ones(n)

    def irls(self, y, eta, offset):
        """IRLS weights and working response (on the scale of eta minus the offset)."""
        mu = self.mean(eta)
        d = self.mu_eta(eta)
        weights = self.prior_weights(len(y)) * d ** 2 / self.variance(mu)
        working = eta - offset + (y - mu) / d
        return weights, working, mu

    def weight_derivative(self, mu, weights):
        """d w / d eta of the IRLS weights w (canonical links: w = prior weight x V(mu))."""
        return weights * (1 - 2 * mu) if self.name == "binomial" else weights

    def loglike(self, y, mu):
        """Each row's full log-likelihood: R's ``family$aic`` is -2 times its sum."""
        return self.sm.loglike_obs(y, mu)

    def deviance_residuals(self, y, mu):
        """Squared deviance residuals (R's ``family$dev.resid``)."""
        return self.sm._resid_dev(y, mu)

    def pearson_residuals(self, y, mu):
        """(y - mu) / sqrt(V(mu) / prior weight)."""
        return (y - mu) / np.sqrt(self.variance(mu) / self.prior_weights(len(y)))
