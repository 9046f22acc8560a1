# Reference numbers for bayeshcc.frequentist, computed with R's `survival` package.
#
# How to run (from the repository root):
#     Rscript tests/reference/survival_reference.R
# Made with R 4.2.2 and survival 3.5.3 (Debian r-cran-survival), jsonlite 1.8.
# Writes the datasets it uses to tests/reference/data/*.csv and one JSON fixture per
# dataset to tests/reference/fixtures/survival_<dataset>.json. The Python tests read only
# these files; they never call R.
#
# Datasets (all from survival, recoded: event = 1 for death, group = TRUE for "treated"):
#   lung        status 2 -> event 1, group = sex == 2; covariates age, ph_ecog (rows with
#               missing ph.ecog dropped)
#   veteran     group = trt == 2; covariates karno, age, celltype (factor, reference
#               squamous, dummy columns celltype[smallcell], celltype[adeno], celltype[large]);
#               deterministic weights w_int = 1 + (row %% 3), w_frac = 0.5 + ((7 row) %% 11) / 10
#   ovarian     futime/fustat, group = rx == 2; covariates age, ecog_ps
#   lung_ties   lung with time = ceiling(time / 91.3) (quarters: heavy ties)
#   retinopathy futime/status, group = trt == 1, cluster = id (two eyes per patient, one
#               treated: the shape of a matched-pair cohort); covariates age, risk;
#               weights w_frac as for veteran (weighted + clustered fits)
#   gbsg        survival::gbsg (686 patients): rfstime/status, group = hormon == 1; covariates
#               age, meno, size, grade, nodes, pgr, er. The reference arm's log CI band
#               dips below 0.5 at 1814 days and rises above it again with 3 at risk: R's
#               upper median limit is 1814 there (issue 23)
#   band_recross two small samples (group TRUE: 24 patients, FALSE: 21) whose upper log CI
#               bands are not monotone: TRUE's dips below 0.5 at 68 and rises above it at
#               116 (quantile's upper limit 68); FALSE's dips to 0.4596 at 60 and rises to
#               0.4613 at 75, where quantile.survfit's findq (approx() on the sorted band)
#               gives 75 and print.survfit's first crossing gives 60
#   paper       bayeshcc/studies/hcc2024/paper_cohort.csv when it exists (arm == "lenvatinib",
#               os_months/os_event, pfs_months/pfs_event); skipped when absent.
suppressPackageStartupMessages({library(survival); library(jsonlite)})

out_data <- "tests/reference/data"
out_fix <- "tests/reference/fixtures"
dir.create(out_data, showWarnings = FALSE, recursive = TRUE)
dir.create(out_fix, showWarnings = FALSE, recursive = TRUE)

num <- function(x) { x <- as.numeric(x); x[is.infinite(x)] <- NA; x }

km_entry <- function(d, arm, wname, conf_type, landmarks, tau) {
  dd <- switch(arm, all = d, treated = d[d$group, ], reference = d[!d$group, ])
  w <- if (is.null(wname)) rep(1, nrow(dd)) else dd[[wname]]
  fit <- survfit(Surv(time, event) ~ 1, data = dd, weights = w, conf.type = conf_type)
  q <- quantile(fit, probs = 0.5)
  pm <- survival:::survmean(fit, rmean = tau)$matrix
  lm <- landmarks[landmarks <= max(dd$time)]
  s <- summary(fit, times = lm)
  list(arm = arm, weights = wname, conf_type = conf_type,
       table = list(time = num(fit$time), n_risk = num(fit$n.risk),
                    n_event = num(fit$n.event), n_censor = num(fit$n.censor),
                    surv = num(fit$surv), std_err = num(fit$std.err),
                    logse = fit$logse, lower = num(fit$lower), upper = num(fit$upper)),
       median = list(quantile = num(q$quantile), lower = num(q$lower), upper = num(q$upper)),
       print_median = list(median = num(pm["median"]), lower = num(pm[8]), upper = num(pm[9])),
       landmarks = list(times = num(s$time), surv = num(s$surv),
                        lower = num(s$lower), upper = num(s$upper)),
       tau = tau, rmean = num(pm["rmean"]), se_rmean = num(pm["se(rmean)"]))
}

