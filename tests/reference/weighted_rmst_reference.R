# Reference numbers for propensity-weighted Kaplan-Meier curves and RMSTs (issue 23).
#
# How to run (from the repository root):
#     Rscript tests/reference/weighted_rmst_reference.R
# Made with R 4.2.2 and survival 3.5.3 (Debian r-cran-survival), jsonlite 1.8.
# Writes tests/reference/data/colon_death.csv and tests/reference/fixtures/weighted_rmst.json.
#
# Datasets:
#   gbsg         tests/reference/data/gbsg.csv (written by survival_reference.R from
#                survival::gbsg, 686 patients): group = hormon == 1; PS covariates age, meno,
#                size, grade, nodes, pgr, er; tau = 1825 days
#   colon_death  survival::colon, death records, Lev+5FU (group TRUE) vs observation, rows
#                with a missing covariate removed (594 patients), the covariates of
#                matchit_reference.R's colon (differ and extent dummy-coded); tau = 1825 days
#   paper_os     the bundled synthetic cohort's overall survival (paper_os.csv, months) with the
#                PS covariates of models/paper.toml (paper_cohort.csv; 126 patients, largest
#                ATE weight about 23); tau = 12 months
#
# For each dataset and estimand (ate, att, overlap; unstabilised, untrimmed, as WeightIt's
# method = "glm"): glm(group ~ covariates, binomial) coefficients, the weights, and per arm
# survfit(Surv(time, event) ~ 1, weights = w) (robust by default: the weights are not
# integers): survmean's rmean at tau; the fixed-weight infinitesimal-jackknife SE of the RMST,
# sqrt(sum_i U_i^2) with U_i = sum_j influence.surv[i, j] * (width of step j up to tau)
# (survfit(..., influence = TRUE)); quantile(fit, 0.5) and summary(fit, times = landmarks).
# R has no RMST SE that accounts for the estimated PS; tests/reference/weighted_rmst_bootstrap.py
# gives the bootstrap SE that refits it.
suppressPackageStartupMessages({library(survival); library(jsonlite)})

out_data <- "tests/reference/data"
out_fix <- "tests/reference/fixtures"
num <- function(x) { x <- as.numeric(x); x[is.infinite(x)] <- NA; x }

cl <- subset(survival::colon, etype == 2 & rx != "Lev")
cl <- na.omit(cl[, c("time", "status", "rx", "age", "sex", "obstruct", "perfor", "adhere",
                     "nodes", "differ", "extent", "surg")])
colon_d <- data.frame(time = cl$time, event = cl$status, group = cl$rx == "Lev+5FU",
                      age = cl$age, sex = cl$sex, obstruct = cl$obstruct, perfor = cl$perfor,
                      adhere = cl$adhere, nodes = cl$nodes,
                      differ2 = as.numeric(cl$differ == 2), differ3 = as.numeric(cl$differ == 3),
                      extent2 = as.numeric(cl$extent == 2), extent3 = as.numeric(cl$extent == 3),
                      extent4 = as.numeric(cl$extent == 4), surg = cl$surg)
write.csv(colon_d, file.path(out_data, "colon_death.csv"), row.names = FALSE)

datasets <- list(
  gbsg = list(data = read.csv(file.path(out_data, "gbsg.csv")), csv = "gbsg.csv",
              covariates = c("age", "meno", "size", "grade", "nodes", "pgr", "er"),
              tau = 1825, landmarks = c(365, 730, 1825)),
  colon_death = list(data = colon_d, csv = "colon_death.csv",
                     covariates = c("age", "sex", "obstruct", "perfor", "adhere", "nodes",
                                    "differ2", "differ3", "extent2", "extent3", "extent4",
                                    "surg"),
                     tau = 1825, landmarks = c(365, 730, 1825)),
  paper_os = local({
    design <- read.csv(file.path(out_data, "paper_cohort.csv"))
    os <- read.csv(file.path(out_data, "paper_os.csv"))
    stopifnot(all(design$treat == as.integer(as.logical(os$group))))
    covs <- setdiff(names(design), c("id", "treat"))
    list(data = cbind(data.frame(time = os$time, event = os$event,
                                 group = as.logical(os$group)), design[, covs]),
         csv = NULL, covariates = covs, tau = 12, landmarks = c(3, 6, 12))
  }))

weights_of <- function(e, t, estimand) switch(estimand,
  ate = ifelse(t, 1 / e, 1 / (1 - e)),
  att = ifelse(t, 1, e / (1 - e)),
  overlap = ifelse(t, 1 - e, e))

arm_entry <- function(d, w, tau, landmarks) {
  fit <- survfit(Surv(time, event) ~ 1, data = d, weights = w, influence = TRUE)
  pm <- survival:::survmean(fit, rmean = tau)$matrix
  keep <- fit$time <= tau
  width <- diff(c(fit$time[keep], tau))
  u <- fit$influence.surv[, keep, drop = FALSE] %*% width
  q <- quantile(fit, probs = 0.5)
  s <- summary(fit, times = landmarks)
  list(rmean = num(pm["rmean"]), se_rmean_survmean = num(pm["se(rmean)"]),
       se_rmean_ij = sqrt(sum(u^2)),
       median = list(quantile = num(q$quantile), lower = num(q$lower), upper = num(q$upper)),
       landmarks = list(times = num(s$time), surv = num(s$surv), lower = num(s$lower),
                        upper = num(s$upper), std_err = num(s$std.err)))
}

out <- list(r_version = R.version.string,
            survival_version = as.character(packageVersion("survival")))
for (name in names(datasets)) {
  ds <- datasets[[name]]
  d <- ds$data
  f <- as.formula(paste("group ~", paste(ds$covariates, collapse = " + ")))
  ps <- glm(f, data = d, family = binomial)
  e <- unname(fitted(ps))
  entry <- list(csv = if (is.null(ds$csv)) list("paper_cohort.csv", "paper_os.csv") else ds$csv,
                covariates = ds$covariates, tau = ds$tau,
                ps_coef = num(coef(ps)), estimands = list())
  for (estimand in c("ate", "att", "overlap")) {
    w <- weights_of(e, d$group, estimand)
    tr <- arm_entry(d[d$group, ], w[d$group], ds$tau, ds$landmarks)
    rf <- arm_entry(d[!d$group, ], w[!d$group], ds$tau, ds$landmarks)
    entry$estimands[[estimand]] <- list(
      weights = num(w), treated = tr, reference = rf,
      difference = tr$rmean - rf$rmean,
      difference_se_ij = sqrt(tr$se_rmean_ij^2 + rf$se_rmean_ij^2))
  }
  out[[name]] <- entry
  cat("wrote", name, "\n")
}
write_json(out, file.path(out_fix, "weighted_rmst.json"), digits = NA, auto_unbox = TRUE,
           null = "null", na = "null", pretty = FALSE)
