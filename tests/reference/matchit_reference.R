# Reference numbers for bayeshcc.adjust (propensity score, matching, weights, balance).
#
# Fixtures in tests/reference/fixtures/matchit_*.json were produced with R 4.2.2 (Debian
# r-base-core) and MatchIt 4.7.2 (commit bccb2fc of github.com/kosukeimai/MatchIt, whose
# DESCRIPTION says Version 4.7.2; built from source into a private library). MatchIt 4.7.2
# needs chk >= 0.10.0 and rlang >= 1.1.0, newer than Debian's, so rlang 1.1.1 and chk 0.10.0
# were built from their GitHub tags into the same library; Rcpp 1.0.10, RcppProgress 0.4.2, backports 1.4.1,
# lifecycle 1.0.3, survival 3.5.3 and jsonlite 1.8.4 are Debian's r-cran-* packages:
#   git --git-dir=<rlang mirror> archive --prefix=rlang/ v1.1.1 | tar -x
#   git --git-dir=<chk mirror> archive --prefix=chk/ v0.10.0 | tar -x
#   git --git-dir=<MatchIt mirror> archive --prefix=MatchIt/ bccb2fc | tar -x
#   R CMD INSTALL -l /tmp/rlib rlang && R_LIBS=/tmp/rlib R CMD INSTALL -l /tmp/rlib chk
#   R_LIBS=/tmp/rlib R CMD INSTALL -l /tmp/rlib MatchIt
# MatchIt 4.6.0 rewrote nearest-neighbour matching in C++ (pairs can differ from 4.5.x where
# distances tie, and with replace = TRUE and ratio > 1) and 4.7.0 renumbered subclasses, so
# this script refuses MatchIt < 4.7. (Debian's r-cran-matchit 4.5.1 also truncates distances
# to integers and ignores the caliper: do not use it.)
# WeightIt and cobalt are not packaged in Debian: the weights are computed here by WeightIt's
# formulas, and weighted balance with MatchIt's own bal1var() (same definitions as summary()).
#
# Run from the repository root:  R_LIBS=/tmp/rlib Rscript tests/reference/matchit_reference.R
suppressPackageStartupMessages({
  library(MatchIt); library(survival); library(jsonlite)
})
if (packageVersion("MatchIt") < "4.7")
  stop("MatchIt >= 4.7 is required (the fixtures are MatchIt 4.7.2's pairs; 4.5.x breaks ties ",
       "differently and 4.5.1 ignores the caliper); found ", packageVersion("MatchIt"))

out_fix <- "tests/reference/fixtures"
out_dat <- "tests/reference/data"

balance <- function(X, treat, w = NULL) {
  t(sapply(colnames(X), function(v) {
    r <- MatchIt:::bal1var(X[, v], tt = treat, ww = w, s.weights = rep(1, length(treat)),
                           s.d.denom = "treated", standardize = TRUE, compute.pair.dist = FALSE)
    c(smd = unname(r["Std. Mean Diff."]), var_ratio = unname(r["Var. Ratio"]))
  }))
}

match_fixture <- function(m, ids) {
  mm <- m$match.matrix
  rows <- which(!is.na(mm), arr.ind = TRUE)
  tr <- as.integer(rownames(mm)[rows[, 1]])
  ct <- as.integer(mm[rows])
  list(treated_id = ids[tr], reference_id = ids[ct], column = unname(rows[, 2]),
       weights = unname(m$weights),
       subclass = if (is.null(m$subclass)) NULL else as.integer(as.character(m$subclass)))
}

