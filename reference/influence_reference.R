# lme4's answers for leaving one group out (mlmcourse.influence), for the checking-models chapter.
#
# Run from the repository root:   Rscript reference/influence_reference.R
# Writes reference/influence_reference.json: for each model, the full fit's fixed effects and
# their covariance, and for every group left out the fixed effects of the lme4 refit without
# it, the change b_(j) - b and group-level Cook's distance
#   D_j = (b - b_(j))' [Var(b)]^{-1} (b - b_(j)) / p,
# which is what HLMdiag's cooks.distance() computes for group deletion (HLMdiag is not a Debian
# package, so the refits are done here with lme4 itself).  Each refit starts at the full fit's
# theta and uses bobyqa with a tight tolerance; needs R with lme4 and jsonlite.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

source(file.path("reference", "common.R"))  # read_course_csv()

models <- list(
  list(id = "sleep_slopes_reml", data = "sleepstudy", group = "Subject",
       formula = "Reaction ~ Days + (Days | Subject)",
       frame = read_course_csv("sleepstudy", "Subject")),
  list(id = "hsb_slope_explained_reml", data = "hsb", group = "school",
       formula = "mathach ~ cses * (sector + meanses) + (cses | school)",
       frame = read_course_csv("hsb", c("school", "sector")))
)

tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5))

leave_one_out <- function(model) {
  full <- lmer(as.formula(model$formula), data = model$frame, REML = TRUE, control = tight)
  b <- fixef(full)
  precision <- solve(as.matrix(vcov(full)))
  groups <- lapply(levels(model$frame[[model$group]]), function(level) {
    rest <- droplevels(model$frame[model$frame[[model$group]] != level, ])
    refit <- lmer(as.formula(model$formula), data = rest, REML = TRUE, control = tight,
                  start = list(theta = getME(full, "theta")))
    change <- fixef(refit) - b
    list(level = level, rows = sum(model$frame[[model$group]] == level),
         cooks_distance = as.numeric(t(change) %*% precision %*% change) / length(b),
         change = as.list(change), loglik = as.numeric(logLik(refit)))
  })
  list(id = model$id, data = model$data, formula = model$formula, reml = TRUE,
       group = model$group, fixef = as.list(b), vcov = unname(as.matrix(vcov(full))),
       groups = groups)
}

result <- list(generated_by = "reference/influence_reference.R",
               R = paste(R.version$major, R.version$minor, sep = "."),
               lme4 = as.character(packageVersion("lme4")),
               models = lapply(models, leave_one_out))
writeLines(toJSON(result, auto_unbox = TRUE, digits = 15, pretty = TRUE),
           file.path("reference", "influence_reference.json"), useBytes = TRUE)
