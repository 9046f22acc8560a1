"""The same data, spec and seed give byte-identical tables and identical posterior draws
whether the Bayesian grid runs sequentially, on local worker processes, or on a Dask cluster."""

import arviz as az
import numpy as np
import pytest

from bayeshcc.cohort import Cohort
from bayeshcc.pipeline import RunOptions, run_analysis
from bayeshcc.spec import spec_from_text

from tests.conftest import SMALL_SPEC, make_small_frame

GRID = SMALL_SPEC + """
[bayes]
models = ["weibull"]
adjustments = ["none", "ate"]
priors = ["weakly_informative", "skeptical"]
draws = 100
tune = 100
chains = 2
"""
TABLES = ("posterior_hr", "posterior_contrasts", "sensitivity", "survival", "cox")


def _run(out, **executor):
    cohort = Cohort.from_dataframe(make_small_frame(n=80), spec_from_text(GRID))
    return run_analysis(cohort, out, options=RunOptions(quiet=True, **executor))


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("seq") / "r")


def _same(a, b):
    for table in TABLES:
        assert (a / "tables" / f"{table}.csv").read_bytes() == (b / "tables" / f"{table}.csv").read_bytes(), table
    for nc in sorted((a / "posterior").glob("*.nc")):
        x = az.from_netcdf(nc)["posterior"]["log_hr"].values
        y = az.from_netcdf(b / "posterior" / nc.name)["posterior"]["log_hr"].values
        np.testing.assert_array_equal(x, y)


def test_local_worker_processes_give_identical_results(sequential, tmp_path):
    _same(sequential, _run(tmp_path / "r", workers=2))


def test_dask_cluster_gives_identical_results(sequential, tmp_path):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        _same(sequential, _run(tmp_path / "r", scheduler=cluster.scheduler_address))
