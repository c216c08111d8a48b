# lme4's seconds and log-likelihoods for the scaling cases of bench/bench_scaling.py.
#
# Run from the repository root after `python reference/simulated.py` (which writes the
# simulated designs to reference/.cache/); `make reference` runs both.  Writes
# bench/lme4_scaling.json.  One run per case, lmer()'s default optimizer, ML fits.

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

results <- list()
for (case in names(cases)) {
  spec <- cases[[case]]
  data <- read_design(spec[[1]], spec[[3]])
  seconds <- system.time(fit <- lmer(as.formula(spec[[2]]), data = data, REML = FALSE))["elapsed"]
  results[[case]] <- list(seconds = unname(seconds), loglik = as.numeric(logLik(fit)),
                          optimizer = fit@optinfo$optimizer)
  message(sprintf("%-20s %8.2f s  logLik %.4f", case, seconds, as.numeric(logLik(fit))))
}

output <- list(generated_by = "bench/lme4_scaling.R",
               R = paste(R.version$major, R.version$minor, sep = "."),
               lme4 = as.character(packageVersion("lme4")),
               note = "elapsed seconds of one lmer() run on this machine",
               cases = results)
writeLines(toJSON(output, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path("bench", "lme4_scaling.json"), useBytes = TRUE)
