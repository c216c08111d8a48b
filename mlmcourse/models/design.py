"""Building the design, the second stage of a fit: y, X, weights, offset and the random effects.

Takes the :class:`~mlmcourse.models.formula.ParsedFormula` and the data, checks them, and hands
`deviance.py` a :class:`Design`: the outcome and dense fixed-effects matrix X, and for every
grouping factor a :class:`Factor`, its rows' level codes and model columns, from which the
sparse random-effects matrix Z is built.  Nothing here optimises anything.
"""
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy
from scipy import sparse

from mlmcourse.models.formula import FormulaError, check_columns, variable_names


@dataclass
class Block:
    """Random effects of one grouping factor that share one covariance matrix, as written."""

    factor: str
    terms: list          # column names, "Intercept" for the intercept
    design: object       # patsy DesignInfo that builds the columns
    values: np.ndarray   # n x len(terms)
    labels: np.ndarray = None  # each row's level of `factor`


@dataclass
class Factor:
    """All random effects of one grouping factor: its blocks side by side.

    The factor's covariance template is block-diagonal, a lower-triangular
    k x k factor per block; `tril` lists the free entries of the template, in
    the order they take in theta.
    """

    name: str
    blocks: list
    levels: np.ndarray   # sorted distinct labels
    codes: np.ndarray    # each row's index into `levels`
    values: np.ndarray   # n x k model columns, the blocks' columns side by side
    tril: tuple = field(init=False)

    def __post_init__(self):
        rows, cols, start = [], [], 0
        for block in self.blocks:
            for i in range(len(block.terms)):
                for j in range(i + 1):
                    rows.append(start + i)
                    cols.append(start + j)
            start += len(block.terms)
        self.tril = (np.array(rows, dtype=int), np.array(cols, dtype=int))

    @property
    def k(self):
        """Random effects per level."""
        return self.values.shape[1]

    @property
    def size(self):
        """Columns of Z for this factor: levels times effects per level."""
        return len(self.levels) * self.k

    @property
    def n_theta(self):
        return len(self.tril[0])

    def template(self, theta):
        """The k x k lower-triangular factor of the relative covariance, from this factor's theta."""
        L = np.zeros((self.k, self.k))
        L[self.tril] = theta
        return L

    def z_matrix(self, scale=None):
        """This factor's columns of Z as a sparse n x (levels * k) matrix, level by level."""
        n, k = self.values.shape
        rows = np.repeat(np.arange(n), k)
        cols = (self.codes[:, None] * k + np.arange(k)).ravel()
        values = self.values if scale is None else self.values * scale[:, None]
        return sparse.csc_matrix((values.ravel(), (rows, cols)), shape=(n, self.size))


@dataclass
class Design:
    """Everything `deviance.py` needs, in the order lme4's ``lFormula`` returns it."""

    y: pd.Series
    X: pd.DataFrame
    offset: np.ndarray
    weights: np.ndarray          # prior weights; all ones when none were given
    blocks: list                 # as written in the formula
    labels: dict                 # factor name -> each row's level
    factors: list                # in elimination order: most columns of Z first
    used: pd.DataFrame           # the rows and columns used
    complete: np.ndarray         # which rows of the caller's data were used
    weighted: bool = False
    trials: np.ndarray = None    # binomial trials per row (GLMMs); y is then a proportion

    @property
    def n_theta(self):
        return sum(f.n_theta for f in self.factors)

    def split_theta(self, theta):
        """theta cut into one piece per factor (in `factors` order)."""
        return np.split(np.asarray(theta, float), np.cumsum([f.n_theta for f in self.factors])[:-1])


def labels_of(data, factor):
    """Each row's level of `factor`: the column's own values, or "a:b" text for an interaction."""
    columns = factor.split(":")
    if len(columns) == 1:
        return data[factor].to_numpy()
    labels = data[columns[0]].astype(str)
    for column in columns[1:]:
        labels = labels + ":" + data[column].astype(str)
    return labels.to_numpy()


