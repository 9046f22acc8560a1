# Reference numbers for standardised survival contrasts (issue 25, `[bayes] outcome_covariates`).
#
# riskRegression::ate with a Cox outcome model (coxph, x = TRUE) and a logistic propensity
# model, on two public cohorts of the survival package as tests/reference/survival_reference.R
# wrote them to tests/reference/data/ (event = 1 for the event, group = TRUE for "treated"):
#   gbsg   survival::gbsg (686 patients): rfstime/status, group = hormon == 1 (hormonal
#          therapy); covariates age, meno, size, nodes; times 365, 1095, 1825 days
#   lung   survival::lung without missing ph.ecog (227 patients): status 2 -> event 1,
#          group = sex == 2 (female); covariates age, ph_ecog; times 180, 365, 540 days
# The same covariates enter the outcome model (with the treatment), the propensity model and,
# for the AIPTW estimator, the censoring model (a Cox model of the censoring times, needed by
# riskRegression as soon as there is censoring: "AIPTW,AIPCW").
#
# Estimators (riskRegression's names):
#   GFORMULA  the outcome model alone, its predicted survival under each arm averaged over the
#             standardisation population: everyone (estimand ate), or the treated patients
#             (estimand att: data = the treated rows, data.index = their positions, so the SE
#             accounts for the outcome model being fitted on everyone)
#   IPTW      inverse probability of treatment (and censoring) weighting, no outcome model
#   AIPTW     the doubly robust augmented estimator (outcome, propensity and censoring models)
# riskRegression reports risks, 1 - S(t); the fixture holds survival: S(t) = 1 - risk per arm
# and the difference S_treated(t) - S_reference(t) = -(risk_treated - risk_reference), whose
# SE is the risk difference's. Rows: dataset, estimand, estimator, time, quantity
# (survival_treated, survival_reference, difference), estimate, se, lower, upper (95 % Wald).
# RMST up to tau = the last of the three times (quantity rmst_treated, rmst_reference,
# rmst_difference; time = tau): each estimator's survival curve is a step function of time, so
# its area is the sum of S(t_j) (t_{j+1} - t_j) over the distinct observed times t_j < tau
# (t_0 = 0, S = 1), and the SE comes from the same sum of ate()'s influence functions
# (iid = TRUE): se = sqrt(sum_i (sum_j IF_ij dt_j)^2), as riskRegression's own SEs are.
#
# Made with R 4.2.2 (Debian r-base-core) and riskRegression 2022.11.28 (Debian
# r-cran-riskregression), survival 3.5.3. Run from the repository root:
#     Rscript tests/reference/standardised_ate.R
# Writes tests/reference/fixtures/standardised_ate.csv (the Python tests read only that file
# and the data CSVs; they never call R).
suppressPackageStartupMessages({library(survival); library(riskRegression); library(data.table)})

out_fix <- "tests/reference/fixtures"
dir.create(out_fix, showWarnings = FALSE, recursive = TRUE)

cohorts <- list(
  gbsg = list(covariates = c("age", "meno", "size", "nodes"), times = c(365, 1095, 1825)),
  lung = list(covariates = c("age", "ph_ecog"), times = c(180, 365, 540))
)

rows <- list()
add_rows <- function(res, dataset, estimand, estimator) {
  # res: an ate() object; its meanRisk / diffRisk tables (riskRegression >= 2020.12)
  mr <- as.data.frame(res$meanRisk)
  dr <- as.data.frame(res$diffRisk)
  mr <- mr[mr$estimator == estimator, ]
  dr <- dr[dr$estimator == estimator, ]
  for (arm in c(1, 0)) {
    m <- mr[mr$treatment == arm, ]
    rows[[length(rows) + 1]] <<- data.frame(
      dataset = dataset, estimand = estimand, estimator = estimator, time = m$time,
      quantity = if (arm == 1) "survival_treated" else "survival_reference",
      estimate = 1 - m$estimate, se = m$se, lower = 1 - m$upper, upper = 1 - m$lower)
  }
  # diffRisk: B - A with A = the first level (0), B = 1: risk_treated - risk_reference
  d <- dr[dr$A == 0 & dr$B == 1, ]
  rows[[length(rows) + 1]] <<- data.frame(
    dataset = dataset, estimand = estimand, estimator = estimator, time = d$time,
    quantity = "difference", estimate = -d$estimate, se = d$se, lower = -d$upper,
    upper = -d$lower)
}