zph_table <- function(z) {
  t <- z$table
  list(term = rownames(t), chisq = num(t[, "chisq"]), df = num(t[, "df"]), p = num(t[, "p"]))
}

cox_entry <- function(d, name, terms, ties, wname = NULL, robust = FALSE, cluster = FALSE,
                      groups = NULL) {
  f <- as.formula(paste("Surv(time, event) ~", paste(sprintf("`%s`", terms), collapse = " + ")))
  w <- if (is.null(wname)) NULL else d[[wname]]
  fit <- if (cluster) {
    coxph(f, data = d, ties = ties, weights = w, cluster = cl)
  } else {
    coxph(f, data = d, ties = ties, weights = w, robust = robust)
  }
  s <- summary(fit)
  has_rob <- !is.null(fit$naive.var)
  out <- list(name = name, terms = terms, ties = ties, weights = wname,
              robust = robust || cluster, cluster = cluster,
              coef = num(coef(fit)), se = num(sqrt(diag(fit$var))),
              naive_se = num(if (has_rob) sqrt(diag(fit$naive.var)) else sqrt(diag(fit$var))),
              robust_se = num(if (has_rob) sqrt(diag(fit$var)) else rep(NA, length(terms))),
              z = num(s$coefficients[, "z"]), p = num(s$coefficients[, "Pr(>|z|)"]),
              hr_lower = num(s$conf.int[, "lower .95"]), hr_upper = num(s$conf.int[, "upper .95"]),
              loglik = num(fit$loglik), n = fit$n, n_events = fit$nevent,
              lr = num(s$logtest), score = num(s$sctest),
              # summary()'s waldtest is rounded to 2 decimals: recompute from fit$wald.test
              wald = num(c(fit$wald.test, length(terms),
                           pchisq(fit$wald.test, length(terms), lower.tail = FALSE))),
              robust_score = if (has_rob) num(s$robscore) else NULL,
              iter = fit$iter,
              zph = zph_table(cox.zph(fit, transform = "km", terms = FALSE)))
  if (!is.null(groups)) {
    # the same fit with factor columns grouped into one test (cox.zph terms = TRUE)
    ff <- as.formula(paste("Surv(time, event) ~", groups$formula))
    fit2 <- if (cluster) coxph(ff, data = d, ties = ties, weights = w, cluster = cl)
            else coxph(ff, data = d, ties = ties, weights = w, robust = robust)
    out$zph_terms <- zph_table(cox.zph(fit2, transform = "km", terms = TRUE))
    out$zph_groups <- groups$groups
  }
  out
}