def build_design(parsed, data, env, weights=None, family="gaussian"):
    """Check the data against the formula and build the :class:`Design`.

    Returns the design and a list of notes for the user (rows dropped, scales).

    Examples
    --------
    >>> import mlmcourse, patsy
    >>> from mlmcourse.models.formula import parse_formula
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> design, notes = build_design(parse_formula("Reaction ~ Days + (Days | Subject)"), sleep,
    ...                              patsy.EvalEnvironment.capture())
    >>> design.X.shape, [(f.name, f.size) for f in design.factors]
    ((180, 2), [('Subject', 36)])
    """
    used, complete, notes = usable_rows(parsed, data, env, weights)
    y, trials, outcome_notes = outcome_values(parsed, used, env, family)
    notes += outcome_notes
    X = fixed_matrix(parsed, used, env)
    offset = offset_values(parsed, used, env)
    w = weight_values(used, weights)
    blocks = random_blocks(parsed, used, env)
    labels = {f: labels_of(used, f) for f in parsed.group_names}
    for block in blocks:
        block.labels = labels[block.factor]
    coded = {f: levels_and_codes(labels[f]) for f in parsed.group_names}
    check_identifiable(parsed, blocks, {f: levels for f, (levels, _) in coded.items()},
                       len(used), glmm=family != "gaussian")
    factors = [_factor(name, [b for b in blocks if b.factor == name], *coded[name])
               for name in parsed.group_names]
    factors.sort(key=lambda f: -f.size)  # lme4 also puts the factor with most levels first
    notes += scale_notes(X)
    design = Design(y, X, offset, w, blocks, labels, factors, used, complete,
                    weighted=weights is not None, trials=trials)
    return design, notes


def levels_and_codes(labels):
    """The sorted distinct labels and each row's index into them.

    What ``np.unique(labels, return_inverse=True)`` gives, by hashing instead of sorting every
    row: for a million text labels, a tenth of the time.
    """
    codes, levels = pd.factorize(labels, sort=True)
    return np.asarray(levels), codes.astype(np.intp)


def _factor(name, blocks, levels, codes):
    values = np.column_stack([b.values for b in blocks])
    return Factor(name, blocks, levels, codes, values)


# ---------------------------------------------------------------------------
# The data: used columns, missing values, weights
# ---------------------------------------------------------------------------

def usable_rows(parsed, data, env, weights=None):
    """The used columns of `data`, without rows that miss a value in them."""
    if not isinstance(data, pd.DataFrame):
        raise FormulaError(f"The data must be a pandas DataFrame, not {type(data).__name__}.")
    if len(data) == 0:
        raise FormulaError("The data has no rows; there is nothing to fit.")

    def columns_in(expression):  # a name that is no column may be the caller's variable
        return [name for name in variable_names(expression)
                if name in data.columns or name not in env.namespace]

    check_columns(columns_in(parsed.response), data.columns, "the outcome")
    check_columns(columns_in(parsed.fixed), data.columns, "the fixed part of the formula")
    for expr in parsed.offsets:
        check_columns(columns_in(expr), data.columns, f"the offset 'offset({expr})'")
    for term in parsed.random:
        for expr in term.terms:
            check_columns(columns_in(expr), data.columns, f"the random term {term.text!r}")
        check_columns(term.group.split(":"), data.columns, f"the random term {term.text!r}")
    if weights is not None:
        _check_weights_column(weights, data)
    response = columns_in(parsed.response)
    if response and data[response].isna().all().all():
        raise FormulaError(f"The outcome {parsed.response!r} has no values: every row is missing.")
    names = [response, columns_in(parsed.fixed)]
    names += [columns_in(e) for e in parsed.offsets]
    names += [columns_in(e) for t in parsed.random for e in t.terms]
    names += [t.group.split(":") for t in parsed.random]
    columns = list(dict.fromkeys(c for group in names for c in group))
    used = data[columns]
    missing = used.isna().any(axis=1)
    notes = []
    if missing.all():
        raise FormulaError("Every row misses a value in a column the formula uses ("
                           + ", ".join(repr(c) for c in columns) + "); there is nothing to fit.")
    if missing.any():
        worst = used.isna().sum().sort_values(ascending=False)
        which = ", ".join(f"{c!r} ({n})" for c, n in worst[worst > 0].items())
        notes.append(f"Dropped {int(missing.sum())} of {len(data)} rows with missing values "
                     f"in {which}.")
    if weights is not None and weights not in used.columns:
        used = used.assign(**{weights: data[weights]})
    return used[~missing], ~missing.to_numpy(), notes


