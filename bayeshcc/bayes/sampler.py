"""Run nutpie's sampler to its end, or raise: an interrupted run is never a posterior.

:func:`nutpie.sample` catches :class:`KeyboardInterrupt` while it waits for its chains and
returns the draws taken so far (``abort``), so a Ctrl-C during sampling would come back as a
shorter posterior: the pipeline took it for a finished fit, or failed later for a statistical
reason (a jackknife refit from a posterior of a few draws "did not converge"). :func:`sample`
starts the same run in the background and waits for it itself: an interrupt (or any other
error) cancels the chains and propagates, and a run that returns fewer draws than asked is an
interrupt too (nothing else stops nutpie early).
"""

from __future__ import annotations

from bayeshcc.interrupts import raise_if_interrupted


def sample(compiled, *, draws: int, **settings):
    """:func:`nutpie.sample` (blocking) that never returns a run cut short.

    Parameters
    ----------
    compiled : nutpie.CompiledModel
    draws : int
        Post-warm-up draws per chain.
    **settings
        Passed to :func:`nutpie.sample` (``tune``, ``chains``, ``seed``, ...; not ``blocking``).

    Returns
    -------
    xarray.DataTree
        nutpie's trace, with ``draws`` draws in every chain.

    Raises
    ------
    KeyboardInterrupt
        The run was interrupted (SIGINT, or SIGTERM as :class:`bayeshcc.interrupts.Terminated`);
        its chains are stopped first.
    """
    import nutpie

    run = nutpie.sample(compiled, draws=draws, blocking=False, **settings)
    try:
        tree = run.wait()
    except BaseException:
        run.cancel()
        raise
    raise_if_interrupted()
    check_complete(tree, draws)
    return tree


def check_complete(tree, draws: int) -> None:
    """Raise :class:`KeyboardInterrupt` if a trace has fewer than ``draws`` draws per chain:
    nutpie stops early only when it is interrupted."""
    taken = int(tree["posterior"].sizes.get("draw", 0)) if "posterior" in tree.children else 0
    if taken < draws:
        raise KeyboardInterrupt(f"sampling stopped after {taken} of {draws} draws")


__all__ = ["check_complete", "sample"]
