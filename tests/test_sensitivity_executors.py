"""The tipping point's and the discount sweep's refits (:mod:`bayeshcc.bayes.refits`) run on
the grid's executors: in this process, on local worker processes and on a Dask cluster they
give identical tables, since each refit carries the grid's seed of its analysis (issue #24).

The spec makes both batches run: the grid has no vague fit, so the tipping point refits it
first; the treated arm lives longer, so there is a tipping point and its check fit runs, in one
batch with the power prior's five discounts."""

import numpy as np
import pandas as pd
import pytest

from bayeshcc.adjust.cohort import adjust
from bayeshcc.cohort import Cohort
from bayeshcc.sensitivity import sensitivity_tables, tipping_point_table
from bayeshcc.spec import spec_from_text

from tests.conftest import SMALL_SPEC, make_small_frame

SPEC = SMALL_SPEC + """
[bayes]
models = ["weibull"]
adjustments = ["ate"]
priors = ["weakly_informative", "trial"]
decision_threshold = 0.8
draws = 100
tune = 100
chains = 2

[priors.trial]
type = "external"
hr = 0.6
lower = 0.4
upper = 0.9
discount = 0.5
"""


class Steps:
    """A progress reporter that records what it is told."""

    def __init__(self):
        self.totals, self.labels = [], []

    def begin(self, total):
        self.totals.append(total)

    def step(self, label):
        self.labels.append(label)

    def end(self):
        pass


@pytest.fixture(scope="module")
def inputs():
    frame = make_small_frame(n=80)
    frame["os_time"] = np.where(frame["arm"] == "new", frame["os_time"] * 3, frame["os_time"])
    frame["os_event"] = 1
    cohort = Cohort.from_dataframe(frame, spec_from_text(SPEC))
    return cohort, adjust(cohort).populations


@pytest.fixture(scope="module")
def sequential(inputs):
    steps = Steps()
    tipping, sweep = sensitivity_tables(*inputs, None, progress=steps)
    return tipping, sweep, steps


def _same(a, b):
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_both_batches_run_and_every_fit_is_shown(sequential):
    tipping, sweep, steps = sequential
    row = tipping.iloc[0]
    assert np.isfinite(row["tipping_prior_sd"]) and np.isfinite(row["prob_hr_below_1_at_tipping"])
    assert sweep["a0"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert steps.totals == [1, 6]  # the vague fit, then the check fit with the sweep's five
    assert steps.labels[0] == "os/weibull/vague/ate"
    assert steps.labels[1] == f"os/weibull/tipping_sd_{row['tipping_prior_sd']:.3f}/ate"
    assert steps.labels[2:] == [f"os/weibull/trial_a0_{a0:g}/ate" for a0 in sweep["a0"]]


def test_each_table_alone_is_the_one_made_with_the_other(inputs, sequential):
    from bayeshcc.bayes.borrowing import borrowing_sweep_table

    _same(sequential[:1], [tipping_point_table(*inputs, None)])
    _same(sequential[1:2], [borrowing_sweep_table(*inputs)])


def test_local_worker_processes_give_identical_tables(inputs, sequential):
    _same(sequential[:2], sensitivity_tables(*inputs, None, workers=2))


def test_dask_cluster_gives_identical_tables(inputs, sequential):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        _same(sequential[:2], sensitivity_tables(*inputs, None,
                                                 scheduler=cluster.scheduler_address))
