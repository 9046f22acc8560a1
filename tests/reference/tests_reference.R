# Reference numbers for bayeshcc.tables.tests (Table 1's two-group tests).
#
# How to run (from the repository root):  Rscript tests/reference/tests_reference.R
# Made with R 4.2.2 (Debian r-base-core), jsonlite 1.8.4. Writes
# tests/reference/fixtures/tests_wilcox.json: for each case the two samples and
# wilcox.test(x, y)'s default p-value (two-sided; exact when both samples have fewer than 50
# values and there are no ties, otherwise the normal approximation with continuity and tie
# correction), its statistic W and which of the two R used (from the method string).
suppressPackageStartupMessages(library(jsonlite))

set.seed(20263)
cases <- list(
  # both < 50, no ties: exact
  small_no_ties = list(x = round(rnorm(12, 50, 10), 3), y = round(rnorm(15, 56, 10), 3)),
  # both < 50, unequal sizes, no ties, W in the upper tail: exact
  small_upper_tail = list(x = round(rnorm(30, 60, 8), 3), y = round(rnorm(9, 52, 8), 3)),
  # both < 50 with ties (integers): normal approximation with tie correction
  small_ties = list(x = rpois(20, 6), y = rpois(25, 8)),
  # one sample >= 50, no ties: normal approximation
  large_no_ties = list(x = round(rexp(60, 1 / 5), 4), y = round(rexp(45, 1 / 7), 4)),
  # both >= 50 with ties
  large_ties = list(x = rpois(80, 3), y = rpois(70, 3.6)),
  # W exactly at its mean (n.x n.y / 2): p = 1
  centre = list(x = c(1, 4, 5, 8), y = c(2, 3, 6, 7))
)
out <- lapply(cases, function(d) {
  w <- wilcox.test(d$x, d$y)
  list(x = d$x, y = d$y, p = w$p.value, W = unname(w$statistic),
       exact = !grepl("continuity", w$method), method = w$method)
})
out$r_version <- R.version.string
write_json(out, "tests/reference/fixtures/tests_wilcox.json", digits = NA, auto_unbox = TRUE,
           pretty = FALSE)
cat("wrote tests/reference/fixtures/tests_wilcox.json\n")
