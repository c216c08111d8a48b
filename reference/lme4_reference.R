# lme4's answers for the course's model zoo.
#
# Run from the repository root:   Rscript reference/lme4_reference.R
# (`make reference` does exactly that.)
#
# Writes
#   reference/lme4_reference.json  estimates, deterministic (byte-identical on every run)
#   reference/lme4_times.json      fit times and optimizer diagnostics (changes run to run)
#
# Every model is fitted with several optimizers; the fit with the highest
# (restricted) log-likelihood is kept, so the reference is lme4's optimum and
# not one optimizer's stopping point.  Needs R with lme4 and jsonlite
# (Debian: apt-get install r-base-core r-cran-lme4 r-cran-jsonlite).

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

# ---- data ------------------------------------------------------------------

source(file.path("reference", "common.R"))  # read_course_csv()

datasets <- list(
  sleepstudy = read_course_csv("sleepstudy", "Subject"),
  radon      = read_course_csv("radon", "county"),
  hsb        = read_course_csv("hsb", c("school", "sector")),
  pastes     = read_course_csv("pastes", c("batch", "cask", "sample")),
  egsingle   = read_course_csv("egsingle", c("child", "school")),
  scotssec   = read_course_csv("scotssec", c("primary", "second")),
  bdf        = read_course_csv("bdf", c("school", "denomina"))
)

# patsy's stateful `center(x)`, so that formulas read the same in R and in Python
center <- function(x) x - mean(x)

# Simulated designs, written by reference/simulated.py (`make reference` runs it first).
read_simulated <- function(name, factors) {
  path <- file.path("reference", ".cache", paste0(name, ".csv"))
  if (!file.exists(path)) stop("cannot find ", path, "; run python reference/simulated.py first")
  data <- read.csv(path, stringsAsFactors = FALSE)
  for (column in factors) data[[column]] <- factor(data[[column]])
  data
}
datasets[["simulated:crossed_100000"]] <- read_simulated("crossed_100000", c("a", "b"))
for (name in c("checking_skewed", "checking_curvature", "checking_skewed_flaw", "checking_level2")) {
  datasets[[paste0("simulated:", name)]] <- read_simulated(name, "g")
}

# ---- the zoo ---------------------------------------------------------------
# `formula` is written exactly as Python's mlmcourse.fit receives it.
# `rename` maps lme4's name for a grouping factor to the name as written in the
# formula (lme4 calls the inner factor of `batch/cask` "cask:batch").

zoo_model <- function(id, data, formula, reml, rename = character(0), weights = NULL) {
  list(id = id, data = data, formula = formula, reml = reml, rename = rename, weights = weights)
}

