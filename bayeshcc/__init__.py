"""bayeshcc: frequentist and Bayesian survival comparison of two treatments in clinical cohorts.

The Python API (``import bayeshcc as bh``): :func:`fit` (one Bayesian fit, a
:class:`~bayeshcc.fitted.Fit`; :func:`load_fit` reads one saved by its ``to_netcdf``), :func:`compare`
(PSIS-LOO comparison of fits) and :func:`analyze` (the whole pipeline of a spec, in memory);
see :mod:`bayeshcc.api`; :func:`warmup` compiles ahead of time what a spec's fits compile
(:mod:`bayeshcc.warmup`). They are imported on first use, so ``import bayeshcc`` stays fast.
"""

__version__ = "0.1.0"
__all__ = ["fit", "load_fit", "compare", "analyze", "Study", "StudyResult", "warmup",
           "__version__"]

_API = ("fit", "load_fit", "compare", "analyze", "Fit", "Analysis", "Study", "StudyResult")


def __getattr__(name: str):
    if name == "warmup":  # the module, callable as its function (bayeshcc.warmup.warmup)
        import importlib

        return importlib.import_module("bayeshcc.warmup")
    if name in _API:
        from bayeshcc import api

        return getattr(api, name)
    raise AttributeError(f"module 'bayeshcc' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API) | {"warmup"})
