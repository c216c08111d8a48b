# What every reference script shares: reading a course data set as lme4 wants it.
# Each script sources this file from the repository root: source(file.path("reference", "common.R")).

# A course CSV from data/, with the named columns as factors (their values read as text).
read_course_csv <- function(name, factors) {
  path <- file.path("data", paste0(name, ".csv"))
  if (!file.exists(path)) stop("cannot find ", path, "; run this script from the repository root")
  data <- read.csv(path, stringsAsFactors = FALSE)
  for (column in factors) data[[column]] <- factor(as.character(data[[column]]))
  data
}