add_rmst <- function(res, d, tau, grid, dataset, estimand, estimator) {
  # res: ate() at times = grid (the distinct observed times below tau, 0 excluded), iid = TRUE
  mr <- as.data.frame(res$meanRisk)
  dt <- diff(c(0, grid, tau))                           # widths of [0, t_1), [t_1, t_2), ...
  area <- list()
  for (arm in c("1", "0")) {
    risk <- mr[mr$estimator == estimator & mr$treatment == arm, ]
    risk <- risk[order(risk$time), "estimate"]
    iid <- res$iid[[estimator]][[arm]]                # patients x times, of the risk
    area[[arm]] <- list(estimate = sum(c(1, 1 - risk) * dt),
                        iid = -iid %*% dt[-1])          # the risk's iid, integrated, negated
  }
  se <- function(x) sqrt(sum(x^2))
  diff_iid <- area[["1"]]$iid - area[["0"]]$iid
  est <- c(area[["1"]]$estimate, area[["0"]]$estimate,
           area[["1"]]$estimate - area[["0"]]$estimate)
  ses <- c(se(area[["1"]]$iid), se(area[["0"]]$iid), se(diff_iid))
  rows[[length(rows) + 1]] <<- data.frame(
    dataset = dataset, estimand = estimand, estimator = estimator, time = tau,
    quantity = c("rmst_treated", "rmst_reference", "rmst_difference"), estimate = est,
    se = ses, lower = est - qnorm(0.975) * ses, upper = est + qnorm(0.975) * ses)
}

for (name in names(cohorts)) {
  cfg <- cohorts[[name]]
  d <- read.csv(file.path("tests/reference/data", paste0(name, ".csv")))
  d <- data.frame(time = d$time, event = d$event, treat = as.integer(d$group == "TRUE"),
                  d[cfg$covariates])
  d$treat_f <- factor(d$treat, levels = c(0, 1))
  rhs <- paste(cfg$covariates, collapse = " + ")
  outcome <- coxph(as.formula(paste("Surv(time, event) ~ treat_f +", rhs)), data = d,
                   x = TRUE, y = TRUE)
  censor <- coxph(as.formula(paste("Surv(time, event == 0) ~ treat_f +", rhs)), data = d,
                  x = TRUE, y = TRUE)
  ps <- glm(as.formula(paste("treat_f ~", rhs)), data = d, family = binomial)

  # everyone: G-formula, IPTW and AIPTW
  res <- ate(event = outcome, treatment = ps, censor = censor, data = d, times = cfg$times,
             estimator = c("GFORMULA", "IPTW", "AIPTW"), se = TRUE, verbose = FALSE)
  for (est in c("GFORMULA", "IPTW", "AIPTW")) add_rows(res, name, "ate", est)

  # the treated: the G-formula standardised over the treated patients only
  treated <- which(d$treat == 1)
  res_t <- ate(event = outcome, treatment = "treat_f", data = d[treated, ],
               data.index = treated, times = cfg$times, estimator = "GFORMULA", se = TRUE,
               verbose = FALSE)
  add_rows(res_t, name, "att", "GFORMULA")

  # RMST up to the last time, on the grid of distinct observed times below it
  tau <- max(cfg$times)
  grid <- sort(unique(d$time[d$time < tau]))
  res_r <- ate(event = outcome, treatment = ps, censor = censor, data = d, times = grid,
               estimator = c("GFORMULA", "AIPTW"), se = TRUE, iid = TRUE, verbose = FALSE)
  for (est in c("GFORMULA", "AIPTW")) add_rmst(res_r, d, tau, grid, name, "ate", est)
}

out <- do.call(rbind, rows)
out$r_version <- R.version$version.string
out$riskregression_version <- as.character(packageVersion("riskRegression"))
write.csv(out, file.path(out_fix, "standardised_ate.csv"), row.names = FALSE)
print(out[, c("dataset", "estimand", "estimator", "time", "quantity", "estimate", "se")])
