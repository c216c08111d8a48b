"""Reading the formula, the first stage of a fit: ``y ~ x + offset(log(t)) + (1 + x | group)``.

The fixed part stays in the ordinary formula language (patsy); each random
term in parentheses is split off and described by a :class:`RandomTerm`, and
each ``offset(expr)`` is kept aside.  `design.py` turns the
:class:`ParsedFormula` into matrices; nothing here looks at data values.
"""
import io
import keyword
import re
import tokenize
from dataclasses import dataclass
from difflib import get_close_matches

import patsy.builtins

# Names a formula may use without their being columns of the data.
_FORMULA_NAMES = set(patsy.builtins.__all__) | {"np", "numpy"}


class FormulaError(ValueError):
    """A model formula or its data cannot be fitted as written.

    Examples
    --------
    >>> import mlmcourse
    >>> try:
    ...     mlmcourse.fit("Reaction ~ Days", mlmcourse.load_dataset("sleepstudy"))
    ... except mlmcourse.FormulaError as error:
    ...     print(str(error)[:48])
    The formula 'Reaction ~ Days' has no random term
    """


@dataclass(frozen=True)
class RandomTerm:
    """One random term such as ``(1 + x | g)``, for one grouping factor.

    `terms` lists the patsy expressions whose coefficients vary by `group`;
    "1" is the intercept.  Terms in one RandomTerm are correlated when
    `correlated` is true and independent otherwise.
    """

    text: str
    group: str
    terms: tuple
    correlated: bool


@dataclass(frozen=True)
class ParsedFormula:
    """A formula split into response, fixed part, offsets and random terms."""

    text: str
    response: str
    fixed: str
    random: tuple
    offsets: tuple = ()

    @property
    def cbind(self):
        """``(successes, failures)`` expressions of a ``cbind(s, f)`` outcome, else None.

        Examples
        --------
        >>> parse_formula("cbind(incidence, size - incidence) ~ 1 + (1 | herd)").cbind
        ('incidence', 'size - incidence')
        """
        match = re.fullmatch(r"\s*cbind\s*\((.*)\)\s*", self.response, flags=re.DOTALL)
        if match is None:
            return None
        inner = match.group(1)
        parts = [part.strip() for part in _split_top(inner, ",")]
        if len(parts) != 2 or not all(parts):
            raise FormulaError(f"The outcome {self.response!r} must name two counts, as in "
                               "'cbind(successes, failures)'.")
        return tuple(parts)

    @property
    def group_names(self):
        """Grouping factors in the order written, nested ones expanded."""
        names = []
        for term in self.random:
            if term.group not in names:
                names.append(term.group)
        return names


def parse_formula(formula):
    """Split an lme4-style formula into its response, fixed part and random terms.

    Parameters
    ----------
    formula : str
        For example ``"Reaction ~ Days + (Days | Subject)"``.

    Returns
    -------
    ParsedFormula

    Raises
    ------
    FormulaError
        When the formula is malformed or has no random term.

    Examples
    --------
    >>> parsed = parse_formula("y ~ x + (1 | school/class)")
    >>> parsed.fixed, parsed.group_names
    ('x', ['school', 'school:class'])
    """
    if not isinstance(formula, str):
        raise FormulaError(f"The formula must be a string like 'y ~ x + (1 | group)', "
                           f"not {type(formula).__name__}.")
    _check_parentheses(formula)
    sides = _split_top(formula, "~")
    if len(sides) != 2 or not sides[0].strip() or not sides[1].strip():
        raise FormulaError(f"The formula {formula!r} needs one '~' with the outcome on its left "
                           "and the predictors on its right, as in 'y ~ x + (1 | group)'.")
    response, rhs = sides[0].strip(), sides[1].strip()
    fixed, random, offsets = [], [], []
    for piece in _split_top(rhs, "+"):
        piece = piece.strip()
        if not piece:
            raise FormulaError(f"The formula {formula!r} has an empty term "
                               "(two '+' in a row, or a '+' at an end).")
        if _is_random_term(piece):
            random.extend(_parse_random_term(piece))
        elif _is_offset(piece):
            offsets.append(piece[len("offset("):-1].strip())
        elif "|" in piece:
            raise FormulaError(f"The term {piece!r} has a '|' outside a random term; random terms "
                               "are written in parentheses, as in '(1 + x | group)'.")
        else:
            fixed.append(piece)
    if not random:
        raise FormulaError(f"The formula {formula!r} has no random term such as '(1 | group)'. "
                           "Without one it is an ordinary regression: fit it with "
                           "statsmodels.formula.api.ols.")
    return ParsedFormula(formula, response, " + ".join(fixed) or "1", tuple(random),
                         tuple(offsets))


def variable_names(expression):
    """Names in a formula expression that must be columns of the data.

    Function names (``np.log``, ``C``, ``I``), attributes and patsy's own
    names are left out.

    Examples
    --------
    >>> variable_names("np.log(income) + C(region, Treatment('north')) + age:female")
    ['income', 'region', 'age', 'female']
    """
    tokens = _tokens(expression)
    names = []
    for i, token in enumerate(tokens):
        if token.type != tokenize.NAME or keyword.iskeyword(token.string):
            continue
        after = tokens[i + 1].string if i + 1 < len(tokens) else ""
        before = tokens[i - 1].string if i > 0 else ""
        if after == "(" or before == "." or token.string in _FORMULA_NAMES:
            continue
        if token.string not in names:
            names.append(token.string)
    return names


