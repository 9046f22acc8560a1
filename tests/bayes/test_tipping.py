"""The tipping-point formula: at tau*, the normal-approximation posterior gives P(HR < 1) = q."""

import math

import pytest
from scipy.stats import norm

from bayeshcc.sensitivity import tipping_sd


def test_tipping_sd_solves_the_threshold_equation():
    m, s, q = -0.7, 0.25, 0.95
    tau = tipping_sd(m, s, q)
    post_mean = m * tau ** 2 / (tau ** 2 + s ** 2)
    post_sd = math.sqrt(tau ** 2 * s ** 2 / (tau ** 2 + s ** 2))
    assert norm.cdf(-post_mean / post_sd) == pytest.approx(q, abs=1e-12)


def test_no_tipping_point_when_the_data_alone_fall_short():
    assert math.isnan(tipping_sd(-0.2, 0.25, 0.95))   # P(HR < 1) = 0.79 with a flat prior
    assert math.isnan(tipping_sd(0.3, 0.25, 0.95))    # harm
