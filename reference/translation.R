# The lme4 column of the appendix "From lme4 and statsmodels" (chapters/from-lme4.ipynb),
# run exactly as printed there: tests/test_translation.py checks that every lme4 line of the
# appendix's table appears in this file, and compares the numbers recorded here with mlmcourse.
#
# Run from the repository root:   Rscript reference/translation.R   (about a minute)
# Writes reference/translation.json. Needs lme4, lmerTest, pbkrtest and jsonlite
# (Debian: apt-get install r-base-core r-cran-lme4 r-cran-lmertest r-cran-pbkrtest).

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

source(file.path("reference", "common.R"))  # read_course_csv()
sleep <- read_course_csv("sleepstudy", "Subject")
pastes <- read_course_csv("pastes", c("batch", "cask"))
scotssec <- read_course_csv("scotssec", c("primary", "second"))
hsb <- read_course_csv("hsb", "school")
radon <- read_course_csv("radon", "county")
contraception <- read_course_csv("contraception", c("district", "livch"))
cbpp <- read_course_csv("cbpp", c("herd", "period"))

out <- list()
warned <- list()
# Record a task's numbers, and lme4's warnings while computing them.
record <- function(task, value) {
  messages <- character(0)
  value <- withCallingHandlers(value, warning = function(w) {
    messages <<- c(messages, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  out[[task]] <<- value
  if (length(messages)) warned[[task]] <<- messages
}
fit_numbers <- function(model) list(loglik = as.numeric(logLik(model)),
                                    fixef = unname(fixef(model)))

# ---- fitting ------------------------------------------------------------------
record("random intercept", fit_numbers(lmer(Reaction ~ Days + (1 | Subject), sleep)))
record("correlated random slope", fit_numbers(lmer(Reaction ~ Days + (Days | Subject), sleep)))
record("uncorrelated random slope", fit_numbers(lmer(Reaction ~ Days + (Days || Subject), sleep)))
record("nested", fit_numbers(lmer(strength ~ 1 + (1 | batch/cask), pastes)))
record("crossed", fit_numbers(lmer(attain ~ verbal + (1 | primary) + (1 | second), scotssec)))
record("maximum likelihood",
       fit_numbers(lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE)))
record("prior weights", fit_numbers(lmer(mathach ~ ses + (ses | school), hsb, weights = size)))
record("offset", fit_numbers(lmer(log_radon ~ floor + offset(0.7 * uranium) + (1 | county), radon)))
record("binary outcome", fit_numbers(glmer(use ~ age + urban + (1 | district), contraception,
                                           family = binomial)))
record("count outcome with exposure",
       fit_numbers(glmer(incidence ~ period + offset(log(size)) + (1 | herd), cbpp,
                         family = poisson)))
record("adaptive quadrature",
       fit_numbers(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp,
                         family = binomial, nAGQ = 25)))

# ---- one fitted model: its parts ---------------------------------------------------
m <- lmer(Reaction ~ Days + (Days | Subject), sleep)
m0 <- lmer(Reaction ~ Days + (1 | Subject), sleep)
record("fixed effects", unname(fixef(m)))
record("variances and correlations", as.data.frame(VarCorr(m))$sdcor)
record("conditional modes", unname(ranef(m)$Subject[1, ]))
record("predictions with random effects", unname(predict(m, newdata = sleep)[1:3]))
record("predictions without random effects", unname(predict(m, newdata = sleep, re.form = NA)[1:3]))
record("singular fit?", isSingular(m))
record("logLik, AIC, BIC", c(logLik(m), AIC(m), BIC(m)))

# ---- tests and intervals ----------------------------------------------------
record("Satterthwaite t tests",
       unname(summary(lmerTest::as_lmerModLmerTest(m))$coefficients[, "df"]))
record("likelihood-ratio test", anova(m0, m)$Chisq[2])
record("parametric bootstrap test",
       pbkrtest::PBmodcomp(m, m0, nsim = 200, seed = 1)$test["PBtest", "p.value"])
record("profile intervals", unname(confint(m, method = "profile", oldNames = FALSE)[, 1]))
record("Wald intervals", unname(confint(m, method = "Wald", oldNames = FALSE)[5:6, 1]))
record("simulated responses", length(simulate(m, nsim = 1, seed = 1)[[1]]))

output <- list(generated_by = "reference/translation.R",
               R = paste(R.version$major, R.version$minor, sep = "."),
               lme4 = as.character(packageVersion("lme4")),
               lmerTest = as.character(packageVersion("lmerTest")),
               pbkrtest = as.character(packageVersion("pbkrtest")),
               tasks = out, warnings = warned)
writeLines(toJSON(output, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path("reference", "translation.json"), useBytes = TRUE)
message("wrote reference/translation.json (", length(out), " tasks)")
