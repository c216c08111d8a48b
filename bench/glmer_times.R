# Time glmer (its default control) on this machine: elapsed and CPU seconds per fit, median
# of 3 batches, for bench/bench_glmm.py (`make reference` writes bench/glmer_times.json).
#
# Run from the repository root:
#   Rscript bench/glmer_times.R [output.json] [model ids to skip ...]
#
# reference/glmer_times.json is written by reference/glmer_reference.R during its 30-minute
# run, on a machine that may have been busy; this script times glmer alone, or, run right
# before `bench_glmm.py --glmer-times output.json`, under the same load as mlmcourse.fit.
# The models, data and formulas are the reference script's.
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
arguments <- commandArgs(trailingOnly = TRUE)
output <- if (length(arguments) >= 1) arguments[1] else file.path("bench", "glmer_times.json")
skip <- arguments[-1]
source_lines <- readLines(file.path("reference", "glmer_reference.R"))
# the data sets, the zoo and r_formula(), without the reference script's fitting loop
eval(parse(text = source_lines[1:(grep("^tight <- ", source_lines)[1] - 1)]))
r_formula <- function(text) {
  as.formula(gsub("np.", "", gsub("**", "^", text, fixed = TRUE), fixed = TRUE))
}
# system.time() counts in steps of 0.01 s, a fifth of a small model's fit: a batch of fits
# that takes about a second is timed instead, and divided by the number of fits.
models <- list()
for (model in zoo) {
  if (model$id %in% skip) next
  fit_once <- function() suppressWarnings(suppressMessages(
    glmer(r_formula(model$formula), data = datasets[[model$data]], family = model$family,
          nAGQ = model$nagq)))
  first <- system.time(fit_once())[["elapsed"]]
  batch <- max(1, ceiling(1 / max(first, 0.001)))
  times <- sapply(1:3, function(i) system.time(for (j in seq_len(batch)) fit_once()) / batch)
  entry <- list(id = model$id, seconds = median(times["elapsed", ]),
                cpu_seconds = median(times["user.self", ] + times["sys.self", ]),
                fits_per_batch = batch)
  message(sprintf("%-32s elapsed %6.2f  cpu %6.2f", entry$id, entry$seconds, entry$cpu_seconds))
  models[[length(models) + 1]] <- entry
}
writeLines(toJSON(list(generated_by = "bench/glmer_times.R",
                       lme4 = as.character(packageVersion("lme4")),
                       load_average = as.numeric(
                         strsplit(readLines("/proc/loadavg"), " ")[[1]][1:3]),
                       models = models), auto_unbox = TRUE, digits = NA, pretty = TRUE), output)
