"""A compiled nutpie model rebuilt from its cached machine code, without compiling anything.

:mod:`bayeshcc.bayes.compile_cache` keeps the machine code of nutpie's two C callbacks (log
density + gradient, and the expansion to the traced variables). Loading that code still went
through ``nutpie.compile_pymc_model``, which builds, rewrites and compiles the model's PyTensor
graphs (log density, gradient, expansion) only to throw the result away when the callbacks are
loaded: about 1 s per model structure per process, 10-15 % of a warm one-fit ``analyze``.

nutpie has no public way to assemble its ``CompiledPyMCModel`` from callbacks it did not compile
in this process, so this module does what ``nutpie.compile_pymc._compile_pymc_model_numba`` does
after its compile step, with the pieces it computed stored beside the machine code
(:func:`describe`) and the model's data and initial-point function taken from the freshly built
PyMC model (:func:`rebuild`):

* the shared variables (``pm.Data``) in the order the callbacks read them (the record of data
  pointers the machine code indexes by position);
* the unconstrained parameters' names and shapes, the expanded variables' ``shape_info`` and
  the reparameterised names (dims and coordinates of the draws);
* the initial point: PyMC's ``make_initial_point_fn`` exactly as nutpie calls it (support point,
  jitter on every free variable, the same overrides), so the same seed gives the same start and
  the same draws as a compile (tested).

A digest of the PyMC model's log-density graph (before any rewriting) is stored too and compared
on rebuild; a mismatch or a missing ``pm.Data`` raises :class:`StaleLayout`, and the cache then
checks the callbacks the slow way (PyTensor compiles the graphs and their hash is compared).
This relies on nutpie internals of the versions the cache key names (``nutpie`` is part of
it), so a nutpie upgrade starts from a fresh cache.
"""

from __future__ import annotations

import hashlib
from uuid import uuid4

import numpy as np

from bayeshcc.bayes.compile_cache import StaleLayout, compile_cached, load_compile_result


def compile_pymc_cached(key: tuple, pm_model, initial_points: dict):
    """``nutpie.compile_pymc_model(pm_model, initial_points=...)`` through the on-disk cache of
    :mod:`bayeshcc.bayes.compile_cache`, rebuilt by :func:`rebuild` on a hit.

    Returns the compiled model and where its machine code came from (``"disk"``,
    ``"compiled"`` or ``"uncached"``).
    """
    import nutpie

    return compile_cached(
        key, lambda: nutpie.compile_pymc_model(pm_model, freeze_model=False,
                                               initial_points=initial_points),
        describe=lambda compiled: describe(compiled, pm_model),
        rebuild=lambda layout, payloads: rebuild(layout, payloads, pm_model, initial_points))


def model_digest(pm_model) -> str:
    """SHA-256 of the PyMC model's log-density graph (as PyTensor prints it), its free
    variables' names in order and its data variables' names: what the compiled callbacks were
    made from. The data's names are sorted: the order the ``pm.Data`` were created in (a fit
    without covariates adds its zero columns last) does not change the compiled code."""
    from pytensor.printing import debugprint

    text = debugprint(pm_model.logp(), file="str", print_type=True)
    names = [v.name for v in pm_model.free_RVs] + sorted(v.name for v in pm_model.data_vars)
    return hashlib.sha256((text + repr(names)).encode()).hexdigest()


def describe(compiled, pm_model) -> dict:
    """What :func:`rebuild` needs besides the machine code, from a freshly compiled model."""
    from nutpie.compile_pymc import _compute_shapes

    shapes = _compute_shapes(pm_model)
    names = [pm_model.rvs_to_values[rv].name for rv in pm_model.free_RVs]
    return {"n_dim": int(compiled.n_dim), "n_expanded": int(compiled.n_expanded),
            "shape_info": compiled.shape_info,
            "reparameterized_names": list(compiled.reparameterized_names),
            "joined": (names, [tuple(int(s) for s in shapes[n]) for n in names]),
            "shared": [var.name for var in compiled.shared_var_keys],
            "model_digest": model_digest(pm_model)}


class LoadedCallback:
    """A C callback loaded from the cache: what nutpie reads of a ``numba.cfunc`` (its
    ``address``), keeping the code library alive as long as the model."""

    def __init__(self, payload):
        result = load_compile_result(payload)
        self._library = result.library
        self.native_name = result.fndesc.llvm_cfunc_wrapper_name
        self.address = self._library.get_pointer_to_function(self.native_name)


def rebuild(layout: dict, payloads: list, pm_model, initial_points: dict):
    """nutpie's compiled model of ``pm_model`` from its cached callbacks and ``layout``
    (:func:`describe`); raises :class:`StaleLayout` when they do not fit the model."""
    from nutpie.compile_pymc import (CompiledPyMCModel, _prepare_dims_and_coords,
                                     _rv_dict_to_flat_array_wrapper, _wrap_with_lock,
                                     make_user_data)
    from pymc.initial_point import make_initial_point_fn

    if model_digest(pm_model) != layout["model_digest"]:
        raise StaleLayout("the model's graph differs from the cached one")
    data = {var.name: var for var in pm_model.data_vars}
    missing = [name for name in layout["shared"] if name not in data]
    if missing:
        raise StaleLayout(f"the model has no data {missing}")
    shared_var_keys = {data[name]: uuid4().hex for name in layout["shared"]}
    shared_data = {}
    for var, key in shared_var_keys.items():
        shared_data[key] = np.array(var.get_value(), order="C", copy=True)
        shared_data[key].flags.writeable = False
    # as nutpie.compile_pymc_model: support point, every free variable jittered, our overrides
    start = _wrap_with_lock(make_initial_point_fn(
        model=pm_model, overrides=initial_points, default_strategy="support_point",
        jitter_rvs=set(pm_model.free_RVs), return_transformed=True))
    names, shapes = layout["joined"]
    shape_info = layout["shape_info"]
    dims, coords = _prepare_dims_and_coords(pm_model, shape_info, layout["reparameterized_names"])
    logp, expand = (LoadedCallback(p) for p in payloads)
    return CompiledPyMCModel(
        _n_dim=layout["n_dim"], dims=dims, _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info)},
        compiled_logp_func=logp, compiled_expand_func=expand,
        initial_point_func=_rv_dict_to_flat_array_wrapper(start, names=names, shapes=shapes),
        shared_data=shared_data, shared_var_keys=shared_var_keys,
        user_data=make_user_data(shared_var_keys, shared_data),
        n_expanded=layout["n_expanded"], shape_info=shape_info, logp_func=None,
        expand_func=None, reparameterized_names=layout["reparameterized_names"])
