# Re-time glmer (its default control) on this machine: elapsed and CPU seconds, median of 3.
#
# Run from the repository root:
#   Rscript bench/glmer_times_now.R [output.json] [model ids to skip ...]
# then compare with   .venv/bin/python bench/bench_glmm.py --glmer-times output.json
#
# reference/glmer_times.json is written by reference/glmer_reference.R during its 30-minute
# run, on a machine that may have been busy; timing glmer and mlmcourse.fit back to back
# puts both under the same load.  The models, data and formulas are the reference script's.
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
arguments <- commandArgs(trailingOnly = TRUE)
output <- if (length(arguments) >= 1) arguments[1] else "glmer_times_now.json"
skip <- arguments[-1]
source_lines <- readLines(file.path("reference", "glmer_reference.R"))
# the data sets, the zoo and r_formula(), without the reference script's fitting loop
eval(parse(text = source_lines[1:(grep("^tight <- ", source_lines)[1] - 1)]))
r_formula <- function(text) {
  as.formula(gsub("np.", "", gsub("**", "^", text, fixed = TRUE), fixed = TRUE))
}
models <- list()
for (model in zoo) {
  if (model$id %in% skip) next
  times <- sapply(1:3, function(i) system.time(suppressWarnings(suppressMessages(
    glmer(r_formula(model$formula), data = datasets[[model$data]], family = model$family,
          nAGQ = model$nagq)))))
  entry <- list(id = model$id, seconds = median(times["elapsed", ]),
                cpu_seconds = median(times["user.self", ] + times["sys.self", ]))
  message(sprintf("%-32s elapsed %6.2f  cpu %6.2f", entry$id, entry$seconds, entry$cpu_seconds))
  models[[length(models) + 1]] <- entry
}
writeLines(toJSON(list(generated_by = "bench/glmer_times_now.R",
                       lme4 = as.character(packageVersion("lme4")),
                       load_average = as.numeric(
                         strsplit(readLines("/proc/loadavg"), " ")[[1]][1:3]),
                       models = models), auto_unbox = TRUE, digits = NA, pretty = TRUE), output)
