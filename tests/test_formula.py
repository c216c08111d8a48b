"""Reading lme4-style formulas: what goes where."""
import pytest

from mlmcourse.models.formula import FormulaError, parse_formula, variable_names


def test_fixed_part_and_random_term_are_separated():
    parsed = parse_formula("Reaction ~ Days + (Days | Subject)")
    assert parsed.response == "Reaction"
    assert parsed.fixed == "Days"
    assert [(t.group, t.terms, t.correlated) for t in parsed.random] == [
        ("Subject", ("1", "Days"), True)]


def test_double_bar_gives_one_uncorrelated_term_per_expression():
    parsed = parse_formula("y ~ x + (x || g)")
    assert [(t.terms, t.correlated) for t in parsed.random] == [(("1",), False), (("x",), False)]


def test_zero_plus_removes_the_random_intercept():
    parsed = parse_formula("y ~ x + (1 | g) + (0 + x | g)")
    assert [t.terms for t in parsed.random] == [("1",), ("x",)]
    assert parsed.group_names == ["g"]


def test_minus_one_removes_the_random_intercept():
    assert parse_formula("y ~ x + (x - 1 | g)").random[0].terms == ("x",)


def test_nested_factors_expand_like_lme4():
    parsed = parse_formula("strength ~ 1 + (1 | batch/cask)")
    assert parsed.group_names == ["batch", "batch:cask"]


def test_random_term_alone_keeps_an_intercept_in_the_fixed_part():
    assert parse_formula("y ~ (1 | g)").fixed == "1"


def test_fixed_part_keeps_the_full_formula_language():
    parsed = parse_formula("y ~ C(a, Treatment('b')) * x + I(x ** 2) + np.log(z) + (1 | g)")
    assert parsed.fixed == "C(a, Treatment('b')) * x + I(x ** 2) + np.log(z)"


def test_a_parenthesised_fixed_term_is_not_mistaken_for_a_random_term():
    parsed = parse_formula("y ~ (a + b):c + (1 | g)")
    assert parsed.fixed == "(a + b):c"


def test_variable_names_skip_functions_and_patsy_names():
    names = variable_names("np.log(income) + C(region, Sum) + I(age ** 2):female")
    assert names == ["income", "region", "age", "female"]


@pytest.mark.parametrize("formula, message", [
    ("y ~ x + (1 | g", r"unbalanced parentheses"),
    ("y ~ x + 1 | g)", r"unbalanced parentheses"),
    ("y ~ x + 1 | g", r"'\|' outside a random term"),
    ("y ~ x + (x | )", r"missing its grouping factor"),
    ("y ~ x + ( | g)", r"empty term before the bar"),
    ("y ~ x + + (1 | g)", r"empty term"),
    ("y ~ x + (1 | g) +", r"empty term"),
    ("y ~ x + (1 | g | h)", r"more than one bar"),
    ("y ~ x + (0 | g)", r"no terms left"),
    ("y ~ x + (1 | g + h)", r"grouping factor 'g \+ h'"),
    ("y x + (1 | g)", r"needs one '~'"),
    ("~ x + (1 | g)", r"needs one '~'"),
])
def test_malformed_formulas_are_refused_with_the_reason(formula, message):
    with pytest.raises(FormulaError, match=message):
        parse_formula(formula)


def test_a_formula_without_random_term_points_to_ordinary_regression():
    with pytest.raises(FormulaError, match=r"no random term.*ols"):
        parse_formula("y ~ x")


def test_a_formula_that_is_not_a_string_is_refused():
    with pytest.raises(FormulaError, match="must be a string"):
        parse_formula(None)


def test_a_minus_inside_a_function_call_stays_in_the_random_term():
    parsed = parse_formula("y ~ I(t - 2.5) + (I(t - 2.5) | child)")
    assert parsed.random[0].terms == ("1", "I(t - 2.5)")


def test_an_offset_term_is_kept_apart_from_the_fixed_part():
    parsed = parse_formula("y ~ x + offset(np.log(t)) + (1 | g)")
    assert parsed.fixed == "x" and parsed.offsets == ("np.log(t)",)
