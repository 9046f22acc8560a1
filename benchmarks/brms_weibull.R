# Benchmark 5 (benchmarks/stan.py): the weighted Weibull model of bayeshcc fitted by brms/rstan.
#
# Rscript benchmarks/brms_weibull.R DATA.csv OUT.json SEED CHAINS DRAWS WARMUP ADAPT_DELTA
#
# DATA.csv holds the data exactly as bayeshcc's sampler sees it (bayeshcc.bayes.data.prepare):
# y = time / mean time, event (1 = event), trt (0/1), w = weights normalised to sum to the Kish
# ESS, z0, z1, ... = standardised covariates. The model is
#   y | weights(w) + cens(1 - event) ~ trt + z0 + ...,  family = weibull()
# brms's weibull family is accelerated failure time with a log link on the mean:
# S(t) = exp(-(t / s)^k), s = mu / Gamma(1 + 1/k), log mu = Intercept + a_trt * trt + ...,
# so the cumulative hazard is t^k exp(-k log s) and the proportional-hazards log HR is
# -k * a_trt (HR = exp(-shape * b_trt)), computed per draw.
# Priors ("vague", as bayeshcc's vague prior set; see the prior notes in benchmarks/stan.py):
#   b ~ normal(0, 10) (AFT coefficients), shape ~ lognormal(0, 0.5) (= bayeshcc's log k ~ N(0, 0.5)),
#   Intercept ~ normal(-log(events / sum(y)), 2) (bayeshcc's log-rate prior mirrored to the
#   log-mean scale; equal at k = 1, and brms's Intercept is that of centred predictors).
# Writes JSON: compile and sampling seconds, the PH log HR draws (chains x draws), its
# posterior summary and bulk ESS (posterior::ess_bulk).

t_start <- proc.time()[["elapsed"]]
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 7) stop("usage: brms_weibull.R DATA.csv OUT.json SEED CHAINS DRAWS WARMUP ADAPT_DELTA")
seed <- as.integer(args[3]); chains <- as.integer(args[4])
draws <- as.integer(args[5]); warmup <- as.integer(args[6]); adapt_delta <- as.numeric(args[7])
suppressPackageStartupMessages({
  library(brms)
  library(posterior)
  library(jsonlite)
})
rstan::rstan_options(boost_lib = "/usr/include")  # Debian's rstan needs the system Boost
d <- read.csv(args[1])
zs <- grep("^z[0-9]+$", names(d), value = TRUE)
form <- bf(as.formula(paste("y | weights(w) + cens(1 - event) ~",
                            paste(c("trt", zs), collapse = " + "))))
priors <- c(prior(normal(0, 10), class = b),
            prior_string(sprintf("normal(%.10g, 2)", -log(sum(d$event) / sum(d$y))),
                         class = "Intercept"),
            prior(lognormal(0, 0.5), class = shape))
skeleton <- brm(form, data = d, family = weibull(), prior = priors, empty = TRUE)
loaded_s <- proc.time()[["elapsed"]] - t_start

t0 <- proc.time()[["elapsed"]]
model <- rstan::stan_model(model_code = stancode(skeleton))
compile_s <- proc.time()[["elapsed"]] - t0

t0 <- proc.time()[["elapsed"]]
stanfit <- rstan::sampling(model, data = standata(skeleton), chains = chains, cores = chains,
                           iter = warmup + draws, warmup = warmup, seed = seed, refresh = 0,
                           control = list(adapt_delta = adapt_delta))
sample_s <- proc.time()[["elapsed"]] - t0
skeleton$fit <- stanfit
fit <- rename_pars(skeleton)

arr <- as_draws_array(fit, variable = c("b_trt", "shape"))
log_hr <- -arr[, , "shape", drop = TRUE] * arr[, , "b_trt", drop = TRUE]  # iterations x chains
hr <- exp(as.vector(log_hr))
sampler <- rstan::get_sampler_params(stanfit, inc_warmup = FALSE)
out <- list(
  loaded_s = loaded_s, compile_s = compile_s, sample_s = sample_s,
  chain_seconds = unname(rowSums(rstan::get_elapsed_time(stanfit))),
  ess_bulk_log_hr = ess_bulk(unclass(log_hr)),
  rhat_log_hr = rhat(unclass(log_hr)),
  divergences = sum(vapply(sampler, function(s) sum(s[, "divergent__"]), numeric(1))),
  shape_median = median(as.vector(arr[, , "shape"])),
  hr_median = median(hr), hr_lower = unname(quantile(hr, 0.025)),
  hr_upper = unname(quantile(hr, 0.975)),
  log_hr = lapply(seq_len(ncol(log_hr)), function(j) as.vector(log_hr[, j])),
  versions = list(R = R.version.string, brms = as.character(packageVersion("brms")),
                  rstan = as.character(packageVersion("rstan")),
                  posterior = as.character(packageVersion("posterior"))),
  total_s = proc.time()[["elapsed"]] - t_start)
write_json(out, args[2], auto_unbox = TRUE, digits = NA)
