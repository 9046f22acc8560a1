"""The model families (issue #24, "a model family is one module"): a registry of
implementations of one protocol, and no branch on a family's name outside their package."""

import re
from pathlib import Path

import numpy as np
import pytest

from bayeshcc.bayes.families import FAMILIES, Family, get_family
from bayeshcc.errors import AnalysisError

PACKAGE = Path(__file__).resolve().parents[2] / "bayeshcc"

# Modules that still branch on a family's name, to be converted; the list can only shrink
# (an entry that no longer branches fails the test below, so it is removed when converted).
NOT_YET_CONVERTED: set[str] = set()   # empty since the calibration asks its family

# The vocabulary: the model names and their words (MODEL_NAMES, read by the report and
# figures, which may not import the model layer); each family's title is tested against it.
VOCABULARY = {"vocab.py"}

# A model name compared with ==, !=, in / not in a literal collection, a match case, or a
# table keyed by model names (SETTING = {"weibull": ...}).
# Every registered family's name (so a new family's is caught too).
NAMES = rf"[\"'](?:{'|'.join(map(re.escape, FAMILIES))})[\"']"
COMPARISON = re.compile(
    rf"(?:==|!=)\s*{NAMES}|{NAMES}\s*(?:==|!=)"          # model == "weibull"
    rf"|\bin\s*[\(\[\{{][^\n]*{NAMES}"                   # model in ("weibull", ...)
    rf"|\bcase\s+{NAMES}"                                # match model: case "weibull"
    rf"|=\s*\{{\s*{NAMES}\s*:")                          # TARGET = {"weibull": 0.9, ...}


def _branching_modules(package: Path = PACKAGE) -> set[str]:
    found = set()
    families = package / "bayes" / "families"
    for path in package.rglob("*.py"):
        if families in path.parents or path.relative_to(package).as_posix() in VOCABULARY:
            continue
        if COMPARISON.search(path.read_text(encoding="utf-8")):
            found.add(path.relative_to(package).as_posix())
    return found


def test_no_module_outside_the_families_branches_on_a_family_name():
    assert _branching_modules() - NOT_YET_CONVERTED == set()


def test_the_allow_list_only_names_modules_that_still_branch():
    assert NOT_YET_CONVERTED - _branching_modules() == set()


def test_the_pattern_finds_the_branches_it_is_meant_to():
    for line in ('if model == "weibull":', "x = a if 'piecewise' != fit.model else b",
                 'if model in ("weibull", "piecewise"):', '    case "piecewise":',
                 'TARGET_ACCEPT = {"weibull": 0.9, "piecewise": 0.9}'):
        assert COMPARISON.search(line), line
    for line in ('model : {"weibull", "piecewise"}', 'MODELS = ("weibull", "piecewise")',
                 'fit_survival_model("weibull", time, event)',
                 'raise TypeError("give a dict {\'weibull\': fit}")'):
        assert not COMPARISON.search(line), line


def test_a_planted_branch_is_found_and_the_families_own_modules_are_not(tmp_path):
    (tmp_path / "bayes" / "families").mkdir(parents=True)
    (tmp_path / "bayes" / "planted.py").write_text(
        "def f(fit):\n    if fit.model == 'piecewise':\n        return 1\n")
    (tmp_path / "bayes" / "families" / "own.py").write_text("NAME = 'x' if a == 'weibull' else 0\n")
    (tmp_path / "clean.py").write_text("fit_survival_model('weibull', t, e)\n")
    assert _branching_modules(tmp_path) == {"bayes/planted.py"}


def test_registry_matches_the_spec_vocabulary_and_the_protocol():
    from bayeshcc.bayes.fit import MODELS
    from bayeshcc.spec import MODELS as SPEC_MODELS

    from bayeshcc.vocab import MODEL_NAMES

    assert tuple(FAMILIES) == MODELS == SPEC_MODELS
    for name, family in FAMILIES.items():
        assert isinstance(family, Family) and family.name == name
        assert family.title == MODEL_NAMES[name]
        assert get_family(name) is family


def test_an_unknown_family_is_refused_with_the_valid_ones():
    with pytest.raises(AnalysisError,
                       match=r"model must be one of \('weibull', 'piecewise', 'mspline'\)"):
        get_family("gompertz")


@pytest.mark.parametrize("name", list(FAMILIES))
def test_cumulative_hazard_starts_near_zero_and_increases(name):
    family = get_family(name)
    rng = np.random.default_rng(3)
    cuts = np.array([0.5, 1.0])
    draws = {"log_hr": rng.normal(size=5), **family.sample_prior(-0.5, 3, 5, rng)}
    t = np.array([1e-12, 0.3, 0.7, 2.0])
    H = family.cumulative_hazard(draws, t, np.zeros(4), np.zeros((1, 4)), cuts)
    assert H.shape == (5, 4) and np.all(np.diff(H, axis=1) > 0) and np.all(H[:, 0] < 1e-2)


def test_a_time_varying_fit_of_a_family_without_one_is_refused_not_fitted_constant():
    # before: fit_survival_model("weibull", time_varying=True) sampled a constant log HR and
    # returned it as if it were what was asked
    from bayeshcc.bayes.fit import fit_survival_model

    rng = np.random.default_rng(1)
    t, e, trt = rng.exponential(1.0, 40), np.ones(40), np.repeat([0.0, 1.0], 20)
    with pytest.raises(AnalysisError, match=r"'weibull' has a constant log HR.*piecewise"):
        fit_survival_model("weibull", t, e, trt, time_varying=True, draws=10, tune=10)