zoo <- list(
  zoo_model("sleep_slopes_reml", "sleepstudy", "Reaction ~ Days + (Days | Subject)", TRUE),
  zoo_model("sleep_slopes_ml", "sleepstudy", "Reaction ~ Days + (Days | Subject)", FALSE),
  zoo_model("sleep_uncorrelated_reml", "sleepstudy", "Reaction ~ Days + (Days || Subject)", TRUE),
  zoo_model("sleep_intercepts_reml", "sleepstudy", "Reaction ~ Days + (1 | Subject)", TRUE),
  zoo_model("radon_floor_reml", "radon", "log_radon ~ floor + (1 | county)", TRUE),
  zoo_model("radon_empty_ml", "radon", "log_radon ~ 1 + (1 | county)", FALSE),
  zoo_model("radon_floor_slopes_reml", "radon", "log_radon ~ floor + (floor | county)", TRUE),
  zoo_model("radon_uranium_slopes_reml", "radon", "log_radon ~ floor + uranium + (floor | county)", TRUE),
  zoo_model("radon_uranium_slopes_ml", "radon", "log_radon ~ floor + uranium + (floor | county)", FALSE),
  zoo_model("radon_uranium_county_slope_singular_reml", "radon",
            "log_radon ~ floor + uranium + (uranium | county)", TRUE),
  zoo_model("hsb_empty_reml", "hsb", "mathach ~ 1 + (1 | school)", TRUE),
  zoo_model("hsb_ses_ml", "hsb", "mathach ~ ses + (1 | school)", FALSE),
  zoo_model("hsb_cses_slopes_reml", "hsb", "mathach ~ cses + (cses | school)", TRUE),
  zoo_model("hsb_cses_slopes_ml", "hsb", "mathach ~ cses + (cses | school)", FALSE),
  zoo_model("hsb_cross_level_reml", "hsb", "mathach ~ cses * sector + meanses + (cses | school)", TRUE),
  zoo_model("hsb_slope_explained_reml", "hsb",
            "mathach ~ cses * (sector + meanses) + (cses | school)", TRUE),
  zoo_model("hsb_uncorrelated_reml", "hsb", "mathach ~ cses + (1 | school) + (0 + cses | school)", TRUE),
  zoo_model("hsb_female_slopes_singular_reml", "hsb",
            "mathach ~ cses * (sector + meanses) + female + (cses + female | school)", TRUE),
  zoo_model("pastes_nested_reml", "pastes", "strength ~ 1 + (1 | batch/cask)", TRUE,
            rename = c("cask:batch" = "batch:cask")),
  # ---- growth-models chapter ----
  zoo_model("growth_means_reml", "egsingle", "math ~ 1 + (1 | child)", TRUE),
  zoo_model("growth_linear_reml", "egsingle", "math ~ year + (year | child)", TRUE),
  zoo_model("growth_parallel_reml", "egsingle", "math ~ year + (1 | child)", TRUE),
  zoo_model("growth_from_start_reml", "egsingle",
            "math ~ I(year + 1.5) + (I(year + 1.5) | child)", TRUE),
  zoo_model("growth_from_end_reml", "egsingle",
            "math ~ I(year - 2.5) + (I(year - 2.5) | child)", TRUE),
  zoo_model("growth_ethnic_reml", "egsingle",
            "math ~ year * (black + hispanic) + (year | child)", TRUE),
  zoo_model("growth_quadratic_reml", "egsingle",
            "math ~ year + I(year * year) + (year | child)", TRUE),
  zoo_model("growth_piecewise_reml", "egsingle",
            "math ~ year + I((year > 0.5) * (year - 0.5)) + (year | child)", TRUE),
  zoo_model("growth_retained_reml", "egsingle", "math ~ year + retained + (year | child)", TRUE),
  # ---- the fitting core: crossed slopes, prior weights, an offset, large crossed designs ----
  zoo_model("scotssec_crossed_slopes_reml", "scotssec",
            "attain ~ verbal + (verbal | primary) + (1 | second)", TRUE),
  zoo_model("hsb_size_weights_reml", "hsb", "mathach ~ ses + (ses | school)", TRUE, weights = "size"),
  zoo_model("hsb_size_weights_ml", "hsb", "mathach ~ ses + (1 | school)", FALSE, weights = "size"),
  zoo_model("radon_uranium_offset_reml", "radon",
            "log_radon ~ floor + offset(0.7 * uranium) + (1 | county)", TRUE),
  zoo_model("simulated_crossed_1e5_ml", "simulated:crossed_100000", "y ~ x + (1 | a) + (1 | b)", FALSE),
  zoo_model("growth_retained_split_reml", "egsingle",
            "math ~ year + I(retained - retained_mean) + retained_mean + (year | child)", TRUE),
  # --- contextual ---
  zoo_model("contextual_hsb_ses_reml", "hsb", "mathach ~ ses + (1 | school)", TRUE),
  zoo_model("contextual_hsb_cses_reml", "hsb", "mathach ~ cses + (1 | school)", TRUE),
  zoo_model("contextual_hsb_within_between_reml", "hsb", "mathach ~ cses + meanses + (1 | school)", TRUE),
  zoo_model("contextual_hsb_mundlak_reml", "hsb", "mathach ~ ses + meanses + (1 | school)", TRUE),
  zoo_model("contextual_hsb_intercepts_explained_reml", "hsb",
            "mathach ~ cses + sector + meanses + (cses | school)", TRUE),
  zoo_model("contextual_bdf_empty_reml", "bdf", "langPOST ~ 1 + (1 | school)", TRUE),
  zoo_model("contextual_bdf_ciq_reml", "bdf", "langPOST ~ cIQ_verb + (1 | school)", TRUE),
  zoo_model("contextual_bdf_contextual_reml", "bdf",
            "langPOST ~ cIQ_verb + center(IQ_verb_mean) + (1 | school)", TRUE),
  zoo_model("contextual_bdf_contextual_ml", "bdf",
            "langPOST ~ cIQ_verb + center(IQ_verb_mean) + (1 | school)", FALSE),
  zoo_model("contextual_bdf_slopes_reml", "bdf",
            "langPOST ~ cIQ_verb + center(IQ_verb_mean) + (cIQ_verb | school)", TRUE),
  zoo_model("contextual_bdf_slopes_ml", "bdf",
            "langPOST ~ cIQ_verb + center(IQ_verb_mean) + (cIQ_verb | school)", FALSE),
  zoo_model("contextual_bdf_cross_level_reml", "bdf",
            "langPOST ~ cIQ_verb * center(IQ_verb_mean) + (cIQ_verb | school)", TRUE),
  zoo_model("contextual_bdf_cross_level_ml", "bdf",
            "langPOST ~ cIQ_verb * center(IQ_verb_mean) + (cIQ_verb | school)", FALSE),
  zoo_model("contextual_bdf_denomination_reml", "bdf",
            "langPOST ~ cIQ_verb * (center(IQ_verb_mean) + denomina) + (cIQ_verb | school)", TRUE),
  zoo_model("contextual_bdf_denomination_ml", "bdf",
            "langPOST ~ cIQ_verb * (center(IQ_verb_mean) + denomina) + (cIQ_verb | school)", FALSE),
  zoo_model("contextual_bdf_iq_reml", "bdf", "langPOST ~ IQ_verb + (1 | school)", TRUE),
  zoo_model("contextual_bdf_grand_reml", "bdf",
            "langPOST ~ center(IQ_verb) + center(IQ_verb_mean) + (1 | school)", TRUE),
  # --- levels ---
  zoo_model("levels_eg_means_reml", "egsingle", "math ~ 1 + (1 | school/child)", TRUE,
            rename = c("child:school" = "school:child")),
  zoo_model("levels_eg_growth_reml", "egsingle", "math ~ year + (year | school) + (year | child)", TRUE),
  zoo_model("levels_eg_growth_school_intercept_reml", "egsingle",
            "math ~ year + (1 | school) + (year | child)", TRUE),
  zoo_model("levels_pastes_casks_crossed_reml", "pastes", "strength ~ 1 + (1 | batch) + (1 | cask)", TRUE),
  zoo_model("levels_scotssec_crossed_reml", "scotssec", "attain ~ verbal + (1 | primary) + (1 | second)", TRUE),
  zoo_model("levels_scotssec_forced_nested_reml", "scotssec", "attain ~ verbal + (1 | second/primary)", TRUE,
            rename = c("primary:second" = "second:primary")),
  zoo_model("levels_scotssec_second_only_reml", "scotssec", "attain ~ verbal + (1 | second)", TRUE),
  zoo_model("levels_scotssec_second_slopes_reml", "scotssec",
            "attain ~ verbal + (1 | primary) + (verbal | second)", TRUE),
  zoo_model("levels_scotssec_both_slopes_reml", "scotssec",
            "attain ~ verbal + (verbal | primary) + (verbal | second)", TRUE),
  zoo_model("levels_scotssec_uncorrelated_slopes_reml", "scotssec",
            "attain ~ verbal + (verbal || primary) + (verbal || second)", TRUE),
  zoo_model("levels_scotssec_sex_reml", "scotssec", "attain ~ verbal + sex + (1 | primary) + (1 | second)", TRUE),
  # --- checking ---
  zoo_model("sleep_centred_slopes_reml", "sleepstudy",
            "Reaction ~ I(Days - 4.5) + (I(Days - 4.5) | Subject)", TRUE),
  zoo_model("sleep_centred_uncorrelated_reml", "sleepstudy",
            "Reaction ~ I(Days - 4.5) + (I(Days - 4.5) || Subject)", TRUE),
  zoo_model("sleep_vertex_uncorrelated_reml", "sleepstudy",
            "Reaction ~ I(Days + 0.27) + (I(Days + 0.27) || Subject)", TRUE),
  zoo_model("checking_skewed_reml", "simulated:checking_skewed", "y ~ 1 + (1 | g)", TRUE),
  zoo_model("checking_curvature_reml", "simulated:checking_curvature", "y ~ x + (1 | g)", TRUE),
  zoo_model("checking_curvature_ml", "simulated:checking_curvature", "y ~ x + (1 | g)", FALSE),
  zoo_model("checking_curvature_quadratic_ml", "simulated:checking_curvature",
            "y ~ x + I(x * x) + (1 | g)", FALSE),
  zoo_model("checking_skewed_flaw_reml", "simulated:checking_skewed_flaw", "y ~ x + (1 | g)", TRUE),
  zoo_model("checking_level2_reml", "simulated:checking_level2", "y ~ x + (1 | g)", TRUE),
  zoo_model("checking_level2_ml", "simulated:checking_level2", "y ~ x + (1 | g)", FALSE),
  zoo_model("checking_level2_z_ml", "simulated:checking_level2", "y ~ x + z + (1 | g)", FALSE),
  # --- testsch ---
  zoo_model("testsch_sleep_intercepts_ml", "sleepstudy", "Reaction ~ Days + (1 | Subject)", FALSE),
  zoo_model("testsch_sleep_no_days_reml", "sleepstudy", "Reaction ~ 1 + (Days | Subject)", TRUE),
  zoo_model("testsch_sleep_no_days_ml", "sleepstudy", "Reaction ~ 1 + (Days | Subject)", FALSE),
  zoo_model("testsch_sleep_hours_reml", "sleepstudy", "Reaction ~ I(Days * 24) + (Days | Subject)", TRUE),
  zoo_model("testsch_sleep_hours_ml", "sleepstudy", "Reaction ~ I(Days * 24) + (Days | Subject)", FALSE),
  zoo_model("testsch_pastes_nested_ml", "pastes", "strength ~ 1 + (1 | batch/cask)", FALSE,
            rename = c("cask:batch" = "batch:cask")),
  zoo_model("testsch_pastes_sample_reml", "pastes", "strength ~ 1 + (1 | sample)", TRUE),
  zoo_model("testsch_pastes_sample_ml", "pastes", "strength ~ 1 + (1 | sample)", FALSE),
  zoo_model("testsch_radon_floor_ml", "radon", "log_radon ~ floor + (1 | county)", FALSE),
  zoo_model("testsch_radon_floor_slopes_ml", "radon", "log_radon ~ floor + (floor | county)", FALSE)
)

