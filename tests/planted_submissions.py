"""Planted submissions for every assignment: the suite's test of the assignments' tests.

Each assignment has two wrong submissions and one right one with defensible variants, each made
from the master's solutions by replacing lines of code (``edits``: pairs of old and new text, each
old text in exactly one code cell). A wrong submission names the questions it gets wrong
(``loses``): each must lose most of its points, and every other question must keep all of them,
which also tests that a question built on an earlier one is graded against the student's own
earlier answers (carried forward). The variant must keep full marks.
"""

PLANTED = {
    "a1-clustered-exams": {
        "wrong_1": {"loses": ["q1", "q2", "q3", "q5", "q6"], "edits": [
            ("mean_size = school_sizes.mean()", "mean_size = school_sizes.median()"),
            ("icc = between / (between + within)", "icc = between / within"),
            ("design_effect = 1 + (mean_size - 1) * icc", "design_effect = 1 + mean_size * icc"),
            ('ri = mlmcourse.fit("normexam ~ standLRT + schgend + (1 | school)", exam)',
             'ri = mlmcourse.fit("normexam ~ standLRT + schgend + (1 | school)", exam, reml=False)'),
            ('fixed_slope = fe.params["standLRT"]', 'fixed_slope = ols.params["standLRT"]'),
        ]},
        # q3 is computed right from wrong q1 and q2 answers: it keeps its points (carried forward).
        "wrong_2": {"loses": ["q1", "q2", "q5", "q6"], "edits": [
            ('school_sizes = exam.groupby("school").size()',
             'school_sizes = exam["school"].value_counts(normalize=True)'),
            ('between = empty.varcorr["variance"].iloc[0]', 'between = empty.varcorr["sd"].iloc[0]'),
            ('within = empty.varcorr["variance"].iloc[-1]', 'within = empty.varcorr["sd"].iloc[-1]'),
            ('se_ratio = ri.fixef.loc["schgend[T.girls]", "se"] / ols.bse["schgend[T.girls]"]',
             'se_ratio = ols.bse["schgend[T.girls]"] / ri.fixef.loc["schgend[T.girls]", "se"]'),
            ('"fixed": fixed_slope, "random": random_slope', '"fixed": random_slope, "random": fixed_slope'),
        ]},
        "variant": {"edits": [
            ("n_schools = len(school_sizes)", 'n_schools = exam["school"].nunique()'),
            ("mean_size = school_sizes.mean()", "mean_size = len(exam) / n_schools"),
            ('between = empty.varcorr["variance"].iloc[0]',
             'between = empty.varcorr.query("group == \'school\'")["variance"].item()'),
            ('slopes = pd.Series({"ordinary": ordinary_slope, "fixed": fixed_slope, "random": random_slope})',
             'slopes = pd.Series([random_slope, fixed_slope, ordinary_slope], index=["random", "fixed", "ordinary"])'),
        ]},
    },
    "a2-pooling-scottish-schools": {
        "wrong_1": {"loses": ["q1", "q2", "q3", "q5", "q6"], "edits": [
            ('grand_mean = scots["attain"].mean()',
             'grand_mean = scots.groupby("primary")["attain"].mean().mean()'),
            ('partial = empty.coef["Intercept"]', 'partial = empty.ranef["estimate"]'),
            ("weight = tau2 / (tau2 + sigma2 / sizes)", "weight = tau2 / (tau2 + sigma2) + 0 * sizes"),
            ('explained = 1 - verbal_model.varcorr["variance"].iloc[0] / tau2',
             'explained = 1 - verbal_model.varcorr["variance"].iloc[-1] / sigma2'),
            ('scots["verbal_mean"] = scots.groupby("primary")["verbal"].transform("mean")',
             'scots["verbal_mean"] = scots.groupby("primary")["attain"].transform("mean")'),
        ]},
        # q3 is computed right from a wrong no_pool (medians): it keeps its points.
        "wrong_2": {"loses": ["q1", "q2", "q5", "q6"], "edits": [
            ("n_single = int((sizes == 1).sum())", "n_single = (sizes == 1).mean()"),
            ('no_pool = scots.groupby("primary")["attain"].mean()',
             'no_pool = scots.groupby("primary")["attain"].median()'),
            ('verbal_model = mlmcourse.fit("attain ~ verbal + (1 | primary)", scots)',
             'verbal_model = mlmcourse.fit("attain ~ verbal + (1 | primary)", scots, reml=False)'),
            ('without = mlmcourse.fit("attain ~ verbal + (1 | primary)", scots, reml=False)',
             'without = mlmcourse.fit("attain ~ 1 + (1 | primary)", scots, reml=False)'),
        ]},
        # REML fits in the likelihood-ratio test: mlmcourse.compare refits them by ML.
        "variant": {"edits": [
            ('sizes = scots.groupby("primary").size()', 'sizes = scots["primary"].value_counts()'),
            ("weight = tau2 / (tau2 + sigma2 / sizes)", "weight = 1 / (1 + sigma2 / (sizes * tau2))"),
            ('without = mlmcourse.fit("attain ~ verbal + (1 | primary)", scots, reml=False)',
             'without = mlmcourse.fit("attain ~ verbal + (1 | primary)", scots)'),
            ('with_context = mlmcourse.fit("attain ~ verbal + verbal_mean + (1 | primary)", scots, reml=False)',
             'with_context = mlmcourse.fit("attain ~ verbal + verbal_mean + (1 | primary)", scots)'),
        ]},
    },
    "a3-varying-slopes-chicks": {
        "wrong_1": {"loses": ["q1", "q3", "q4", "q5"], "edits": [
            ('birth_sd = chicks.loc[chicks["Time"] == 0, "weight"].std()',
             'birth_sd = chicks.loc[chicks["Time"] == 0, "weight"].var()'),
            ('slopes_model = mlmcourse.fit("weight ~ Time + (0 + Time | Chick)", chicks)',
             'slopes_model = mlmcourse.fit("weight ~ Time + (Time | Chick)", chicks)'),
            ('chick_rates = slopes_model.coef["Time"]',
             'chick_rates = slopes_model.ranef.set_index("level")["estimate"]'),
            ("explained = 1 - diet_rate_sd**2 / rate_sd**2", "explained = 1 - diet_rate_sd / rate_sd"),
        ]},
        # q4 is computed right from a wrong rate_sd (a variance): it keeps its points.
        "wrong_2": {"loses": ["q1", "q3", "q5"], "edits": [
            ('day21_sd = chicks.loc[chicks["Time"] == 21, "weight"].std()',
             'day21_sd = chicks.loc[chicks["Time"] == 20, "weight"].std()'),
            ('rate_sd = slopes_model.varcorr.query("group == \'Chick\' and term == \'Time\'")["sd"].iloc[0]',
             'rate_sd = slopes_model.varcorr.query("group == \'Chick\' and term == \'Time\'")["variance"].iloc[0]'),
            ('diet_model = mlmcourse.fit("weight ~ Time + Time:Diet + (0 + Time | Chick)", chicks)',
             'diet_model = mlmcourse.fit("weight ~ Time * Diet + (0 + Time | Chick)", chicks)'),
        ]},
        # numpy's standard deviation (ddof=0) and the exact normal quantile.
        "variant": {"edits": [
            ('birth_sd = chicks.loc[chicks["Time"] == 0, "weight"].std()',
             'birth_sd = np.std(chicks.loc[chicks["Time"] == 0, "weight"])'),
            ("rate_range = (mean_rate - 1.96 * rate_sd, mean_rate + 1.96 * rate_sd)",
             "rate_range = tuple(mean_rate + np.array([-1, 1]) * 1.959964 * rate_sd)"),
        ]},
    },
    "a4-intercepts-slopes-orthodont": {
        "wrong_1": {"loses": ["q1", "q2", "q4", "q5"], "edits": [
            ('corr_age0 = growth.varcorr.query("group == \'Subject\' and term == \'age\'")["corr"].iloc[0]',
             're = growth.ranef.pivot(index="level", columns="term", values="estimate")\n'
             'corr_age0 = re["Intercept"].corr(re["age"])'),
            ('ortho["age11"] = ortho["age"] - 11', 'ortho["age11"] = ortho["age"] - 8'),
            ('intercepts = mlmcourse.fit("distance ~ age11 + (1 | Subject)", ortho)',
             'intercepts = mlmcourse.fit("distance ~ 1 + (1 | Subject)", ortho)'),
            ('boys_extra = sex_model.fixef.loc["age11:Sex[T.Male]", "estimate"]',
             'boys_extra = sex_model.fixef.loc["Sex[T.Male]", "estimate"]'),
        ]},
        # q4 keeps its points: it does not depend on the wrong answers of q1 and q2.
        "wrong_2": {"loses": ["q1", "q2", "q5"], "edits": [
            ('growth = mlmcourse.fit("distance ~ age + (age | Subject)", ortho)',
             'growth = mlmcourse.fit("distance ~ age + Sex + (age | Subject)", ortho)'),
            ('corr_age11 = centred.varcorr.query("group == \'Subject\' and term == \'age11\'")["corr"].iloc[0]',
             'corr_age11 = -corr_age0'),
            ('girls_rate = sex_model.fixef.loc["age11", "estimate"]',
             'girls_rate = sex_model.fixef.loc["age11", "estimate"] + sex_model.fixef.loc["age11:Sex[T.Male]", "estimate"]'),
        ]},
        # The test of the random slopes with ML fits (lme4's anova default).
        "variant": {"edits": [
            ('intercepts = mlmcourse.fit("distance ~ age11 + (1 | Subject)", ortho)',
             'intercepts = mlmcourse.fit("distance ~ age11 + (1 | Subject)", ortho, reml=False)'),
            ("slopes_test = mlmcourse.compare(intercepts, centred)",
             'slopes_test = mlmcourse.compare(intercepts, mlmcourse.fit("distance ~ age11 + (age11 | Subject)", '
             'ortho, reml=False))'),
        ]},
    },
    "a5-contextual-gcse": {
        "wrong_1": {"loses": ["q1", "q2", "q3", "q4", "q5"], "edits": [
            ('gcse["written_within"] = gcse["written"] - gcse["written_mean"]',
             'gcse["written_within"] = gcse["written"] - gcse["written"].mean()'),
            ("contextual = between - within", "contextual = between"),
            ('raw_model = mlmcourse.fit("course ~ written + written_mean + gender + (1 | school)", gcse)',
             'raw_model = mlmcourse.fit("course ~ written + written_mean + (1 | school)", gcse)'),
            ('school_means = gcse.groupby("school")["written_mean"].first()',
             'school_means = gcse["written_mean"]'),
            ('no_cross = mlmcourse.fit("course ~ written_within + written_mean + gender + (written_within | school)", gcse)',
             'no_cross = mlmcourse.fit("course ~ written_within + written_mean + gender + (1 | school)", gcse)'),
        ]},
        # q3 and q5 are right for the student's own (wrong) gcse: they keep their points.
        "wrong_2": {"loses": ["q1", "q2", "q4"], "edits": [
            ('gcse = gcsemv.dropna(subset=["written", "course"]).copy()',
             'gcse = gcsemv.dropna(subset=["course"]).copy()'),
            ('within_between = mlmcourse.fit("course ~ written_within + written_mean + gender + (1 | school)", gcse)',
             'within_between = mlmcourse.fit("course ~ written_within + written_mean + (1 | school)", gcse)'),
            ('slope_low = b["written_within"] + interaction * school_means.quantile(0.1)',
             'slope_low = interaction * school_means.quantile(0.1)'),
        ]},
        # An ML fit in the likelihood-ratio test; the school means computed another way.
        "variant": {"edits": [
            ('gcse["written_mean"] = gcse.groupby("school")["written"].transform("mean")',
             'gcse["written_mean"] = gcse["school"].map(gcse.groupby("school")["written"].mean())'),
            ('school_means = gcse.groupby("school")["written_mean"].first()',
             'school_means = gcse.groupby("school")["written"].mean()'),
            ('no_cross = mlmcourse.fit("course ~ written_within + written_mean + gender + (written_within | school)", gcse)',
             'no_cross = mlmcourse.fit("course ~ written_within + written_mean + gender + (written_within | school)", '
             'gcse, reml=False)'),
        ]},
    },
    "a6-growth-oxboys": {
        "wrong_1": {"loses": ["q1", "q2", "q3", "q4", "q5"], "edits": [
            ("mean_gain = (wide[9] - wide[1]).mean()",
             'mean_gain = oxboys["height"].max() - oxboys["height"].min()'),
            ('rate_sd = linear.varcorr.query("group == \'Subject\' and term == \'age\'")["sd"].iloc[0]',
             'rate_sd = linear.varcorr.query("group == \'Subject\' and term == \'age\'")["variance"].iloc[0]'),
            ("r2_within = 1 - residual(linear) / residual(empty)",
             'r2_within = 1 - linear.varcorr["variance"].iloc[0] / empty.varcorr["variance"].iloc[0]'),
            ('quadratic = mlmcourse.fit("height ~ age + I(age**2) + (age | Subject)", oxboys)',
             'quadratic = mlmcourse.fit("height ~ age + age**2 + (age | Subject)", oxboys)'),
            ('rate_at_end = b["age"] + 2 * b["I(age ** 2)"] * 1', 'rate_at_end = b["age"] + b.iloc[-1]'),
        ]},
        # q2 and q5 keep their points.
        "wrong_2": {"loses": ["q1", "q3", "q4"], "edits": [
            ('n_boys = oxboys["Subject"].nunique()', "n_boys = len(oxboys)"),
            ('residual = lambda model: model.varcorr.query("group == \'Residual\'")["variance"].iloc[0]',
             'residual = lambda model: model.varcorr.query("group == \'Residual\'")["sd"].iloc[0]'),
            ("curve_test = mlmcourse.compare(linear, quadratic)", "curve_test = mlmcourse.compare(empty, quadratic)"),
        ]},
        # ML fit of the quadratic model (compare refits the REML linear one); other spellings.
        "variant": {"edits": [
            ('per_boy = oxboys.groupby("Subject").size()', 'per_boy = oxboys["Subject"].value_counts()'),
            ('quadratic = mlmcourse.fit("height ~ age + I(age**2) + (age | Subject)", oxboys)',
             'quadratic = mlmcourse.fit("height ~ age + I(age**2) + (age | Subject)", oxboys, reml=False)'),
            ('rate_at_end = b["age"] + 2 * b["I(age ** 2)"] * 1', "rate_at_end = b.iloc[1] + 2 * b.iloc[2]"),
        ]},
    },
    "a7-binary-bacteria": {
        "wrong_1": {"loses": ["q1", "q2", "q3", "q4", "q6"], "edits": [
            ('prop_by_week = bacteria.groupby("week")["y"].mean()',
             'prop_by_week = 1 - bacteria.groupby("week")["y"].mean()'),
            ('odds_ratios = np.exp(ri.fixef["estimate"])', 'odds_ratios = ri.fixef["estimate"]'),
            ("icc_latent = tau**2 / (tau**2 + np.pi**2 / 3)", "icc_latent = tau**2 / (tau**2 + 1)"),
            ("or_marginal = odds[1] / odds[0]", "or_marginal = p_marginal[1] / p_marginal[0]"),
            ('no_trt = mlmcourse.fit("y ~ late + (1 | ID)", bacteria, family="binomial")',
             'no_trt = mlmcourse.fit("y ~ 1 + (1 | ID)", bacteria, family="binomial")'),
        ]},
        # q4 and q6 keep their points: they are right for the student's own ri (carried forward).
        "wrong_2": {"loses": ["q1", "q2", "q3", "q5"], "edits": [
            ("n_missing = 5 * n_children - len(bacteria)", 'n_missing = int(bacteria["y"].isna().sum())'),
            ('or_drug_ci = tuple(np.exp(ri.fixef.loc["trt[T.drug]", ["ci_lower", "ci_upper"]]))',
             'or_drug_ci = tuple(odds_ratios["trt[T.drug]"] + np.array([-1.96, 1.96]) * ri.fixef.loc["trt[T.drug]", "se"])'),
            ('tau = ri.varcorr["sd"].iloc[0]', 'tau = ri.varcorr["variance"].iloc[0]'),
            ('ri_agq = mlmcourse.fit("y ~ trt + late + (1 | ID)", bacteria, family="binomial", nagq=25)',
             'ri_agq = mlmcourse.fit("y ~ trt + late + (1 | ID)", bacteria, family="binomial")'),
        ]},
        # Quadrature fits (nagq=15) in the likelihood-ratio test; other spellings.
        "variant": {"edits": [
            ("n_missing = 5 * n_children - len(bacteria)",
             'n_missing = bacteria["week"].nunique() * n_children - len(bacteria)'),
            ('prop_by_week = bacteria.groupby("week")["y"].mean()',
             'prop_by_week = pd.crosstab(bacteria["week"], bacteria["y"], normalize="index")[1]'),
            ('odds_ratios = np.exp(ri.fixef["estimate"])', 'odds_ratios = np.exp(ri.fixef["estimate"]).drop("Intercept")'),
            ("icc_latent = tau**2 / (tau**2 + np.pi**2 / 3)", "icc_latent = ri.icc"),
            ("median_or = np.exp(np.sqrt(2) * tau * stats.norm.ppf(0.75))", "median_or = np.exp(0.954 * tau)"),
            ("or_marginal = odds[1] / odds[0]",
             "or_marginal = np.exp(np.diff(np.log(odds.iloc[:2])))[0]"),
            ('ri_agq = mlmcourse.fit("y ~ trt + late + (1 | ID)", bacteria, family="binomial", nagq=25)',
             'ri_agq = mlmcourse.fit("y ~ trt + late + (1 | ID)", bacteria, family="binomial", nagq=15)'),
            ('no_trt = mlmcourse.fit("y ~ late + (1 | ID)", bacteria, family="binomial")',
             'no_trt = mlmcourse.fit("y ~ late + (1 | ID)", bacteria, family="binomial", nagq=15)'),
            ("trt_test = mlmcourse.compare(no_trt, ri)", "trt_test = mlmcourse.compare(no_trt, ri_agq)"),
        ]},
    },
}
