"""The fitted result, the last stage of a fit: tidy tables and numbers at the optimum.

Takes the design, the deviance core and the optimum theta; everything a reader asks of a fit
(``fixef``, ``varcorr``, ``ranef``, ``coef``, predictions, the text summary) is computed here
from one factorisation at theta.  The statsmodels bridge lives in `to_statsmodels.py`, the text
in `summary.py`.
"""
import warnings
from functools import cached_property

import numpy as np
import pandas as pd
import patsy
from scipy import linalg, stats

from mlmcourse.models.design import labels_of, offset_values
from mlmcourse.models.formula import FormulaError, check_columns
from mlmcourse.models.optimize import is_singular

class ModelWarning(UserWarning):
    """Something about a fit that the user should know: dropped rows, a boundary fit.

    Examples
    --------
    >>> import warnings, mlmcourse
    >>> radon = mlmcourse.load_dataset("radon")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     model = mlmcourse.fit("log_radon ~ floor + uranium + (uranium | county)", radon)
    >>> caught[0].category.__name__, model.singular
    ('ModelWarning', True)
    """


class FitResult:
    """A fitted linear mixed model; see :func:`~mlmcourse.fit`.

    Attributes hold tidy tables (``fixef``, ``varcorr``, ``ranef``, ``coef``)
    and numbers (``llf``, ``aic``, ``bic``, ``icc``...); ``statsmodels`` gives
    the statsmodels ``MixedLMResults`` at the same optimum.

    Examples
    --------
    >>> import mlmcourse
    >>> radon = mlmcourse.load_dataset("radon")
    >>> model = mlmcourse.fit("log_radon ~ floor + (1 | county)", radon)
    >>> model.nobs, model.ngroups
    (919, {'county': 85})
    """

    def __init__(self, parsed, reml, data, design, deviance, theta, converged, tried, env,
                 weights=None):
        self.formula = parsed.text
        self.reml = reml
        self.response = parsed.response
        self.group_names = parsed.group_names
        self.weights = weights
        self.nobs = len(design.y)
        sizes = {f.name: len(f.levels) for f in design.factors}
        self.ngroups = {f: sizes[f] for f in self.group_names}
        self.converged = converged
        self.optimizers = tried
        self._parsed, self._design, self._deviance, self._theta = parsed, design, deviance, theta
        self.data = data  # the caller's rows that the fit used, all columns
        self._env = env
        self._y, self._X, self._blocks, self._labels = design.y, design.X, design.blocks, \
            design.labels
        self._state = deviance.factorize(theta)
        self.llf = -0.5 * self._state["deviance"]
        self._sigma2 = self._state["pwrss"] / (self.nobs - (deviance.p if reml else 0))
        p = deviance.p
        self._beta = self._state["beta"]
        self._beta_cov = self._sigma2 * np.linalg.inv(self._state["xvx"]) if p else None
        self.singular = is_singular(design, theta)

    # -- numbers --------------------------------------------------------------
    @property
    def npar(self):
        """Number of estimated parameters: fixed effects, covariance parameters, residual SD."""
        return self._deviance.p + self._deviance.n_theta + 1

    @property
    def aic(self):
        """Akaike's information criterion, -2 llf + 2 npar (REML criterion for REML fits)."""
        return -2 * self.llf + 2 * self.npar

    @property
    def bic(self):
        """Bayesian information criterion, -2 llf + log(nobs) npar."""
        return -2 * self.llf + np.log(self.nobs) * self.npar

    @property
    def sigma(self):
        """Residual standard deviation."""
        return float(np.sqrt(self._sigma2))

    @property
    def icc(self):
        """Intraclass correlation: between-group share of variance (random intercepts only).

        Examples
        --------
        >>> import mlmcourse
        >>> hsb = mlmcourse.load_dataset("hsb")
        >>> round(mlmcourse.fit("mathach ~ 1 + (1 | school)", hsb).icc, 3)
        0.18
        """
        between = self._intercept_variance()
        return float(between / (between + self._sigma2))

    def _intercept_variance(self):
        """The one random intercept's variance; an error for any other random part (ICCs)."""
        if len(self._blocks) != 1 or self._blocks[0].terms != ["Intercept"]:
            raise ValueError("The intraclass correlation is defined here for models with one "
                             "random intercept and nothing else random; this model has "
                             + ", ".join(f"{t} | {b.factor}" for b in self._blocks for t in b.terms)
                             + ". Compare the variances in .varcorr instead.")
        return self.varcorr["variance"].iloc[0]

    def _problems(self):
        notes = []
        if not self.converged:
            notes.append("The optimizer did not reach a point where the likelihood is flat "
                         f"(tried {', '.join(self.optimizers)}); treat the estimates with care.")
        if self.singular:
            notes.append("Boundary (singular) fit: a random-effect variance is estimated at or "
                         "near zero, or a correlation at +-1; the random part may be simpler "
                         "than the formula says.")
        return notes

    # -- tables ---------------------------------------------------------------
    @cached_property
    def fixef(self):
        """Fixed effects: estimate, SE, Satterthwaite df, t, p and 95% t interval, by term.

        Standard errors are lme4's, conditional on the estimated variances; the df are lmerTest's
        Satterthwaite approximation (:mod:`~mlmcourse.models.satterthwaite`), and t, p and the
        interval use the t distribution with those df.  A GLMM's table has Wald z instead.

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.fixef[["estimate", "se", "df", "t", "ci_lower", "ci_upper"]].round(2)
                   estimate    se    df      t  ci_lower  ci_upper
        term
        Intercept    251.41  6.82  17.0  36.84    237.01    265.80
        Days          10.47  1.55  17.0   6.77      7.21     13.73
        """
        names = list(self._X.columns)
        se = np.sqrt(np.diag(self._beta_cov)) if len(names) else np.zeros(0)
        return fixef_table(names, self._beta, se, self._fixef_df())

    def _fixef_df(self):
        """Satterthwaite df of each fixed effect (None: Wald z, as for a GLMM)."""
        from mlmcourse.models.satterthwaite import satterthwaite_df
        if self._deviance.p == 0:
            return np.zeros(0)
        return satterthwaite_df(self._deviance, self._theta, self.sigma)

    @cached_property
    def varcorr(self):
        """Random-effect variances, SDs and correlations with the group's first term.

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.varcorr.round(3)
              group       term  variance      sd   corr
        0   Subject  Intercept   612.090  24.740    NaN
        1   Subject       Days    35.072   5.922  0.066
        2  Residual              654.941  25.592    NaN
        """
        rows = []
        for factor in self.group_names:
            for block, cov in self._block_covariances():
                if block.factor != factor:
                    continue
                sd = np.sqrt(np.diag(cov))
                for i, term in enumerate(block.terms):
                    corr = cov[i, 0] / (sd[i] * sd[0]) if i > 0 and sd[i] * sd[0] > 0 else np.nan
                    rows.append({"group": factor, "term": term, "variance": cov[i, i],
                                 "sd": sd[i], "corr": corr})
        rows.append({"group": "Residual", "term": "", "variance": self._sigma2,
                     "sd": self.sigma, "corr": np.nan})
        return pd.DataFrame(rows)

    def covariance(self, group):
        """Covariance matrix of one grouping factor's random effects (lme4's VarCorr matrix).

        Parameters
        ----------
        group : str
            A grouping factor as in :attr:`group_names`.

        Returns
        -------
        pandas.DataFrame
            Terms by terms; zero between terms written as uncorrelated.

        Examples
        --------
        >>> import mlmcourse
        >>> sleep = mlmcourse.load_dataset("sleepstudy")
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
        >>> model.covariance("Subject").round(1)
                   Intercept  Days
        Intercept      612.1   9.6
        Days             9.6  35.1
        """
        if group not in self.group_names:
            check_columns([group], self.group_names, "covariance()")
        pieces = [(b, cov) for b, cov in self._block_covariances() if b.factor == group]
        terms = [t for b, _ in pieces for t in b.terms]
        matrix = linalg.block_diag(*[cov for _, cov in pieces])
        return pd.DataFrame(matrix, index=terms, columns=terms)

    def _factor_covariances(self):
        """sigma^2 L L' for every factor (in the design's elimination order)."""
        design = self._design
        return [self._sigma2 * (L := f.template(piece)) @ L.T
                for f, piece in zip(design.factors, design.split_theta(self._theta))]

    def _block_covariances(self):
        """(block, covariance matrix) for every block, in the order of the formula."""
        out = {}
        for factor, cov in zip(self._design.factors, self._factor_covariances()):
            start = 0
            for block in factor.blocks:
                k = len(block.terms)
                out[id(block)] = cov[start:start + k, start:start + k]
                start += k
        return [(block, out[id(block)]) for block in self._blocks]

    @cached_property
    def _modes(self):
        """Conditional modes b, one (levels x k) array per factor, by factor name."""
        modes = self._deviance.modes(self._state)
        return {f.name: b for f, b in zip(self._design.factors, modes)}

    @cached_property
    def ranef(self):
        """Conditional modes of the random effects with their conditional SEs.

        The SEs are lme4's ``condVar``: conditional on the estimated variances and fixed effects.

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.ranef.head(2).round(3)
             group level       term  estimate      se
        0  Subject   308  Intercept     2.259  12.071
        1  Subject   309  Intercept   -40.399  12.071
        """
        variances = self._deviance.conditional_variances(self._state)
        by_name = {f.name: (f, v) for f, v in zip(self._design.factors, variances)}
        tables = []
        for name in self.group_names:
            factor, var = by_name[name]
            se = np.sqrt(np.maximum(self._sigma2 * np.diagonal(var, axis1=1, axis2=2), 0.0))
            column = 0
            for block in factor.blocks:
                for term in block.terms:
                    tables.append(pd.DataFrame({
                        "group": name, "level": factor.levels, "term": term,
                        "estimate": self._modes[name][:, column], "se": se[:, column]}))
                    column += 1
        return pd.concat(tables, ignore_index=True)

    @cached_property
    def coef(self):
        """Per level of the first grouping factor: fixed effect plus conditional mode (lme4's coef).

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.coef.head(2).round(3)  # doctest: +NORMALIZE_WHITESPACE
                 Intercept    Days
        Subject
        308        253.664  19.666
        309        211.007   1.848
        """
        factor = self.group_names[0]
        table = self.ranef[self.ranef["group"] == factor]
        levels = np.unique(self._labels[factor])
        out = pd.DataFrame({t: np.full(len(levels), v) for t, v in self.fixef["estimate"].items()},
                           index=pd.Index(levels, name=factor))
        for term, rows in table.groupby("term"):
            if term in out.columns:
                out[term] += rows.set_index("level")["estimate"].reindex(levels).to_numpy()
        return out

    # -- fitted values and prediction -------------------------------------------
    @cached_property
    def fitted(self):
        """Fitted values: offset, fixed part and conditional modes, for the rows used."""
        value = self._X.to_numpy(float) @ self._beta + self._design.offset
        for factor in self._design.factors:
            value = value + np.einsum("ij,ij->i", factor.values,
                                      self._modes[factor.name][factor.codes])
        return pd.Series(value, index=self._X.index, name="fitted")

    @property
    def resid(self):
        """Residuals, outcome minus fitted values."""
        return (self._y - self.fitted).rename("resid")

    def predict(self, newdata=None, *, random=True):
        """Predict the outcome, with or without the groups' random effects.

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict for; the rows used in fitting when omitted.
        random : bool, default True
            Add each group's conditional modes.  A group not seen in fitting gets
            the fixed part only, and a warning names it.

        Returns
        -------
        pandas.Series

        Examples
        --------
        >>> import mlmcourse, pandas as pd
        >>> sleep = mlmcourse.load_dataset("sleepstudy")
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
        >>> new = pd.DataFrame({"Days": [0, 0], "Subject": ["308", "999"]})
        >>> import warnings
        >>> with warnings.catch_warnings(record=True):
        ...     model.predict(new).round(1).tolist()
        [253.7, 251.4]
        """
        if newdata is None:
            if random:
                return self.fitted.rename("predicted")
            fixed = self._X.to_numpy(float) @ self._beta + self._design.offset
            return pd.Series(fixed, index=self._X.index, name="predicted")
        if not isinstance(newdata, pd.DataFrame):
            raise FormulaError(f"newdata must be a pandas DataFrame, not {type(newdata).__name__}.")
        X = self._build(self._X.design_info, newdata, "the fixed part")
        prediction = X @ self._beta + self._new_offset(newdata)
        if random:
            prediction = prediction + self._random_part(newdata)
        return pd.Series(prediction, index=newdata.index, name="predicted")

    def _new_offset(self, newdata):
        if not self._parsed.offsets:
            return 0.0
        try:
            return offset_values(self._parsed, newdata, self._env)
        except FormulaError as error:
            raise FormulaError(f"Cannot build the offset for newdata: {error}") from None

    def _random_part(self, newdata):
        out, unseen = np.zeros(len(newdata)), {}
        for factor in self._design.factors:
            check_columns(factor.name.split(":"), newdata.columns, "the grouping factors")
            labels = pd.Series(labels_of(newdata, factor.name))
            codes = labels.map(pd.Series(np.arange(len(factor.levels)), index=factor.levels))
            missing = codes.isna().to_numpy()
            if missing.any():
                unseen[factor.name] = sorted(set(labels[missing]))
            values = np.column_stack([self._build(b.design, newdata,
                                                  f"the random terms of {b.factor!r}")
                                      for b in factor.blocks])
            modes = self._modes[factor.name][codes.fillna(0).astype(int).to_numpy()]
            modes[missing] = 0.0
            out += np.einsum("ij,ij->i", values, modes)
        if unseen:
            said = "; ".join(f"{factor} {', '.join(repr(_plain(level)) for level in levels[:10])}"
                             + (f" and {len(levels) - 10} more" if len(levels) > 10 else "")
                             for factor, levels in unseen.items())
            warnings.warn(f"Groups not seen in fitting get the fixed part only: {said}.",
                          ModelWarning, stacklevel=3)
        return out

    def _build(self, design_info, newdata, where):
        try:
            return np.asarray(patsy.build_design_matrices([design_info], newdata,
                                                          NA_action="raise")[0])
        except Exception as error:
            raise FormulaError(f"Cannot build {where} for newdata: {error}") from None

    # -- inference ---------------------------------------------------------------------
    def confint(self, method="profile", level=0.95, *, n=1000, seed=None):
        """Confidence intervals for the SDs, correlations, sigma and fixed effects (lme4's).

        Parameters
        ----------
        method : {"profile", "wald", "bootstrap"}
            Profile likelihood (lme4's default: the ML deviance, profiled on the SD and
            correlation scale), Wald (fixed effects only, normal quantiles; NaN for the
            variance parameters, as lme4), or parametric-bootstrap percentiles.
        level : float
            Confidence level, strictly between 0 and 1.
        n : int
            Bootstrap replicates (``method="bootstrap"`` only).
        seed : int, optional
            Seeds the bootstrap's random numbers.

        Returns
        -------
        pandas.DataFrame
            Columns ``lower`` and ``upper``, one row per parameter, named as lme4's
            ``confint(oldNames = FALSE)`` (``Intercept`` for ``(Intercept)``).

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (1 | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.confint().round(2)
                               lower   upper
        parameter
        sd_Intercept|Subject   26.01   52.94
        sigma                  27.81   34.59
        Intercept             231.99  270.82
        Days                    8.89   12.05
        """
        from mlmcourse.models.confint import confint
        return confint(self, method, level, n, seed)

    def simulate(self, n=1, seed=None):
        """New outcomes drawn from the fitted model, as lme4's ``simulate()``.

        New random effects are drawn from their estimated distribution, and new outcomes
        given them (normal with SD sigma; binomial or Poisson for a GLMM).

        Parameters
        ----------
        n : int
            Number of simulated outcome vectors.
        seed : int or numpy.random.Generator, optional
            Seeds the random numbers.

        Returns
        -------
        pandas.DataFrame
            One column per simulation (``sim_1``, ``sim_2``, ...), one row per observation
            used in the fit (binomial outcomes as proportions of their trials).

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.simulate(n=2, seed=1).shape
        (180, 2)
        """
        from mlmcourse.models.bootstrap import simulate_responses
        return simulate_responses(self, n, seed)

    # -- text and statsmodels ------------------------------------------------------
    def summary(self):
        """A compact, lme4-like text summary with rounded numbers.

        Examples
        --------
        >>> import mlmcourse
        >>> sleep = mlmcourse.load_dataset("sleepstudy")
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
        >>> print(model.summary())  # doctest: +NORMALIZE_WHITESPACE
        Linear mixed model fit by REML
        Formula: Reaction ~ Days + (Days | Subject)
        REML criterion: 1743.6   logLik: -871.81   AIC: 1755.6   BIC: 1774.8
        <BLANKLINE>
        Random effects:
         Group     Term       Variance  Std.Dev.  Corr
         Subject   Intercept    612.09    24.740
                   Days          35.07     5.922  0.07
         Residual               654.94    25.592
        Number of obs: 180, groups: Subject, 18
        <BLANKLINE>
        Fixed effects (t tests, Satterthwaite's df):
                    Estimate  Std. Error    df  t value  Pr(>|t|)
         Intercept   251.405       6.825  17.0    36.84    <2e-16
         Days         10.467       1.546  17.0     6.77  3.26e-06
        """
        from mlmcourse.models.summary import summary_text
        return summary_text(self)

    def __repr__(self):
        return self.summary()

    @cached_property
    def statsmodels(self):
        """The statsmodels ``MixedLMResults`` at this optimum (built on first use).

        Raises a :class:`~mlmcourse.FormulaError` for a model that statsmodels' MixedLM cannot
        express (random slopes on crossed factors, correlated terms on a nested factor, prior
        weights); everything else on this result still works.
        """
        from mlmcourse.models.to_statsmodels import statsmodels_results
        return statsmodels_results(self)


def fixef_table(names, estimate, se, df=None, level=0.95):
    """The fixed-effects table: t tests and intervals with `df`, or Wald z ones when df is None."""
    statistic = estimate / se
    tail = (1 + level) / 2
    if df is None:
        quantile, p = stats.norm.ppf(tail), 2 * stats.norm.sf(np.abs(statistic))
        columns = {"estimate": estimate, "se": se, "z": statistic}
    else:
        quantile, p = stats.t.ppf(tail, df), 2 * stats.t.sf(np.abs(statistic), df)
        columns = {"estimate": estimate, "se": se, "df": df, "t": statistic}
    columns.update(p=p, ci_lower=estimate - quantile * se, ci_upper=estimate + quantile * se)
    return pd.DataFrame(columns, index=pd.Index(names, name="term"))


def _plain(value):
    """A numpy scalar as the Python value it holds (so that messages show 308, not np.int64(308))."""
    return value.item() if isinstance(value, np.generic) else value
