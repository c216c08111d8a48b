"""The fitted result as text: lme4's ``summary()`` layout, compact and rounded.

Takes a :class:`~mlmcourse.models.result.FitResult`; used by its ``summary()`` and ``repr``.
"""
import numpy as np


def summary_text(result):
    """The lme4-like summary of `result` (see :meth:`FitResult.summary`)."""
    method = "REML" if result.reml else "maximum likelihood"
    criterion = "REML criterion" if result.reml else "Deviance"
    lines = [f"Linear mixed model fit by {method}", f"Formula: {result.formula}"]
    if result.weights is not None:
        lines.append(f"Weights: {result.weights}")
    lines += [f"{criterion}: {-2 * result.llf:.1f}   logLik: {result.llf:.2f}   "
              f"AIC: {result.aic:.1f}   BIC: {result.bic:.1f}", "", "Random effects:",
              varcorr_text(result.varcorr),
              f"Number of obs: {result.nobs}, groups: "
              + "; ".join(f"{g}, {n}" for g, n in result.ngroups.items()), "",
              "Fixed effects (t tests, Satterthwaite's df):", fixef_text(result.fixef)]
    lines += [f"Note: {note}" for note in result._problems()]
    return "\n".join(lines)


def varcorr_text(table):
    var_digits = decimals(table["variance"].max(), 4, 2)
    sd_digits = decimals(table["sd"].max(), 5, 2)
    rows, previous = [], None
    for _, row in table.iterrows():
        group = row["group"] if row["group"] != previous else ""
        previous = row["group"]
        corr = "" if np.isnan(row["corr"]) else f"{row['corr']:.2f}"
        rows.append((group, row["term"], f"{row['variance']:.{var_digits}f}",
                     f"{row['sd']:.{sd_digits}f}", corr))
    header = ("Group", "Term", "Variance", "Std.Dev.", "Corr")
    return columns([header] + rows, align="llrrr")


def fixef_text(table):
    """Estimate, SE, (df,) t or z and p of each fixed effect, as lme4 and lmerTest print them."""
    digits = decimals(table["estimate"].abs().max(), 5, 3)
    t_test = "t" in table.columns
    header = ("", "Estimate", "Std. Error") + (("df", "t value", "Pr(>|t|)") if t_test
                                                 else ("z value", "Pr(>|z|)"))
    rows = [header]
    for term, row in table.iterrows():
        cells = (term, f"{row['estimate']:.{digits}f}", f"{row['se']:.{digits}f}")
        cells += (f"{row['df']:.1f}", f"{row['t']:.2f}") if t_test else (f"{row['z']:.2f}",)
        rows.append(cells + (p_text(row["p"]),))
    return columns(rows, align="l" + "r" * (len(header) - 1))


def p_text(p):
    """A p value as R prints it: three digits, and "<2e-16" below machine precision."""
    return "<2e-16" if p < np.finfo(float).eps else f"{p:.3g}"


def decimals(largest, significant, fewest):
    """Decimals that show `significant` digits of the column's largest value."""
    magnitude = int(np.floor(np.log10(largest))) if largest > 0 else 0
    return int(np.clip(significant - 1 - magnitude, fewest, 6))


def columns(rows, align):
    """Rows of cells as aligned text columns ("l" or "r" per column)."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [str(c).ljust(w) if a == "l" else str(c).rjust(w)
                 for c, w, a in zip(row, widths, align)]
        out.append(" " + "  ".join(cells).rstrip())
    return "\n".join(out)
