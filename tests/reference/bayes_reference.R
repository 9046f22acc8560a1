# Maximum-likelihood Weibull PH fits that the vague-prior posteriors are compared with.
# Run from the repository root:  Rscript tests/reference/bayes_reference.R
# Made with R 4.2.2 and survival 3.5.3 (Debian packages r-base-core, r-cran-survival, r-cran-jsonlite).
# survreg fits the AFT form; the PH log hazard ratio of a term is -coef / scale and the Weibull
# shape is 1 / scale.
suppressMessages({library(survival); library(jsonlite)})
out <- list(r_version = R.version.string, survival_version = as.character(packageVersion("survival")))
fit_one <- function(time, event, treated) {
  f <- survreg(Surv(time, event) ~ treated, dist = "weibull")
  list(log_hr = unname(-coef(f)["treated"] / f$scale),
       log_hr_se = unname(sqrt(vcov(f)["treated", "treated"]) / f$scale),  # delta method ignoring scale uncertainty
       shape = 1 / f$scale, loglik = f$loglik[2])
}
lung2 <- na.omit(lung[, c("time", "status", "sex")])
out$lung <- c(list(data = "lung.csv (time, status 2 = death, sex 2 = treated)"),
              fit_one(lung2$time, as.integer(lung2$status == 2), as.integer(lung2$sex == 2)))
if (file.exists("bayeshcc/studies/hcc2024/paper_cohort.csv")) {
  d <- read.csv("bayeshcc/studies/hcc2024/paper_cohort.csv")
  for (o in c("os", "pfs")) {
    out[[paste0("paper_", o)]] <- fit_one(d[[paste0(o, "_months")]], d[[paste0(o, "_event")]],
                                          as.integer(d$arm == "lenvatinib"))
  }
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/fixtures/bayes_survreg.json")