make_reference <- function(name, df, formula) {
  # df: data.frame with id, treat (0/1) and the covariates of `formula`
  rownames(df) <- seq_len(nrow(df))
  X <- model.matrix(formula, df)[, -1, drop = FALSE]
  design <- data.frame(id = df$id, treat = df$treat, X, check.names = FALSE)
  write.csv(design, file.path(out_dat, paste0(name, ".csv")), row.names = FALSE)

  fit <- glm(formula, data = df, family = binomial)
  cf <- summary(fit)$coefficients
  ps <- unname(fitted(fit)); lp <- unname(fit$linear.predictors)

  f <- function(...) matchit(formula, data = df, method = "nearest", distance = "glm",
                              link = "linear.logit", ...)
  m02 <- f(caliper = 0.2, std.caliper = TRUE)
  m01 <- f(caliper = 0.1, std.caliper = TRUE)
  m_none <- f()
  m_r2 <- f(caliper = 0.2, std.caliper = TRUE, ratio = 2)
  m_rep <- f(caliper = 0.2, std.caliper = TRUE, replace = TRUE)
  m_rep3 <- f(caliper = 0.2, std.caliper = TRUE, replace = TRUE, ratio = 3)
  stopifnot(isTRUE(all.equal(unname(m02$distance), lp)))

  s <- summary(m02, un = TRUE)
  e <- ps; z <- df$treat
  w <- list(
    ate = ifelse(z == 1, 1 / e, 1 / (1 - e)),
    att = ifelse(z == 1, 1, e / (1 - e)),
    overlap = ifelse(z == 1, 1 - e, e),
    ate_stabilized = ifelse(z == 1, mean(z) / e, (1 - mean(z)) / (1 - e)),
    ate_trim_0.1 = ifelse(e < 0.1 | e > 0.9, 0, ifelse(z == 1, 1 / e, 1 / (1 - e))))
  ess <- lapply(w, function(x) c(treated = sum(x[z == 1])^2 / sum(x[z == 1]^2),
                                 reference = sum(x[z == 0])^2 / sum(x[z == 0]^2)))
  bal_un <- balance(X, z)
  bal_m <- balance(X, z, m02$weights)
  bal_w <- lapply(w, function(x) balance(X, z, x))

  res <- list(
    dataset = name, matchit_version = as.character(packageVersion("MatchIt")),
    r_version = R.version.string, formula = deparse1(formula),
    covariates = colnames(X),
    glm = list(term = rownames(cf), coef = unname(cf[, 1]), se = unname(cf[, 2]),
               z = unname(cf[, 3]), p = unname(cf[, 4]), converged = fit$converged,
               iter = fit$iter),
    score = ps, logit = lp,
    logit_17g = sprintf("%.17g", lp),  # exact (jsonlite prints 15 digits), for matching
    caliper_sd_logit = sd(lp),
    matches = list(caliper_0.2 = match_fixture(m02, df$id),
                   caliper_0.1 = match_fixture(m01, df$id),
                   no_caliper = match_fixture(m_none, df$id),
                   ratio_2 = match_fixture(m_r2, df$id),
                   replace = match_fixture(m_rep, df$id),
                   replace_ratio_3 = match_fixture(m_rep3, df$id)),
    summary = list(term = rownames(s$sum.all),
                   smd_unadjusted = unname(s$sum.all[, "Std. Mean Diff."]),
                   smd_matched = unname(s$sum.matched[, "Std. Mean Diff."]),
                   var_ratio_unadjusted = unname(s$sum.all[, "Var. Ratio"]),
                   var_ratio_matched = unname(s$sum.matched[, "Var. Ratio"])),
    balance = list(unadjusted = as.data.frame(bal_un), matched = as.data.frame(bal_m)),
    weights = w, ess = ess,
    weighted_balance = lapply(bal_w, as.data.frame))
  write_json(res, file.path(out_fix, paste0("matchit_", name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
  cat("wrote", name, "\n")
}

# 1. MatchIt's lalonde (race is a factor)
data("lalonde", package = "MatchIt")
ll <- data.frame(id = seq_len(nrow(lalonde)), lalonde)
make_reference("lalonde", ll, treat ~ age + educ + race + married + nodegree + re74 + re75)

# 2. survival::colon, death records, Lev+5FU vs observation, NA rows removed
colon <- survival::colon
cl <- subset(colon, etype == 2 & rx != "Lev")
cl$treat <- as.integer(cl$rx == "Lev+5FU")
cl$differ <- factor(cl$differ); cl$extent <- factor(cl$extent)
cl <- na.omit(cl[, c("id", "treat", "age", "sex", "obstruct", "perfor", "adhere", "nodes",
                     "differ", "extent", "surg")])
make_reference("colon", cl, treat ~ age + sex + obstruct + perfor + adhere + nodes + differ +
                 extent + surg)

# 3. Ties: binary covariates only, so many units share the same logit (tie-breaking rule)
set.seed(20241)
n <- 80
tt <- data.frame(id = 1000 + seq_len(n), x1 = rbinom(n, 1, 0.5), x2 = rbinom(n, 1, 0.4))
tt$treat <- rbinom(n, 1, plogis(-0.5 + 0.8 * tt$x1 + 0.6 * tt$x2))
make_reference("ties", tt, treat ~ x1 + x2)

# 4. survival::lung, women vs men (the data of survival_reference.R's lung: rows with missing
#    ph.ecog dropped), on age and ph.ecog. Integer age and ph.ecog 0-3 tie many scores.
#    (Named lung_female: tests/reference/data/lung.csv is survival_reference.R's.)
lu <- survival::lung[!is.na(survival::lung$ph.ecog), ]
lf <- data.frame(id = seq_len(nrow(lu)), treat = as.integer(lu$sex == 2), age = lu$age,
                 ph_ecog = lu$ph.ecog)
make_reference("lung_female", lf, treat ~ age + ph_ecog)

# 5. survival::colon, death records, all three arms: Lev+5FU vs Obs and Lev together, same
#    covariates as colon. Here MatchIt 4.5.5 and 4.7.2 pair 2 treated units differently.
ca <- subset(colon, etype == 2)
ca$treat <- as.integer(ca$rx == "Lev+5FU")
ca$differ <- factor(ca$differ); ca$extent <- factor(ca$extent)
ca <- na.omit(ca[, c("id", "treat", "age", "sex", "obstruct", "perfor", "adhere", "nodes",
                     "differ", "extent", "surg")])
make_reference("colon_all_arms", ca, treat ~ age + sex + obstruct + perfor + adhere + nodes +
                 differ + extent + surg)

# 6. Tied scores from categorical covariates only (a 4-level factor and a binary), 160 units
#    in 8 score groups: the order of matching among ties decides every pair.
set.seed(20262)
n <- 160
tc <- data.frame(id = 5000 + seq_len(n), stage = factor(sample(c("I", "II", "III", "IV"), n, TRUE)),
                 male = rbinom(n, 1, 0.5))
tc$treat <- rbinom(n, 1, plogis(-0.8 + 0.5 * (tc$stage %in% c("III", "IV")) + 0.4 * tc$male))
make_reference("ties_categorical", tc, treat ~ stage + male)

# 7. The bundled cohort, when present
pc_path <- "bayeshcc/studies/hcc2024/paper_cohort.csv"
if (file.exists(pc_path)) {
  pc <- read.csv(pc_path)
  if (!"id" %in% names(pc)) pc$id <- seq_len(nrow(pc))
  pc$treat <- as.integer(pc$arm == "lenvatinib")
  pc$child_pugh_class <- factor(pc$child_pugh_class)
  make_reference("paper_cohort", pc, treat ~ age + sex + tumor_size + tumor_number +
                   extrahepatic_metastasis + lymph_node_metastasis + child_pugh_class)
} else cat("skipped paper_cohort:", pc_path, "absent\n")
