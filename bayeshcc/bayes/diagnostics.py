"""Convergence gate: a posterior is ``reliable`` only if every check passes.

R-hat <= 1.01 and bulk and tail ESS >= 400 for every sampled parameter (Vehtari et al. 2021),
no divergent transitions, and E-BFMI > 0.3 in every chain. Otherwise the message says what to try.

A posterior pooled over propensity-score replicates (:mod:`bayeshcc.bayes.propagation`) carries
the coordinate ``ps_replicate`` on ``chain``; it is checked one replicate at a time and the worst
figures are reported, since an R-hat across replicates compares different target posteriors.
"""

from __future__ import annotations

from dataclasses import dataclass

import warnings

import arviz as az
import numpy as np
import xarray as xr

RHAT_MAX = 1.01
ESS_MIN = 400
EBFMI_MIN = 0.3
REPLICATE_COORD = "ps_replicate"


@dataclass(frozen=True)
class Convergence:
    """The checks of one posterior."""

    rhat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences: int
    ebfmi_min: float
    reliable: bool
    message: str


def _flat(ds) -> np.ndarray:
    post = ds["posterior"] if "posterior" in getattr(ds, "children", {}) else ds
    return np.concatenate([np.asarray(v.values, dtype=float).ravel()
                           for v in post.data_vars.values()])


def check_convergence(tree) -> Convergence:
    """Run the gate on an ArviZ DataTree with ``posterior`` and ``sample_stats`` groups.

    A pooled posterior (``ps_replicate`` coordinate) is checked per replicate, see
    :func:`worst_convergence`.
    """
    if REPLICATE_COORD in tree["posterior"].coords:
        return worst_convergence([_check(part) for part in split_replicates(tree)])
    return _check(tree)


def rhat_and_ess(posterior) -> tuple[float, float, float]:
    """Worst R-hat (NaN with one chain), smallest bulk ESS and smallest tail ESS over every
    variable of a posterior (a DataTree with a ``posterior`` group, or that group's Dataset).
    The gate's estimators, shared with the stopping rule of :mod:`bayeshcc.bayes.stopping`."""
    post = posterior["posterior"] if "posterior" in getattr(posterior, "children", {}) else posterior
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN R-hat of a single chain
        rhat = float(np.nanmax(_flat(az.rhat(posterior)))) if post.sizes["chain"] > 1 else float("nan")
        bulk = float(np.nanmin(_flat(az.ess(posterior, method="bulk"))))
        tail = float(np.nanmin(_flat(az.ess(posterior, method="tail"))))
    return rhat, bulk, tail


def _check(tree) -> Convergence:
    rhat, bulk, tail = rhat_and_ess(tree)
    divergences = int(np.asarray(tree["sample_stats"]["diverging"].values).sum())
    ebfmi = float(np.nanmin(np.asarray(az.bfmi(tree)["energy"].values)))
    problems = []
    if np.isnan(rhat):
        problems.append("R-hat needs at least 2 chains: run more chains")
    elif not rhat <= RHAT_MAX:
        problems.append(f"R-hat {rhat:.3f} > {RHAT_MAX}: run longer chains (more --draws/--tune)")
    if not min(bulk, tail) >= ESS_MIN:
        problems.append(f"ESS {min(bulk, tail):.0f} < {ESS_MIN}: increase --draws")
    if divergences:
        problems.append(f"{divergences} divergent transitions: use a more informative prior or "
                        "fewer intervals/covariates")
    if not ebfmi > EBFMI_MIN:
        problems.append(f"E-BFMI {ebfmi:.2f} <= {EBFMI_MIN}: reparameterise or tighten priors")
    return Convergence(rhat, bulk, tail, divergences, ebfmi, not problems,
                       "; ".join(problems) if problems else "all checks passed")


def split_replicates(tree) -> list[xr.DataTree]:
    """The per-replicate trees (``posterior`` and ``sample_stats``) of a pooled posterior."""
    labels = np.asarray(tree["posterior"][REPLICATE_COORD].values)
    out = []
    for b in dict.fromkeys(labels.tolist()):
        idx = np.flatnonzero(labels == b)
        out.append(xr.DataTree.from_dict({g: tree[g].to_dataset().isel(chain=idx)
                                          for g in ("posterior", "sample_stats")}))
    return out


def worst_convergence(checks) -> Convergence:
    """One :class:`Convergence` from per-replicate checks: the worst of each figure.

    R-hat max, ESS min, divergences summed, E-BFMI min; reliable only if every replicate is.
    """
    checks = list(checks)
    failing = [(b, c) for b, c in enumerate(checks) if not c.reliable]
    if failing:
        b, first = failing[0]
        message = (f"{len(failing)} of {len(checks)} PS replicates fail the checks "
                   f"(replicate {b + 1}: {first.message})")
    else:
        message = f"all checks passed in each of {len(checks)} PS replicates"
    rhats = np.array([c.rhat_max for c in checks], dtype=float)
    return Convergence(rhat_max=float(np.max(rhats)) if np.isfinite(rhats).all() else float("nan"),
                       ess_bulk_min=float(min(c.ess_bulk_min for c in checks)),
                       ess_tail_min=float(min(c.ess_tail_min for c in checks)),
                       divergences=int(sum(c.divergences for c in checks)),
                       ebfmi_min=float(min(c.ebfmi_min for c in checks)),
                       reliable=not failing, message=message)