def _check_weights_column(weights, data):
    if not isinstance(weights, str):
        raise FormulaError(f"weights= takes the name of a column of the data, not "
                           f"{type(weights).__name__}.")
    check_columns([weights], data.columns, "weights=")
    column = data[weights]
    if not _is_numeric(column):
        raise FormulaError(f"The weights column {weights!r} must be numeric; it holds "
                           f"{column.dtype} values.")
    values = column.to_numpy(float)
    for count, what in ((int(np.isnan(values).sum()), "missing"),
                        (int((values < 0).sum()), "negative"),
                        (int((values == 0).sum()), "zero"),
                        (int(np.isinf(values).sum()), "infinite")):
        if count:
            raise FormulaError(f"The weights column {weights!r} is {what} in {count} of "
                               f"{len(values)} rows; prior weights must be positive and finite. "
                               "Drop those rows before fitting if they should not count.")


def weight_values(used, weights):
    if weights is None:
        return np.ones(len(used))
    return used[weights].to_numpy(float)


# ---------------------------------------------------------------------------
# The fixed part
# ---------------------------------------------------------------------------

def fixed_design(parsed, data, env):
    """The outcome as a Series and X as a DataFrame (with its patsy design_info)."""
    return _gaussian_outcome(parsed, data, env), fixed_matrix(parsed, data, env)


def fixed_matrix(parsed, data, env):
    """X as a DataFrame (with its patsy design_info), its rank checked."""
    X = model_matrix(parsed.fixed, data, env, f"the fixed part {parsed.fixed!r}")
    check_rank(X)
    return X


def _gaussian_outcome(parsed, data, env):
    response_columns = variable_names(parsed.response)
    if parsed.response in data.columns and pd.api.types.is_bool_dtype(data[parsed.response]):
        raise FormulaError(f"The outcome {parsed.response!r} is true/false; a linear mixed "
                           "model needs a numeric outcome. For a binary outcome use "
                           "family='binomial'.")
    if parsed.response in data.columns and not _is_numeric(data[parsed.response]):
        raise FormulaError(f"The outcome {parsed.response!r} must be numeric; it holds "
                           f"{data[parsed.response].dtype} values such as "
                           f"{data[parsed.response].iloc[0]!r}.")
    y = model_matrix("0 + " + parsed.response, data, env, f"the outcome {parsed.response!r}")
    if y.shape[1] != 1:
        raise FormulaError(f"The outcome {parsed.response!r} must be one numeric column "
                           f"(columns used: {', '.join(response_columns)}).")
    return y.iloc[:, 0].rename(parsed.response)


# ---------------------------------------------------------------------------
# The outcome, checked against the family (generalized linear mixed models)
# ---------------------------------------------------------------------------

def outcome_values(parsed, data, env, family="gaussian"):
    """The outcome (a proportion for the binomial), the binomial trials, and notes.

    Raises a FormulaError naming the outcome when its values do not fit the family: a
    binomial outcome that is not 0/1 (or negative counts in ``cbind``), a Poisson outcome that
    is negative or not whole, ``cbind`` without ``family="binomial"``.
    """
    pair = parsed.cbind
    if family == "gaussian":
        if pair is not None:
            raise FormulaError(f"The outcome {parsed.response!r} is a pair of counts (successes "
                               "and failures), which a linear mixed model cannot fit; use "
                               "family='binomial'.")
        y = _gaussian_outcome(parsed, data, env)
        values = y.to_numpy(float)
        notes = []
        if np.isin(values, (0.0, 1.0)).all() and len(np.unique(values)) == 2:
            notes.append(f"The outcome {parsed.response!r} holds only 0 and 1, and a linear "
                         "mixed model treats it as a continuous measurement; for a binary "
                         "outcome use family='binomial' (a logistic mixed model).")
        return y, None, notes
    if pair is not None:
        if family != "binomial":
            raise FormulaError(f"The outcome {parsed.response!r} is a pair of counts "
                               "(successes, failures), which only family='binomial' fits.")
        return _cbind_outcome(parsed, pair, data, env)
    column = parsed.response
    where = f"the outcome {column!r}"
    if column in data.columns and pd.api.types.is_bool_dtype(data[column]):
        data = data.assign(**{column: data[column].astype(float)})
    elif column in data.columns and not _is_numeric(data[column]):
        raise FormulaError(f"The outcome {column!r} must be numeric (0/1 or true/false for "
                           f"family='binomial', counts for 'poisson'); it holds "
                           f"{data[column].dtype} values such as {data[column].iloc[0]!r}.")
    y = model_matrix("0 + " + column, data, env, where)
    if y.shape[1] != 1:
        raise FormulaError(f"{where} must be one numeric column.")
    y = y.iloc[:, 0].rename(column)
    values = y.to_numpy(float)
    if family == "binomial":
        bad = ~np.isin(values, (0.0, 1.0))
        if bad.any():
            raise FormulaError(
                f"family='binomial' needs {where} to be 0/1 (or true/false), but it holds "
                f"{_examples(values[bad])} in {int(bad.sum())} rows. For counts of successes out "
                "of a number of trials write 'cbind(successes, failures) ~ ...'.")
        return y, np.ones(len(y)), []
    _check_counts(values, where, "family='poisson' needs counts:")
    return y, None, []