reference <- function(name, d, landmarks, tau, covariates, weights = list(NULL),
                      cluster = FALSE, groups = NULL) {
  write.csv(d, file.path(out_data, paste0(name, ".csv")), row.names = FALSE)
  km <- list()
  for (wname in weights) for (arm in c("all", "treated", "reference"))
    for (ct in c("log", "log-log", "plain"))
      km[[length(km) + 1]] <- km_entry(d, arm, wname, ct, landmarks, tau)
  sd <- survdiff(Surv(time, event) ~ group, data = d)
  cox <- list()
  for (ties in c("efron", "breslow")) {
    cox[[length(cox) + 1]] <- cox_entry(d, paste("univariable", ties), "group", ties)
    cox[[length(cox) + 1]] <- cox_entry(d, paste("multivariable", ties),
                                        c("group", covariates), ties, groups = groups)
  }
  cox[[length(cox) + 1]] <- cox_entry(d, "univariable robust", "group", "efron", robust = TRUE)
  for (wname in weights) if (!is.null(wname)) {
    cox[[length(cox) + 1]] <- cox_entry(d, paste("univariable", wname), "group", "efron",
                                        wname = wname, robust = TRUE)
    cox[[length(cox) + 1]] <- cox_entry(d, paste("multivariable", wname),
                                        c("group", covariates), "efron",
                                        wname = wname, robust = TRUE)
    cox[[length(cox) + 1]] <- cox_entry(d, paste("univariable", wname, "breslow"), "group",
                                        "breslow", wname = wname, robust = TRUE)
  }
  if (cluster) {
    cox[[length(cox) + 1]] <- cox_entry(d, "univariable cluster", "group", "efron", cluster = TRUE)
    for (wname in weights) if (!is.null(wname))
      cox[[length(cox) + 1]] <- cox_entry(d, paste("univariable cluster", wname), "group", "efron",
                                          wname = wname, cluster = TRUE)
    cox[[length(cox) + 1]] <- cox_entry(d, "multivariable cluster", c("group", covariates),
                                        "efron", cluster = TRUE)
  }
  fx <- list(dataset = name, csv = paste0(name, ".csv"),
             r_version = R.version.string,
             survival_version = as.character(packageVersion("survival")),
             covariates = covariates, km = km,
             survdiff = list(chisq = num(sd$chisq), df = length(sd$n) - 1,
                             p = num(pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE)),
                             observed = num(sd$obs), expected = num(sd$exp),
                             variance = num(sd$var[2, 2])),
             cox = cox)
  write_json(fx, file.path(out_fix, paste0("survival_", name, ".json")),
             digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE)
  cat("wrote", name, "\n")
}

# ---- lung -----------------------------------------------------------------
l <- survival::lung[!is.na(survival::lung$ph.ecog), ]
lung_d <- data.frame(time = l$time, event = as.integer(l$status == 2), group = l$sex == 2,
                     age = l$age, ph_ecog = l$ph.ecog)
reference("lung", lung_d, landmarks = c(90, 180, 365, 730), tau = 365,
          covariates = c("age", "ph_ecog"))

# ---- veteran (factor, weights) ----------------------------------------------
v <- survival::veteran
row <- seq_len(nrow(v))
vet_d <- data.frame(time = v$time, event = v$status, group = v$trt == 2,
                    karno = v$karno, age = v$age,
                    `celltype[smallcell]` = as.numeric(v$celltype == "smallcell"),
                    `celltype[adeno]` = as.numeric(v$celltype == "adeno"),
                    `celltype[large]` = as.numeric(v$celltype == "large"),
                    celltype = as.character(v$celltype),
                    w_int = 1 + (row %% 3), w_frac = 0.5 + ((7 * row) %% 11) / 10,
                    check.names = FALSE)
vet_d$celltype <- factor(vet_d$celltype, levels = c("squamous", "smallcell", "adeno", "large"))
reference("veteran", vet_d, landmarks = c(30, 90, 180, 365), tau = 180,
          covariates = c("karno", "age", "celltype[smallcell]", "celltype[adeno]", "celltype[large]"),
          weights = list(NULL, "w_int", "w_frac"),
          groups = list(formula = "group + karno + age + celltype",
                        groups = list(group = "group", karno = "karno", age = "age",
                                      celltype = c("celltype[smallcell]", "celltype[adeno]",
                                                   "celltype[large]"))))

# ---- ovarian ------------------------------------------------------------------
o <- survival::ovarian
reference("ovarian", data.frame(time = o$futime, event = o$fustat, group = o$rx == 2,
                                age = o$age, ecog_ps = o$ecog.ps),
          landmarks = c(200, 400, 600), tau = 700, covariates = c("age", "ecog_ps"))

# ---- heavy ties ---------------------------------------------------------------
ties_d <- lung_d
ties_d$time <- ceiling(ties_d$time / 91.3)
reference("lung_ties", ties_d, landmarks = c(1, 2, 4, 8), tau = 6,
          covariates = c("age", "ph_ecog"))

