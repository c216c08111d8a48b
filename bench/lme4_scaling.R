# lme4's seconds and log-likelihoods for the scaling cases of bench/bench_scaling.py.
#
# Run from the repository root after `python reference/simulated.py` (which writes the
# simulated designs to reference/.cache/); `make reference` runs both.  Writes
# bench/lme4_scaling.json.  lmer()'s default optimizer, ML fits; timing as in time_fit() below.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

read_design <- function(name, factors) {
  path <- if (name == "insteval") file.path("data", "insteval.csv") else
    file.path("reference", ".cache", paste0(name, ".csv"))
  if (!file.exists(path)) stop("cannot find ", path, "; run python reference/simulated.py first")
  data <- read.csv(path, stringsAsFactors = FALSE)
  for (column in factors) data[[column]] <- factor(as.character(data[[column]]))
  data
}

cases <- list(
  intercepts_10000 = list("slopes_10000", "y ~ x + (1 | g)", "g"),
  intercepts_100000 = list("slopes_100000", "y ~ x + (1 | g)", "g"),
  intercepts_1000000 = list("slopes_1000000", "y ~ x + (1 | g)", "g"),
  slopes_10000 = list("slopes_10000", "y ~ x + (x | g)", "g"),
  slopes_100000 = list("slopes_100000", "y ~ x + (x | g)", "g"),
  slopes_1000000 = list("slopes_1000000", "y ~ x + (x | g)", "g"),
  crossed_10000 = list("crossed_10000", "y ~ x + (1 | a) + (1 | b)", c("a", "b")),
  crossed_100000 = list("crossed_100000", "y ~ x + (1 | a) + (1 | b)", c("a", "b")),
  insteval = list("insteval", "y ~ service + (1 | s) + (1 | d) + (1 | dept)", c("s", "d", "dept"))
)

# Elapsed seconds of one lmer() fit: the median of 3 runs when a run takes under 2 s (one run
# otherwise), after one warm-up fit so that nothing is counted that is loaded once per session.
time_fit <- function(formula, data) {
  runs <- numeric(0)
  repeat {
    runs <- c(runs, system.time(fit <- lmer(formula, data = data, REML = FALSE))["elapsed"])
    if (length(runs) == 3 || runs[1] >= 2) break
  }
  list(seconds = median(runs), fit = fit)
}
invisible(lmer(Reaction ~ Days + (Days | Subject), sleepstudy, REML = FALSE))  # warm-up

results <- list()
for (case in names(cases)) {
  spec <- cases[[case]]
  data <- read_design(spec[[1]], spec[[3]])
  timing <- time_fit(as.formula(spec[[2]]), data)
  seconds <- timing$seconds
  fit <- timing$fit
  results[[case]] <- list(seconds = unname(seconds), loglik = as.numeric(logLik(fit)),
                          optimizer = fit@optinfo$optimizer)
  message(sprintf("%-20s %8.2f s  logLik %.4f", case, seconds, as.numeric(logLik(fit))))
}

output <- list(generated_by = "bench/lme4_scaling.R",
               R = paste(R.version$major, R.version$minor, sep = "."),
               lme4 = as.character(packageVersion("lme4")),
               note = "elapsed seconds of an lmer() fit on this machine: median of 3 runs under 2 s, else one run; after a warm-up fit",
               cases = results)
writeLines(toJSON(output, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path("bench", "lme4_scaling.json"), useBytes = TRUE)
