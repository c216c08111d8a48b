# lmerTest, lme4 and pbkrtest answers for the course's inference (issue 12).
#
# Run from the repository root:   Rscript reference/inference_reference.R
# (`make reference` runs it.)  About 3 minutes on the 2-core machine.
#
# Writes reference/inference_reference.json:
#   - lmerTest's Satterthwaite df, t and p for every fixed effect of the linear models;
#   - lme4's confint(method = "profile") and confint(method = "Wald") (oldNames = FALSE),
#     level 0.95, for the linear models and one GLMM;
#   - pbkrtest's PBmodcomp for two comparisons (1000 simulations, seeded).
# Parameter names are lme4's with "(Intercept)" written "Intercept" and grouping factors
# named as in the formula (lme4's "cask:batch" is "batch:cask"); fixed-effect names are R's.
# profile_warnings lists lme4's warnings during profiling (such as "non-monotonic profile for
# cor_floor.Intercept|county").  Deterministic except for the PBmodcomp p-values, which depend on R's random numbers (seeded).
# Needs R with lme4, lmerTest, pbkrtest and jsonlite.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(jsonlite)
})

source(file.path("reference", "common.R"))  # read_course_csv()

datasets <- list(
  sleepstudy = read_course_csv("sleepstudy", "Subject"),
  radon      = read_course_csv("radon", "county"),
  hsb        = read_course_csv("hsb", c("school", "sector")),
  pastes     = read_course_csv("pastes", c("batch", "cask", "sample")),
  scotssec   = read_course_csv("scotssec", c("primary", "second")),
  cbpp       = read_course_csv("cbpp", c("herd", "period"))
)

model <- function(id, data, formula, reml = TRUE, family = "gaussian", rename = character(0)) {
  list(id = id, data = data, formula = formula, reml = reml, family = family, rename = rename)
}

models <- list(
  model("sleep_slopes_reml", "sleepstudy", "Reaction ~ Days + (Days | Subject)"),
  model("sleep_intercepts_reml", "sleepstudy", "Reaction ~ Days + (1 | Subject)"),
  model("radon_uranium_slopes_reml", "radon", "log_radon ~ floor + uranium + (floor | county)"),
  model("pastes_nested_reml", "pastes", "strength ~ 1 + (1 | batch/cask)",
        rename = c("cask:batch" = "batch:cask")),
  # crossed, and the variance of `second` is near zero: its profile lower limit is 0
  model("scotssec_crossed_reml", "scotssec", "attain ~ verbal + (1 | primary) + (1 | second)"),
  model("hsb_cross_level_reml", "hsb", "mathach ~ cses * sector + meanses + (cses | school)"),
  model("cbpp_period", "cbpp", "cbind(incidence, size - incidence) ~ period + (1 | herd)",
        reml = FALSE, family = "binomial")
)

comparisons <- list(
  list(id = "sleep_slope_variance", data = "sleepstudy",
       large = "Reaction ~ Days + (Days | Subject)", small = "Reaction ~ Days + (1 | Subject)"),
  list(id = "radon_floor_slope_variance", data = "radon",
       large = "log_radon ~ floor + (floor | county)", small = "log_radon ~ floor + (1 | county)"),
  # --- testsch ---
  list(id = "pastes_batch_variance", data = "pastes",
       large = "strength ~ 1 + (1 | batch/cask)", small = "strength ~ 1 + (1 | sample)")
)
NSIM <- 1000
SEED <- 20240501

clean_name <- function(name, rename) {
  name <- gsub("(Intercept)", "Intercept", name, fixed = TRUE)
  for (from in names(rename)) name <- sub(paste0("|", from), paste0("|", rename[[from]]), name,
                                          fixed = TRUE)
  name
}

interval_rows <- function(ci, rename, fixed_names) {
  lapply(seq_len(nrow(ci)), function(i) {
    name <- rownames(ci)[i]
    list(parameter = if (name %in% fixed_names) name else clean_name(name, rename),
         lower = unname(ci[i, 1]), upper = unname(ci[i, 2]))
  })
}

fit_model <- function(m) {
  data <- datasets[[m$data]]
  if (m$family == "gaussian") {
    lmer(as.formula(m$formula), data = data, REML = m$reml)
  } else {
    # glmer's default PIRLS tolerance (1e-7) stops short of the conditional modes and moves
    # its standard errors by about 1 % (reference/README.md); the tight one, as glmer_reference.R
    glmer(as.formula(m$formula), data = data, family = m$family,
          control = glmerControl(optimizer = "bobyqa", tolPwrss = 1e-12,
                                 optCtrl = list(rhoend = 1e-10)))
  }
}

answers <- lapply(models, function(m) {
  cat(m$id, "\n")
  fit <- fit_model(m)
  fixed_names <- names(fixef(fit))
  out <- list(id = m$id, data = m$data, formula = m$formula, reml = m$reml, family = m$family,
              singular = isSingular(fit))
  if (m$family == "gaussian") {
    table <- summary(fit, ddf = "Satterthwaite")$coefficients
    out$satterthwaite <- lapply(seq_len(nrow(table)), function(i) list(
      term = rownames(table)[i], estimate = table[i, "Estimate"], se = table[i, "Std. Error"],
      df = table[i, "df"], t = table[i, "t value"], p = table[i, "Pr(>|t|)"]))
  }
  warned <- character(0)
  ci <- withCallingHandlers(confint(fit, method = "profile", oldNames = FALSE),
                            warning = function(w) {
                              warned <<- c(warned, conditionMessage(w))
                              invokeRestart("muffleWarning")
                            })
  out$confint_profile <- interval_rows(ci, m$rename, fixed_names)
  # lme4 interpolates a spline through its profile points; where it warns that a profile is
  # not monotonic (a second branch of the likelihood), the interpolated limit is unreliable.
  out$profile_warnings <- I(unique(clean_name(warned, m$rename)))
  out$confint_wald <- interval_rows(confint(fit, method = "Wald", oldNames = FALSE), m$rename,
                                    fixed_names)
  out
})

pb <- lapply(comparisons, function(cmp) {
  cat(cmp$id, "\n")
  data <- datasets[[cmp$data]]
  large <- lmer(as.formula(cmp$large), data = data)
  small <- lmer(as.formula(cmp$small), data = data)
  result <- PBmodcomp(large, small, nsim = NSIM, seed = SEED)
  list(id = cmp$id, data = cmp$data, large = cmp$large, small = cmp$small, nsim = NSIM,
       seed = SEED, stat = result$test["LRT", "stat"], df = result$test["LRT", "df"],
       p_chisq = result$test["LRT", "p.value"], p_pb = result$test["PBtest", "p.value"],
       npos = unname(result$samples[["npos"]]), n_extreme = result$n.extreme)
})

version_of <- function(package) as.character(packageVersion(package))
reference <- list(
  generated_by = "reference/inference_reference.R",
  R = paste(R.version$major, R.version$minor, sep = "."),
  lme4 = version_of("lme4"), lmerTest = version_of("lmerTest"), pbkrtest = version_of("pbkrtest"),
  level = 0.95, models = answers, pbmodcomp = pb)
writeLines(toJSON(reference, auto_unbox = TRUE, digits = I(15), pretty = TRUE, na = "null",
                  null = "null"),
           file.path("reference", "inference_reference.json"))
cat("wrote reference/inference_reference.json\n")
