"""Compiled models that outlive the process: nutpie's numba code cached on disk.

Nearly all of a first fit's time is numba compiling nutpie's two C callbacks (log density +
gradient, and the expansion to the traced variables). PyTensor's own numba cache
(``config.numba__cache``, on by default) stores the inner PyTensor kernels, but the callbacks
nutpie builds around them are closures over data and cannot be cached by numba ("uses dynamic
globals"), so with a warm PyTensor cache a second process still spends most of the compile time
re-typing and re-optimising them.

This module stores the machine code of those two callbacks the way numba's own cache stores a
function (``CompileResult._reduce`` / ``_rebuild``, object code + environment), keyed by the
model structure and every library version that shapes the code. A new process builds the PyMC
model and loads the callbacks instead of compiling them, and with
:mod:`bayeshcc.bayes.nutpie_model` it also skips the PyTensor compilation of graphs the loaded
callbacks replace; the machine code is the same, so draws are identical to a fresh compile with
the same seed in a process whose PyTensor numba cache is warm. (With PyTensor's ``fastmath`` on,
its default, the first process on a machine, whose PyTensor cache is empty, can give draws that
differ in the last bits; docs/benchmarks.md, row 13.)

Safety:

* The file carries a SHA-256 of its payload, checked before anything is unpickled or loaded, so a
  truncated or garbled file is detected and rebuilt (one warning per process, never an error).
* A loaded entry must match the freshly built model: PyTensor's hash of the log-density and
  expansion graphs, the dimensions, and the dtype/rank of every shared variable in order (or,
  when the entry is rebuilt without PyTensor compiling, :mod:`bayeshcc.bayes.nutpie_model`'s
  digest of the model's graph and its data names). A mismatch (stale entry) means a normal
  compile that overwrites the entry.
* Writes go to a temporary file in the cache folder and ``os.replace`` it: concurrent processes
  see either the old or the new complete file.
* Location: ``$BAYESHCC_CACHE_DIR`` if set (``off`` disables the cache), else the user cache
  folder (``platformdirs.user_cache_dir("bayeshcc")``, e.g. ``~/.cache/bayeshcc``), never the
  repository.
* Entries are pickles: the cache folder must only be writable by its user (as any
  ``~/.cache``).
* It relies on nutpie's and numba's internals (how nutpie builds its callbacks, numba's
  ``CompileResult``), so it is on only for the nutpie releases it is tested with
  (:data:`TESTED_NUTPIE`); with any other it is off, with one log line, and every fit compiles.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import platform
import sys
import tempfile
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

ENV_VAR = "BAYESHCC_CACHE_DIR"
#: nutpie releases the cache is tested with (by this package's test suite).
TESTED_NUTPIE = ("0.16.11",)
_LOG = logging.getLogger(__name__)
_UNTESTED_LOGGED = False
_OFF = {"off", "0", "false", "no", "none", "disable", "disabled"}
_MAGIC = b"bayeshcc-nutpie-cache 1\n"
_SUFFIX = ".nutpie"
_WARNED = False
_SOURCE_HASH: str | None = None
# One compile at a time per process: ``numba.cfunc`` is swapped while nutpie compiles (numba
# itself holds a global compiler lock then, so nothing is lost).
_LOCK = threading.RLock()


class StaleLayout(ValueError):
    """An entry's stored description does not fit the model just built (raised by a
    ``rebuild``): its callbacks are then checked against the compiled graphs instead."""


class CacheWarning(UserWarning):
    """A compiled-model cache entry could not be used or written (the fit is unaffected)."""


def cache_dir() -> Path | None:
    """The folder of compiled models, or None when the cache is disabled."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value.lower() in _OFF and value:
        return None
    if not nutpie_is_tested():
        return None
    if value:
        return Path(value).expanduser()
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("bayeshcc", appauthor=False))
    except ImportError:  # pragma: no cover - platformdirs comes with pymc
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                ".cache")
        return Path(base) / "bayeshcc"


def nutpie_is_tested() -> bool:
    """Whether the installed nutpie is one the cache is tested with (:data:`TESTED_NUTPIE`);
    logs once per process when it is not."""
    global _UNTESTED_LOGGED
    from importlib.metadata import version

    installed = version("nutpie")
    if installed in TESTED_NUTPIE:
        return True
    if not _UNTESTED_LOGGED:
        _UNTESTED_LOGGED = True
        _LOG.warning("bayeshcc: compiled-model cache off: nutpie %s is not one it is tested with "
                     "(%s); every fit compiles", installed, ", ".join(TESTED_NUTPIE))
    return False


