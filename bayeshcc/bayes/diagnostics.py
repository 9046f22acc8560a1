"""Convergence gate: a posterior is ``reliable`` only if every check passes.

R-hat <= 1.01 and bulk and tail ESS >= 400 for every sampled parameter (Vehtari et al. 2021),
no divergent transitions, and E-BFMI > 0.3 in every chain. Otherwise the message says what to try.
"""

from __future__ import annotations

from dataclasses import dataclass

import warnings

import arviz as az
import numpy as np

RHAT_MAX = 1.01
ESS_MIN = 400
EBFMI_MIN = 0.3


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
    """Run the gate on an ArviZ DataTree with ``posterior`` and ``sample_stats`` groups."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN R-hat of a single chain
        rhat = float(np.nanmax(_flat(az.rhat(tree)))) if tree["posterior"].sizes["chain"] > 1 else float("nan")
        bulk = float(np.nanmin(_flat(az.ess(tree, method="bulk"))))
        tail = float(np.nanmin(_flat(az.ess(tree, method="tail"))))
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
