"""Linear mixed models written as in lme4, fitted by lme4's own algorithm.

The modules follow the stages of a fit: `formula` (reading the formula), `design` (X, Z and
the random-effects structure), `deviance` (the profiled deviance by sparse penalized least
squares), `optimize` (its minimum and lme4's convergence check), `result` (the fitted model's
tables; `summary` its text, `to_statsmodels` its statsmodels twin), `compare`
(likelihood-ratio tests), `influence` (leaving one group out), and `fit`, which runs them in
order.  Inference on a fit: `satterthwaite` (df of the fixed effects' t tests), `confint` (profile, Wald and bootstrap
intervals) and `bootstrap` (simulation, lme4's bootMer and pbkrtest's PBmodcomp).
"""
from mlmcourse.models.bootstrap import BootstrapResult, bootstrap
from mlmcourse.models.compare import compare
from mlmcourse.models.fit import fit
from mlmcourse.models.formula import FormulaError
from mlmcourse.models.influence import influence
from mlmcourse.models.result import FitResult, ModelWarning

__all__ = ["BootstrapResult", "FitResult", "FormulaError", "ModelWarning", "bootstrap", "compare",
           "fit", "influence"]