def _source_hash() -> str:
    """SHA-256 of the bayeshcc.bayes sources (the model definitions, the families' modules
    included), once per process."""
    global _SOURCE_HASH
    if _SOURCE_HASH is None:
        h = hashlib.sha256()
        root = Path(__file__).parent
        for path in sorted(root.rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
        _SOURCE_HASH = h.hexdigest()
    return _SOURCE_HASH


def versions() -> dict[str, str]:
    """Everything besides the structure that shapes the compiled code."""
    import llvmlite
    import numba
    import numpy
    import nutpie
    import pymc
    import pytensor
    from numba.core.registry import cpu_target

    import bayeshcc

    return {"bayeshcc": bayeshcc.__version__, "bayeshcc_bayes_sources": _source_hash(),
            "pymc": pymc.__version__, "pytensor": pytensor.__version__,
            "nutpie": nutpie.__version__, "numba": numba.__version__,
            "llvmlite": llvmlite.__version__, "numpy": numpy.__version__,
            "python": sys.version, "machine": platform.machine(),
            # target triple, CPU name and features: object code is for this CPU
            "llvm_target": repr(cpu_target.target_context.codegen().magic_tuple()),
            "numba_fastmath": str(pytensor.config.numba__fastmath),
            "floatX": str(pytensor.config.floatX)}


def entry_path(key: tuple) -> Path | None:
    """The cache file of a model structure (None: cache disabled)."""
    folder = cache_dir()
    if folder is None:
        return None
    name = "-".join(str(part) for part in key).replace(os.sep, "_")
    digest = hashlib.sha256(repr((key, sorted(versions().items()))).encode()).hexdigest()[:24]
    return folder / f"{name}-{digest}{_SUFFIX}"


def _warn(message: str) -> None:
    """Warn once per process; later problems are silent (the fit itself never fails)."""
    global _WARNED
    if not _WARNED:
        _WARNED = True
        warnings.warn(message, CacheWarning, stacklevel=3)


def _read(path: Path) -> dict | None:
    """The entry at ``path``, None if absent; raises ValueError if corrupt."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    header_len = len(_MAGIC) + 65
    if len(raw) < header_len or not raw.startswith(_MAGIC):
        raise ValueError("not a bayeshcc cache file")
    digest, payload = raw[len(_MAGIC):header_len - 1].decode("ascii", "replace"), raw[header_len:]
    if hashlib.sha256(payload).hexdigest() != digest:
        raise ValueError("checksum mismatch (truncated or overwritten)")
    entry = pickle.loads(payload)  # noqa: S301 - our own file, checksum verified
    if not isinstance(entry, dict) or len(entry.get("cfuncs", ())) != 2:
        raise ValueError("unexpected content")
    return entry


def entry_state(key: tuple) -> str:
    """What the cache holds for a structure, without loading its machine code: ``"off"``
    (cache disabled or unavailable), ``"absent"``, ``"present"`` (checksum and content valid;
    whether it fits the model is only known when it is loaded) or ``"unreadable: <reason>"``
    (truncated or garbled: the next compile rebuilds it). For :mod:`bayeshcc.warmup`'s report."""
    try:
        path = entry_path(key)
    except Exception:  # noqa: BLE001 - as compile_cached: no cache, compile as usual
        return "off"
    if path is None:
        return "off"
    try:
        return "absent" if _read(path) is None else "present"
    except Exception as exc:  # noqa: BLE001 - any damage is reported, never raised
        return f"unreadable: {exc}"


def _write(path: Path, entry: dict) -> None:
    """Write atomically: a temporary file in the same folder, then ``os.replace``."""
    from numba.core.serialize import dumps

    payload = dumps(entry)
    data = _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_compile_result(payload, target_context=None):
    """numba's compile result from a stored payload (``CompileResult._reduce``), in
    ``target_context`` (default: the CPU target's)."""
    from numba.core import compiler
    from numba.core.registry import cpu_target

    context = target_context or cpu_target.target_context
    context.refresh()  # as numba's dispatcher does: registries and the NRT first
    return compiler.CompileResult._rebuild(context, *payload)


class _CFuncStore:
    """Stands in for numba's per-function cache on nutpie's ``CFunc`` objects.

    ``load_overload`` returns a rebuilt compile result (cache hit) or None (compile);
    ``save_overload`` keeps the picklable reduction of a fresh compile result.
    """

    def __init__(self, payload):
        self.payload = payload

    def load_overload(self, sig, target_context):
        return None if self.payload is None else load_compile_result(self.payload,
                                                                      target_context)

    def save_overload(self, sig, cres):
        cachable = (not cres.library.has_dynamic_globals
                    and all(getattr(x, "can_cache", False) for x in cres.lifted))
        self.payload = cres._reduce() if cachable else None


@contextmanager
def _nutpie_cfuncs(payloads: list | None, stores: list):
    """Route the ``numba.cfunc`` calls of this thread through :class:`_CFuncStore` objects.

    nutpie builds its two callbacks with ``numba.cfunc(sig, **kwargs)(function)``; the n-th call
    gets ``payloads[n]`` (None: compile as usual). Other threads see numba unchanged.
    """
    import numba
    from numba.core import sigutils
    from numba.core.ccallback import CFunc

    owner = threading.get_ident()

    def cfunc(sig, locals={}, cache=False, pipeline_class=None, **options):  # noqa: B006
        if threading.get_ident() != owner or cache:
            return original(sig, locals=locals, cache=cache, pipeline_class=pipeline_class,
                            **options)

        sig, locals = sigutils.normalize_signature(sig), dict(locals)

        def wrapper(function):
            if payloads is not None and len(stores) >= len(payloads):
                raise RuntimeError("more C callbacks than the cache entry holds")
            extra = {} if pipeline_class is None else {"pipeline_class": pipeline_class}
            res = CFunc(function, sig, locals=locals, options=options, **extra)
            store = _CFuncStore(None if payloads is None else payloads[len(stores)])
            stores.append(store)
            res._cache = store
            res.compile()
            return res

        return wrapper

    with _LOCK:
        original = numba.cfunc
        numba.cfunc = cfunc
        try:
            yield
        finally:
            numba.cfunc = original


def _graph_key(pytensor_function) -> str | None:
    """PyTensor's hash of a compiled function's graph (its numba cache key), if it has one."""
    try:
        from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

        return CACHED_SRC_FUNCTIONS.get(pytensor_function.vm.jit_fn.py_func)
    except Exception:  # noqa: BLE001 - only a consistency check
        return None


def _signature(compiled) -> dict:
    """What a loaded entry must agree on with the model nutpie just built."""
    order = list(compiled.shared_var_keys.items())
    return {"n_dim": int(compiled.n_dim), "n_expanded": int(compiled.n_expanded),
            "shape_info": repr(compiled.shape_info),
            "shared": [(var.name, str(compiled.shared_data[key].dtype),
                        compiled.shared_data[key].ndim) for var, key in order],
            "logp_graph": _graph_key(compiled.logp_func),
            "expand_graph": _graph_key(compiled.expand_func)}


def compile_cached(key: tuple, compile_model: Callable[[], Any],
                   describe: Callable[[Any], dict] | None = None,
                   rebuild: Callable[[dict, list], Any] | None = None) -> tuple[Any, str]:
    """``compile_model()`` (nutpie's ``compile_pymc_model``) with its callbacks cached on disk.

    With ``describe`` and ``rebuild`` (:mod:`bayeshcc.bayes.nutpie_model`), an entry also keeps
    ``describe(compiled)`` and a hit is ``rebuild(that, callback payloads)``: the model without
    ``compile_model``'s PyTensor compilation. Without them, for an entry stored without that
    description, or when ``rebuild`` raises (:class:`StaleLayout`, or anything else: the
    payload passed its checksum, so that is a nutpie it was not written for), a hit runs
    ``compile_model()`` with the callbacks loaded instead of compiled, and uses them if the
    compiled graphs match.

    Returns the compiled model and where its machine code came from: ``"disk"`` (loaded),
    ``"compiled"`` (compiled and stored) or ``"uncached"`` (cache disabled or not writable).
    """
    try:
        path = entry_path(key)
    except Exception as exc:  # noqa: BLE001 - e.g. no home folder: compile as usual
        _warn(f"compiled-model cache unavailable ({exc}); compiling")
        path = None
    if path is None:
        return compile_model(), "uncached"

    entry = None
    try:
        entry = _read(path)
    except Exception as exc:  # noqa: BLE001 - corrupt: rebuild
        _warn(f"compiled-model cache entry {path} unreadable ({exc}); recompiling")

    if entry is not None and rebuild is not None and "layout" in entry:
        try:
            return rebuild(entry["layout"], entry["cfuncs"]), "disk"
        except StaleLayout:  # the compiled graphs' check below decides
            pass
        except Exception as exc:  # noqa: BLE001 - a bug or an internal change, not a stale entry
            _warn(f"compiled-model cache entry {path} could not be rebuilt "
                  f"({type(exc).__name__}: {exc}); checking it against the compiled graphs")
    if entry is not None:
        stores: list = []
        try:
            with _nutpie_cfuncs(entry["cfuncs"], stores):
                compiled = compile_model()
            if len(stores) == 2 and _signature(compiled) == entry["signature"]:
                return compiled, "disk"
            _warn(f"compiled-model cache entry {path} does not match the model; recompiling")
        except Exception as exc:  # noqa: BLE001 - stale or corrupt content: rebuild
            _warn(f"compiled-model cache entry {path} could not be loaded ({exc}); recompiling")

    stores = []
    with _nutpie_cfuncs(None, stores):
        compiled = compile_model()
    payloads = [store.payload for store in stores]
    if len(payloads) != 2 or any(p is None for p in payloads):
        return compiled, "uncached"  # e.g. large constant arrays: not relocatable
    entry = {"key": key, "versions": versions(), "signature": _signature(compiled),
             "cfuncs": payloads}
    if describe is not None:
        try:
            entry["layout"] = describe(compiled)
        except Exception as exc:  # noqa: BLE001 - the entry is still usable without it
            _LOG.debug("compiled model stored without its layout: %s: %s",
                       type(exc).__name__, exc)
    try:
        _write(path, entry)
    except Exception as exc:  # noqa: BLE001 - read-only or full disk: fit anyway
        _warn(f"compiled model not cached at {path} ({exc})")
        return compiled, "uncached"
    return compiled, "compiled"