def _cbind_outcome(parsed, pair, data, env):
    counts = []
    for expr, what in zip(pair, ("successes", "failures")):
        where = f"the {what} {expr!r} in {parsed.response!r}"
        column = model_matrix(f"0 + I({expr})", data, env, where)
        counts.append(column.iloc[:, 0].to_numpy(float))
    successes, failures = counts
    where = f"the successes {pair[0]!r} in {parsed.response!r}"
    _check_counts(successes, where, "cbind(successes, failures) needs counts:")
    if (failures < 0).any():
        rows = int((failures < 0).sum())
        raise FormulaError(f"The failures {pair[1]!r} in {parsed.response!r} are negative in "
                           f"{rows} rows: the successes are above the trials there. Write "
                           "'cbind(successes, trials - successes)' with successes <= trials.")
    _check_counts(failures, f"the failures {pair[1]!r} in {parsed.response!r}",
                  "cbind(successes, failures) needs counts:")
    trials = successes + failures
    if (trials == 0).any():
        raise FormulaError(f"{int((trials == 0).sum())} rows of {parsed.response!r} have no "
                           "trials (0 successes and 0 failures); drop them before fitting.")
    y = pd.Series(successes / trials, index=data.index, name=parsed.response)
    return y, trials, []


def _check_counts(values, where, need):
    negative = values < 0
    if negative.any():
        raise FormulaError(f"{need} {where} is negative in {int(negative.sum())} rows (for "
                           f"example {_examples(values[negative])}).")
    fractional = values != np.round(values)
    if fractional.any():
        raise FormulaError(f"{need} {where} is not a whole number in {int(fractional.sum())} "
                           f"rows (for example {_examples(values[fractional])}).")


def _examples(values, n=3):
    shown = [f"{v:g}" for v in np.unique(values)[:n]]
    return ", ".join(shown) + (" ..." if len(np.unique(values)) > n else "")


def offset_values(parsed, data, env):
    """The sum of the formula's ``offset()`` terms, zero when there are none."""
    total = np.zeros(len(data))
    for expr in parsed.offsets:
        where = f"the offset 'offset({expr})'"
        column = model_matrix(f"0 + I({expr})", data, env, where)
        if column.shape[1] != 1:
            raise FormulaError(f"{where} must be one numeric value per row.")
        total += column.iloc[:, 0].to_numpy(float)
    return total


def model_matrix(rhs, data, env, where):
    """patsy's design matrix for `rhs`, with errors and infinite values named in `where`."""
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # infinities are reported below
            matrix = patsy.dmatrix(rhs, data, eval_env=env, NA_action="raise",
                                   return_type="dataframe")
    except Exception as error:  # patsy reports every problem as its own exception type
        raise FormulaError(f"Cannot build {where} from the data: {error}") from None
    for name, column in matrix.items():
        infinite = ~np.isfinite(column.to_numpy(float))
        if infinite.any():
            raise FormulaError(f"{name!r} in {where} is infinite in {int(infinite.sum())} rows "
                               "(a log of zero?); change the transformation or drop those rows.")
    return matrix


