# M-spline and I-spline bases of splines2 that bayeshcc.bayes.families.mspline is checked against.
# Run from the repository root:  Rscript tests/reference/mspline_reference.R
# Made with R 4.2.2 and splines2 0.4.7 (Debian packages r-base-core, r-cran-splines2,
# r-cran-jsonlite). intercept = TRUE keeps every basis function, as rstanarm::stan_surv does
# (df = 6 cubic basis functions: 2 interior knots).
suppressMessages({library(splines2); library(jsonlite)})
out <- list(r_version = R.version.string, splines2_version = as.character(packageVersion("splines2")))
one <- function(knots, boundary, x) {
  m <- mSpline(x, knots = knots, Boundary.knots = c(0, boundary), degree = 3, intercept = TRUE)
  i <- iSpline(x, knots = knots, Boundary.knots = c(0, boundary), degree = 3, intercept = TRUE)
  list(knots = knots, boundary = boundary, x = x,
       mspline = unname(unclass(m)[, , drop = FALSE]), ispline = unname(unclass(i)[, , drop = FALSE]))
}
x <- c(0, 0.05, 0.4, 1, 1.3, 2, 2.5, 2.99, 3)
out$tertiles <- one(c(1, 2), 3, x)                      # the SBC knots: df = 6
out$uneven <- one(c(0.2, 0.5, 1.7), 3, x)               # df = 7, unequal spacing
out$no_interior <- one(numeric(0), 3, x)                # df = 4, the cubic alone
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, matrix = "rowmajor"),
           "tests/reference/fixtures/mspline_splines2.json")