def check_columns(names, columns, where):
    """Raise a FormulaError naming the first of `names` not among `columns`.

    Examples
    --------
    >>> check_columns(["sess"], ["ses", "school"], "the formula")
    Traceback (most recent call last):
    ...
    mlmcourse.models.formula.FormulaError: Column 'sess' in the formula is not in the data; did you mean 'ses'?
    """
    columns = [str(c) for c in columns]
    for name in names:
        if name not in columns:
            close = get_close_matches(name, columns, n=3, cutoff=0.6)
            hint = (" did you mean " + " or ".join(repr(c) for c in close) + "?") if close else (
                " the data has columns " + ", ".join(repr(c) for c in columns) + ".")
            raise FormulaError(f"Column {name!r} in {where} is not in the data;{hint}")


def _tokens(expression):
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(expression).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, IndentationError, SyntaxError) as error:
        raise FormulaError(f"Cannot read the formula expression {expression!r}: {error}") from None


def _check_parentheses(formula):
    depth = 0
    for char in formula:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise FormulaError(f"The formula {formula!r} has unbalanced parentheses: "
                           "every '(' needs a matching ')'.")


def _split_top(text, separator):
    """Split `text` at `separator` characters outside parentheses."""
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == separator and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def _is_offset(piece):
    """Whether `piece` is one ``offset(expr)`` term."""
    if not (piece.startswith("offset(") and piece.endswith(")")):
        return False
    depth = 0
    for i, char in enumerate(piece[len("offset"):]):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and i < len(piece) - len("offset") - 1:
            return False  # e.g. "offset(a) * b"
    if not piece[len("offset("):-1].strip():
        raise FormulaError(f"The term {piece!r} is empty; write the offset's expression inside, "
                           "as in 'offset(log(years))'.")
    return True


def _is_random_term(piece):
    if not (piece.startswith("(") and piece.endswith(")")):
        return False
    depth = 0
    for i, char in enumerate(piece):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and i < len(piece) - 1:
            return False  # e.g. "(a + b):c", a fixed term
    return "|" in _depth_one(piece[1:-1])


def _depth_one(inner):
    """The characters of `inner` that sit outside any nested parentheses."""
    out, depth = [], 0
    for char in inner:
        depth += {"(": 1, ")": -1}.get(char, 0)
        out.append(char if depth == 0 and char not in "()" else " ")
    return "".join(out)


def _parse_random_term(piece):
    inner = piece[1:-1]
    flat = _depth_one(inner)
    correlated = "||" not in flat
    bar = flat.find("||") if not correlated else flat.find("|")
    width = 1 if correlated else 2
    if "|" in flat[bar + width:]:
        raise FormulaError(f"The random term {piece!r} has more than one bar; write one "
                           "'(terms | group)' per grouping factor.")
    left, right = inner[:bar].strip(), inner[bar + width:].strip()
    if not left:
        raise FormulaError(f"The random term {piece!r} has an empty term before the bar; "
                           "write '(1 | group)' for a random intercept.")
    if not right:
        raise FormulaError(f"The random term {piece!r} is missing its grouping factor after the "
                           "bar, as in '(1 | group)'.")
    terms = _random_terms(left, piece)
    groups = _expand_groups(right, piece)
    if correlated:
        return [RandomTerm(piece, group, terms, True) for group in groups]
    return [RandomTerm(piece, group, (term,), False) for group in groups for term in terms]


def _random_terms(left, piece):
    """The expressions of a random term's left side, "1" first when present."""
    intercept = True
    terms = []
    for part in _split_top(_minus_as_plus(left), "+"):
        part = part.strip()
        if part.startswith("-"):
            part = "-" + part[1:].strip()
        if not part:
            raise FormulaError(f"The random term {piece!r} has an empty term.")
        if part in ("0", "-1"):
            intercept = False
        elif part in ("1", "-0"):
            intercept = True
        elif part.startswith("-"):
            raise FormulaError(f"The random term {piece!r} removes {part[1:].strip()!r}; only "
                               "the intercept can be removed, with '0 +'.")
        else:
            terms.append(part)
    terms = (["1"] if intercept else []) + terms
    if not terms:
        raise FormulaError(f"The random term {piece!r} has no terms left after removing the "
                           "intercept.")
    return tuple(terms)


def _minus_as_plus(text):
    """``a - b`` as ``a +- b``, for minus signs outside parentheses only (``I(x - 1)`` stays)."""
    out, depth = [], 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        out.append("+-" if char == "-" and depth == 0 else char)
    return "".join(out)


def _expand_groups(right, piece):
    """``a/b`` becomes ``["a", "a:b"]``, as in lme4."""
    parts = [p.strip() for p in right.split("/")]
    for part in parts:
        names = [n.strip() for n in part.split(":")]
        if not all(n.isidentifier() for n in names):
            raise FormulaError(f"The grouping factor {right!r} in {piece!r} must be a column "
                               "name, or columns joined by ':' or '/'.")
    groups = []
    for i in range(len(parts)):
        groups.append(":".join(":".join(n.strip() for n in p.split(":")) for p in parts[: i + 1]))
    return groups