# ---- cluster (two eyes per patient) -------------------------------------------
r <- survival::retinopathy
rrow <- seq_len(nrow(r))
reference("retinopathy", data.frame(time = r$futime, event = r$status, group = r$trt == 1,
                                    age = r$age, risk = r$risk, cl = r$id,
                                    w_frac = 0.5 + ((7 * rrow) %% 11) / 10),
          landmarks = c(12, 24, 48), tau = 48, covariates = c("age", "risk"), cluster = TRUE,
          weights = list(NULL, "w_frac"))

# ---- gbsg: the band re-crosses 0.5 (issue 23) ----------------------------------
g <- survival::gbsg
reference("gbsg", data.frame(time = g$rfstime, event = g$status, group = g$hormon == 1,
                             age = g$age, meno = g$meno, size = g$size, grade = g$grade,
                             nodes = g$nodes, pgr = g$pgr, er = g$er),
          landmarks = c(365, 730, 1825), tau = 1825,
          covariates = c("age", "meno", "size", "grade", "nodes", "pgr", "er"))

# ---- band_recross: non-monotone upper bands, made up (two samples found by a random search)
reference("band_recross",
          data.frame(time = c(65, 31, 3, 25, 15, 30, 54, 118, 55, 93, 1, 6, 14, 68, 18, 116,
                              5, 2, 13, 65, 26, 6, 31, 28,
                              20, 11, 52, 20, 20, 61, 7, 31, 8, 26, 3, 81, 75, 28, 7, 21,
                              6, 60, 17, 43, 7),
                     event = c(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0,
                               1, 1, 1, 1,
                               1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1),
                     group = rep(c(TRUE, FALSE), c(24, 21))),
          landmarks = c(20, 40, 60), tau = 60, covariates = character(0))

# ---- the bundled cohort, when another part of the project has written it ------
paper_csv <- "bayeshcc/studies/hcc2024/paper_cohort.csv"
if (file.exists(paper_csv)) {
  p <- read.csv(paper_csv)
  need <- c("arm", "os_months", "os_event", "pfs_months", "pfs_event")
  if (all(need %in% names(p))) {
    for (oc in c("os", "pfs")) {
      reference(paste0("paper_", oc),
                data.frame(time = p[[paste0(oc, "_months")]], event = p[[paste0(oc, "_event")]],
                           group = p$arm == "lenvatinib"),
                landmarks = c(3, 6, 12), tau = 12, covariates = character(0))
    }
  } else cat("skipped", paper_csv, ": columns", setdiff(need, names(p)), "missing\n")
} else cat("skipped", paper_csv, "(absent)\n")

# ---- E-values (VanderWeele & Ding 2017), transcribed from the EValue package's formulas
# (evalues.HR -> evalues.RR; EValue itself is not packaged for Debian) -------------------
evalue_rr <- function(rr) { if (rr < 1) rr <- 1 / rr; rr + sqrt(rr * (rr - 1)) }
hr_to_rr <- function(hr) (1 - 0.5^sqrt(hr)) / (1 - 0.5^sqrt(1 / hr))
evalue_hr <- function(est, lo, hi, rare) {
  conv <- if (rare) identity else hr_to_rr
  rr <- conv(est); rlo <- conv(lo); rhi <- conv(hi)
  ci <- if (rlo <= 1 && rhi >= 1) 1 else if (rr > 1) evalue_rr(rlo) else evalue_rr(rhi)
  list(hr = est, lower = lo, upper = hi, rare = rare,
       rr = rr, rr_lower = rlo, rr_upper = rhi, evalue = evalue_rr(rr), evalue_ci = ci)
}
ev_cases <- list(c(0.45, 0.24, 0.83), c(1.5, 1.1, 2.5), c(0.8, 0.6, 1.1), c(3.9, 1.8, 8.7),
                 c(0.62, 0.41, 0.94), c(2.0, 0.9, 4.4))
ev <- list()
for (x in ev_cases) for (rare in c(FALSE, TRUE)) ev[[length(ev) + 1]] <- evalue_hr(x[1], x[2], x[3], rare)
write_json(list(r_version = R.version.string, cases = ev), file.path(out_fix, "evalue_reference.json"),
           digits = NA, auto_unbox = TRUE)
cat("wrote evalue\n")