# ---- fitting ---------------------------------------------------------------
# Tried in this order; a later optimizer replaces the current best only when it
# improves the log-likelihood by more than `improvement`, so ties keep the first.

optimizers <- list(
  bobyqa_tight = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5)),
  bobyqa       = lmerControl(optimizer = "bobyqa"),
  Nelder_Mead  = lmerControl(optimizer = "Nelder_Mead"),
  nlminbwrap   = lmerControl(optimizer = "nlminbwrap"),
  nloptwrap    = lmerControl(optimizer = "nloptwrap")
)
improvement <- 1e-8

fit_once <- function(model, control) {
  data <- datasets[[model$data]]
  if (is.null(model$weights)) {
    return(lmer(as.formula(model$formula), data = data, REML = model$reml, control = control))
  }
  data$.weights <- data[[model$weights]]
  lmer(as.formula(model$formula), data = data, REML = model$reml, control = control,
       weights = .weights)
}

fit_quietly <- function(model, control) {
  notes <- character(0)
  fit <- withCallingHandlers(
    suppressMessages(fit_once(model, control)),
    warning = function(w) {
      notes <<- c(notes, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  list(fit = fit, loglik = as.numeric(logLik(fit)), warnings = unique(notes))
}

fit_best <- function(model) {
  attempts <- lapply(optimizers, function(control) fit_quietly(model, control))
  best <- names(attempts)[1]
  for (name in names(attempts)[-1]) {
    if (attempts[[name]]$loglik > attempts[[best]]$loglik + improvement) best <- name
  }
  list(best = best, attempts = attempts)
}

median_seconds <- function(model, control, runs = 3) {
  seconds <- vapply(seq_len(runs), function(i) {
    unname(system.time(suppressWarnings(suppressMessages(fit_once(model, control))))["elapsed"])
  }, numeric(1))
  list(median = median(seconds), runs = seconds)
}

# ---- extraction ------------------------------------------------------------

group_as_written <- function(lme4_name, rename) {
  name <- sub("\\.[0-9]+$", "", lme4_name)  # (x || g) and (1 | g) + (0 + x | g) give "g.1"
  if (name %in% names(rename)) rename[[name]] else name
}

fixef_rows <- function(fit) {
  estimates <- fixef(fit)
  ses <- sqrt(diag(as.matrix(vcov(fit))))
  lapply(seq_along(estimates), function(i) {
    list(term = names(estimates)[i], estimate = unname(estimates[i]), se = unname(ses[i]))
  })
}

varcorr_rows <- function(fit, rename) {
  table <- as.data.frame(VarCorr(fit), order = "lower.tri")
  lapply(seq_len(nrow(table)), function(i) {
    row <- table[i, ]
    is_residual <- row$grp == "Residual"
    is_covariance <- !is.na(row$var2)
    list(
      group = if (is_residual) "Residual" else group_as_written(row$grp, rename),
      var1 = if (is.na(row$var1)) NA else row$var1,
      var2 = if (is_covariance) row$var2 else NA,
      variance = row$vcov,
      sd = if (is_covariance) NA else row$sdcor,
      corr = if (is_covariance) row$sdcor else NA
    )
  })
}

ngroups_of <- function(fit, rename) {
  counts <- ngrps(fit)
  named <- setNames(as.list(as.integer(counts)),
                    vapply(names(counts), group_as_written, character(1), rename = rename))
  named[order(names(named))]
}

reference_entry <- function(model, fit) {
  list(
    id = model$id,
    data = model$data,
    formula = model$formula,
    reml = model$reml,
    weights = model$weights,
    fixef = fixef_rows(fit),
    varcorr = varcorr_rows(fit, model$rename),
    sigma = sigma(fit),
    loglik = as.numeric(logLik(fit)),
    singular = isSingular(fit),
    nobs = nobs(fit),
    ngroups = ngroups_of(fit, model$rename)
  )
}

timing_entry <- function(model, result) {
  timing <- median_seconds(model, optimizers[[result$best]])
  list(
    id = model$id,
    seconds = timing$median,
    runs = timing$runs,
    optimizer = result$best,
    loglik_by_optimizer = lapply(result$attempts, function(a) a$loglik),
    warnings_by_optimizer = lapply(result$attempts, function(a) as.list(a$warnings))
  )
}

# ---- main ------------------------------------------------------------------

versions <- list(R = paste(R.version$major, R.version$minor, sep = "."),
                 lme4 = as.character(packageVersion("lme4")))

# `Rscript reference/lme4_reference.R id ...` refits only those models and keeps the others'
# entries as they are in the JSON files.
only <- commandArgs(trailingOnly = TRUE)
read_entries <- function(path) {
  if (length(only) == 0 || !file.exists(path)) return(list())
  entries <- fromJSON(path, simplifyVector = FALSE)$models
  setNames(entries, vapply(entries, function(e) e$id, character(1)))
}
old_references <- read_entries(file.path("reference", "lme4_reference.json"))
old_timings <- read_entries(file.path("reference", "lme4_times.json"))

references <- list()
timings <- list()
for (model in zoo) {
  if (length(only) > 0 && !(model$id %in% only) && model$id %in% names(old_references)) {
    references[[length(references) + 1]] <- old_references[[model$id]]
    timings[[length(timings) + 1]] <- old_timings[[model$id]]
    next
  }
  result <- fit_best(model)
  references[[length(references) + 1]] <- reference_entry(model, result$attempts[[result$best]]$fit)
  timings[[length(timings) + 1]] <- timing_entry(model, result)
  message(sprintf("%-42s loglik %.4f  singular %-5s  optimizer %s", model$id,
                  result$attempts[[result$best]]$loglik,
                  isSingular(result$attempts[[result$best]]$fit), result$best))
}

write_json_file <- function(value, path) {
  text <- toJSON(value, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE)
  writeLines(text, path, useBytes = TRUE)
}

write_json_file(c(list(generated_by = "reference/lme4_reference.R"), versions, list(models = references)),
                file.path("reference", "lme4_reference.json"))
write_json_file(c(list(generated_by = "reference/lme4_reference.R"), versions,
                  list(note = "elapsed seconds, median of 3 runs of lmer() with the kept optimizer",
                       models = timings)),
                file.path("reference", "lme4_times.json"))
