"""Sampling that stops once the posterior has enough effective draws (``until_ess``).

A sensitivity fit only has to be good enough for the convergence gate
(:mod:`bayeshcc.bayes.diagnostics`: R-hat <= 1.01, bulk and tail ESS >= 400 for every sampled
parameter). Many reach that well before the configured number of draws; :func:`sample_until_ess`
stops them there.

How, and why it is deterministic
--------------------------------
nutpie cannot extend a finished run (a new run would tune again), so the run is started once with
the full number of draws, in the background, and watched. Its chains are independent streams
seeded from the run's seed, so the first ``m`` draws of every chain are the same whether the run
goes on or not, and whatever else the machine is doing. At the checkpoints ``m = FIRST_CHECK,
FIRST_CHECK + BLOCK, ...`` (per chain) the gate's own R-hat and ESS are computed on the first
``m`` draws of every chain, once every chain has that many; at the first checkpoint that passes
the run is aborted and the trace cut to exactly ``m`` draws. The result is therefore the first
``m`` draws of the fixed-length run with the same seed, ``m`` being a function of those draws
alone: equal seeds give equal draws on any executor. The sampler is paused while a checkpoint is
checked; timing only changes how many draws past a checkpoint are made and thrown away.

Honesty of the flags: the stopping rule uses the gate's R-hat and ESS estimators, and the table's
flags are then computed on exactly the draws returned, so a stopped fit is flagged reliable only
if it passes the gate (a run that never passes runs to the maximum and is flagged as any fixed
run). Stopping at the first crossing makes the reported ESS an optimistic estimate (the usual
optional-stopping effect); the first check waits for ``FIRST_CHECK`` draws per chain so that
R-hat and tail ESS are not judged on a handful of draws. Divergences and E-BFMI are not part of
the rule (more draws do not remove a divergence); they are reported as for any fit.

Hand-written because nutpie has no stopping rule (only ``pause``/``abort`` of a background run
and a progress callback); the rule is the gate of :mod:`bayeshcc.bayes.diagnostics`.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import xarray as xr

from bayeshcc.bayes.diagnostics import ESS_MIN, RHAT_MAX
from bayeshcc.bayes.sampler import check_complete
from bayeshcc.interrupts import raise_if_interrupted

RULES = ("fixed", "until_ess")
FIRST_CHECK = 200   # draws per chain at the first check
BLOCK = 100         # draws per chain between checks
POLL_S = 0.01       # how often nutpie reports progress (seconds)
# posterior attrs recording how many draws a fit took and why (kept through calibration and in
# the saved posterior)
ATTR_RULE = "draws_rule"
ATTR_MAX = "draws_max"


def checkpoints(draws: int) -> list[int]:
    """Draws per chain at which :func:`sample_until_ess` checks the gate (the last is ``draws``).

    Examples
    --------
    >>> checkpoints(600)
    [200, 300, 400, 500, 600]
    >>> checkpoints(150)
    [150]
    """
    marks = list(range(FIRST_CHECK, draws, BLOCK))
    return marks + [draws]


def worst(posterior: xr.Dataset) -> tuple[float, float, float]:
    """Worst R-hat, smallest bulk ESS and smallest tail ESS over every variable: the numbers of
    :func:`bayeshcc.bayes.diagnostics.rhat_and_ess` (the same ArviZ estimators, rank R-hat and
    tail ESS at ArviZ's default interval), computed on one stacked array instead of variable by
    variable through xarray, which took longer (0.1-0.3 s) than a small fit's sampling."""
    from arviz_stats.base import array_stats
    from arviz_stats.validate import validate_ci_prob

    flat = np.concatenate([np.asarray(v.values, dtype=float).reshape(v.shape[:2] + (-1,))
                           for v in posterior.data_vars.values()], axis=2)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = (float(np.nanmax(array_stats.rhat(flat, chain_axis=0, draw_axis=1)))
                if flat.shape[0] > 1 else float("nan"))
        bulk = float(np.nanmin(array_stats.ess(flat, chain_axis=0, draw_axis=1, method="bulk")))
        tail = float(np.nanmin(array_stats.ess(flat, chain_axis=0, draw_axis=1, method="tail",
                                               prob=validate_ci_prob(None))))
    return rhat, bulk, tail


def passes(posterior: xr.Dataset) -> bool:
    """Whether posterior draws meet the gate's R-hat and ESS thresholds (the stopping rule),
    by the gate's own estimators (:func:`worst`)."""
    rhat, bulk, tail = worst(posterior)
    return bool(rhat <= RHAT_MAX and min(bulk, tail) >= ESS_MIN)


def first_draws(tree, m: int) -> xr.DataTree:
    """The trace with only the first ``m`` draws of every chain (posterior and sample stats)."""
    return xr.DataTree.from_dict({name: tree[name].to_dataset().isel(draw=slice(0, m))
                                  for name in tree.children})


class _Progress:
    """The fewest finished iterations (tuning included) of any chain, from nutpie's callback."""

    def __init__(self):
        self.finished = 0
        self.changed = threading.Condition()

    def __call__(self, chains) -> None:
        with self.changed:
            self.finished = min(c.finished_draws for c in chains)
            self.changed.notify_all()

    def wait_for(self, iterations: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.finished >= iterations, timeout)


def _reached(run, progress: _Progress, iterations: int) -> None:
    """Block until every chain has ``iterations`` iterations, or the run has ended (the last
    progress report can come before the end) or failed (its error is raised here)."""
    while not progress.wait_for(iterations, timeout=0.2):
        try:
            run._sampler.wait(0.0)  # raises TimeoutError while running, the run's error if any
        except TimeoutError:
            continue
        return


def posterior_prefix(run, m: int, reparameterized=(), beta_columns: int | None = None
                     ) -> xr.Dataset:
    """The first ``m`` post-warm-up draws of every chain of a running nutpie sampler, as the
    posterior Dataset the gate checks (unconstrained copies left out; ``beta`` cut to its first
    ``beta_columns`` columns, dropped when 0).

    Read from nutpie's arrow trace directly: ``inspect()`` converts the whole trace with every
    sampler statistic to ArviZ (0.1-0.7 s per call here), which would cost more than the draws
    a check can save on a small cohort.
    """
    import pyarrow

    draw_batches, stat_batches = run._sampler.inspect().get_arrow_trace()
    chains = {}
    for draws, stats in zip(draw_batches, stat_batches):
        warmup = int(np.asarray(pyarrow.array(stats.column("tuning"))).sum())
        for name in draws.column_names:
            if name in reparameterized:
                continue
            column = draws.column(name)
            shape = column.field.metadata.get(b"shape", b"")
            shape = tuple(int(s) for s in shape.decode().split(",")) if shape else ()
            values = pyarrow.array(column).slice(warmup, m)
            if shape:
                values = values.flatten()
            chains.setdefault(name, []).append(
                np.asarray(values, dtype=float).reshape((m,) + shape))
    data = {}
    for name, parts in chains.items():
        values = np.stack(parts)
        if name == "beta" and beta_columns is not None:
            if beta_columns == 0:
                continue
            values = values[..., :beta_columns]
        data[name] = (("chain", "draw") + tuple(f"{name}_dim_{i}"
                                                 for i in range(values.ndim - 2)), values)
    return xr.Dataset(data, coords={"chain": np.arange(len(draw_batches)), "draw": np.arange(m)})


def sample_until_ess(compiled, *, draws: int, tune: int, chains: int,
                     beta_columns: int | None = None, **settings) -> tuple[xr.DataTree, bool]:
    """Sample with nutpie and stop at the first checkpoint where the gate's R-hat and ESS pass.

    Parameters
    ----------
    compiled : nutpie.CompiledModel
    draws : int
        The most draws per chain (the fixed run's length).
    tune, chains : int
        As for :func:`nutpie.sample`.
    beta_columns : int, optional
        Coefficients the rule checks (the compiled model's padding columns are left out, as
        the fit drops them from its posterior).
    **settings
        Passed to :func:`nutpie.sample` (``seed``, ``cores``, ``target_accept``, ...).

    Returns
    -------
    (DataTree, bool)
        nutpie's trace cut to the first ``m`` draws of every chain, and whether ``m < draws``
        (stopped early).
    """
    import nutpie

    progress = _Progress()
    run = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, save_warmup=False,
                        progress_bar=False, blocking=False, progress_callback=progress,
                        progress_rate=int(POLL_S * 1000), **settings)
    reparameterized = tuple(compiled.reparameterized_names)
    try:
        for m in checkpoints(draws)[:-1]:
            _reached(run, progress, tune + m)
            run.pause()  # no draws past the checkpoint while it is checked
            if passes(posterior_prefix(run, m, reparameterized, beta_columns)):
                return first_draws(run.abort(), m), True
            run.resume()
        tree = run.wait()
    except BaseException:  # an interrupt included: the chains stop, nothing is returned
        run.cancel()
        raise
    raise_if_interrupted()
    check_complete(tree, draws)
    return tree, False


def draws_taken(tree) -> int:
    """Draws per chain in a posterior."""
    return int(tree["posterior"].sizes["draw"])


def mark(tree, rule: str, max_draws: int) -> None:
    """Record the rule and the maximum draws in the posterior's attrs (in place)."""
    tree["posterior"].attrs = {**tree["posterior"].attrs, ATTR_RULE: rule, ATTR_MAX: int(max_draws)}


def draws_columns(tree) -> dict:
    """Table columns of a fit's length: ``draws`` (per chain, as sampled), ``draws_rule``
    (``fixed`` or ``until_ess``) and ``stopped_early`` (fewer draws than the maximum)."""
    attrs = tree["posterior"].attrs
    taken = draws_taken(tree)
    rule = str(attrs.get(ATTR_RULE, "fixed"))
    return {"draws": taken, "draws_rule": rule,
            "stopped_early": bool(rule == "until_ess" and taken < int(attrs.get(ATTR_MAX, taken)))}


__all__ = ["BLOCK", "FIRST_CHECK", "RULES", "checkpoints", "draws_columns", "draws_taken",
           "first_draws", "mark", "passes", "posterior_prefix", "sample_until_ess", "worst"]