def _is_numeric(column):
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def check_rank(X):
    """Refuse fixed-effect columns that repeat earlier ones (lme4 would drop them)."""
    if X.shape[1] == 0:
        return
    values = X.to_numpy(float)
    r = np.linalg.qr(values, mode="r")
    norms = np.linalg.norm(values, axis=0)
    dependent = [X.columns[j] for j in range(X.shape[1])
                 if abs(r[j, j]) <= 1e-10 * max(norms[j], 1e-300)]
    if dependent:
        raise FormulaError("The fixed part cannot be estimated: the column(s) "
                           + ", ".join(repr(c) for c in dependent)
                           + " are linear combinations of the columns before them; drop them "
                           "from the formula.")


def scale_notes(X, tolerance=1e3):
    """lme4's check.scaleX: continuous columns whose SDs differ by more than `tolerance`."""
    values = X.to_numpy(float)
    continuous = [j for j in range(values.shape[1])
                  if not np.isin(values[:, j], (0.0, 1.0)).all()]
    sds = {X.columns[j]: values[:, j].std(ddof=1) for j in continuous}
    sds = {name: sd for name, sd in sds.items() if sd > 0}
    if not sds:
        return []
    small, large = min(sds, key=sds.get), max(sds, key=sds.get)
    extreme = [name for name, sd in sds.items() if not 1 / tolerance <= sd <= tolerance]
    if sds[large] / sds[small] <= tolerance and not extreme:
        return []
    listed = ", ".join(f"{name!r} (SD {sd:.3g})" for name, sd in sds.items())
    return [f"Some predictors are on very different scales: {listed}. Consider rescaling them "
            "(for example dividing by a power of ten, or standardising) so that the optimizer "
            "and its convergence check work on comparable numbers."]


# ---------------------------------------------------------------------------
# The random part
# ---------------------------------------------------------------------------

def random_blocks(parsed, data, env):
    """One :class:`Block` per correlated group of terms, in the order of the formula."""
    blocks = []
    for term in parsed.random:
        groups = [term.terms] if term.correlated else [(t,) for t in term.terms]
        for exprs in groups:
            rhs = " + ".join(e for e in exprs if e != "1")
            rhs = ("1 + " + rhs if "1" in exprs else "0 + " + rhs).rstrip(" +")
            matrix = model_matrix(rhs, data, env, f"the random term {term.text!r}")
            terms = list(matrix.columns)
            blocks.append(Block(term.group, terms, matrix.design_info, matrix.to_numpy(float)))
    return blocks


def check_identifiable(parsed, blocks, levels_of, nobs, glmm=False):
    """lme4's checks: at least two levels, fewer levels and random effects than rows.

    `levels_of` maps each grouping factor to its distinct levels.

    For a GLMM only the first (as glmerControl's defaults): there is no residual for the
    random effects to be confused with, and an observation-level random effect is the usual
    remedy for overdispersion.
    """
    for factor in parsed.group_names:
        levels = levels_of[factor]
        if len(levels) < 2:
            raise FormulaError(f"The grouping factor {factor!r} has only one level "
                               f"({levels[0]!r}); random effects need at least two groups.")
        if glmm:
            continue
        if len(levels) >= nobs:
            raise FormulaError(f"The grouping factor {factor!r} has {len(levels)} levels for "
                               f"{nobs} observations; each group needs more than one observation "
                               "on average, or the random effects cannot be told from the "
                               "residual.")
        n_terms = sum(len(b.terms) for b in blocks if b.factor == factor)
        if len(levels) * n_terms >= nobs:
            raise FormulaError(f"The random terms for {factor!r} have {len(levels) * n_terms} "
                               f"random effects ({n_terms} per level x {len(levels)} levels) "
                               f"for only {nobs} observations; they cannot be told apart from "
                               "the residual. Use fewer random terms.")
        for block in (b for b in blocks if b.factor == factor):
            k = len(block.terms)
            if k * (k + 1) // 2 > len(levels):
                raise FormulaError(
                    f"The random term for {factor!r} has {k * (k + 1) // 2} variance and "
                    f"correlation parameters ({', '.join(block.terms)}) but only {len(levels)} "
                    "groups to estimate them from. Use fewer random slopes, or uncorrelated "
                    "ones with '||'.")
