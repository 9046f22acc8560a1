"""The ``bayeshcc`` command.

Exit status: 0 on success; 2 with one line on stderr for bad input (data, spec, arguments, an
existing results folder); 1 for an internal error; 130 after Ctrl-C (SIGINT) and 143 after
SIGTERM, with one line and nothing written (:mod:`bayeshcc.interrupts`). ``--debug`` shows the
traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from bayeshcc.errors import BayesHCCError
from bayeshcc.interrupts import exit_status, handling_signals

EXIT_BAD_INPUT = 2


class ResultsFolderError(BayesHCCError, ValueError):
    """A folder given to ``bayeshcc report`` is not a results folder."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit status 2."""

    def error(self, message: str) -> None:  # noqa: D102 - argparse hook
        self.exit(EXIT_BAD_INPUT, f"bayeshcc: error: {message} (see `{self.prog} --help`)\n")


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="replace an existing non-empty results folder")
    parser.add_argument("--no-bayes", action="store_true", help="frequentist analyses only")
    parser.add_argument("--draws", type=int, help="posterior draws per chain (overrides the spec)")
    parser.add_argument("--tune", type=int, help="warm-up draws per chain (overrides the spec)")
    parser.add_argument("--chains", type=int, help="chains per fit (overrides the spec)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--workers", type=int, help="run Bayesian fits on N local processes")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run Bayesian fits on a Dask cluster, e.g. tcp://127.0.0.1:8786")
    parser.add_argument("--include-patient-data", action="store_true",
                        help="show patient-level tables (matched pairs) in the report")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``bayeshcc`` command."""
    parser = _Parser(prog="bayeshcc", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    rep = sub.add_parser("reproduce", help="the reference study on the bundled synthetic cohort")
    rep.add_argument("--out", default="results", help="results folder (default: results)")
    _run_options(rep)

    ana = sub.add_parser("analyze", help="the same pipeline on your cohort and spec")
    ana.add_argument("--data", required=True, help="CSV, Parquet or Excel (.xlsx) table")
    ana.add_argument("--spec", required=True, help="analysis spec (TOML)")
    ana.add_argument("--out", required=True, help="results folder")
    _run_options(ana)

    rpt = sub.add_parser("report", help="(re)build report.html from a results folder")
    rpt.add_argument("folder", help="a results folder")
    rpt.add_argument("--include-patient-data", action="store_true",
                     help="show patient-level tables (matched pairs)")
    rpt.add_argument("--suppress-below", type=int, metavar="N",
                     help="show counts below N as '<N' (for sharing outside the analysis team)")

    exp = sub.add_parser("export", help="a copy of a results folder without patient-level data, "
                         "for sharing")
    exp.add_argument("folder", help="a results folder")
    exp.add_argument("--out", required=True, help="the folder to write")
    exp.add_argument("--min-count", type=int, default=5, metavar="N",
                     help="suppress counts from 1 to N-1 (default 5)")
    exp.add_argument("--force", action="store_true", help="replace an existing non-empty --out")

    rec = sub.add_parser("reconstruct", help="patient data from a published Kaplan-Meier curve "
                         "(Guyot et al. 2012)")
    rec.add_argument("--curve", required=True, help="CSV arm,time,survival (digitised points)")
    rec.add_argument("--at-risk", required=True, help="CSV arm,time,n_risk (numbers at risk)")
    rec.add_argument("--events", help="CSV arm,events (total events per arm, if published)")
    rec.add_argument("--out", required=True, help="IPD CSV to write (arm,time,event)")
    rec.add_argument("--spec-out", help="also write a bayeshcc spec (TOML) for the IPD")
    rec.add_argument("--plot-out", help="also write a PNG overlaying reconstruction and points")
    rec.add_argument("--treated", help="treated arm label (default: first arm in the curve file)")
    rec.add_argument("--reference", help="reference arm label")
    rec.add_argument("--force", action="store_true", help="replace existing output files")

    sub.add_parser("schema", help="print the JSON Schema of a spec file (for editors)")

    warm = sub.add_parser("warmup", help="compile ahead of time the models a spec's fits need "
                          "(default: the bundled study's), sampling nothing")
    warm.add_argument("--spec", help="analysis spec (TOML); default: the bundled study's")
    warm.add_argument("--data", help="a table the spec reads: warm the structures of its shape "
                      "(default: a synthetic cohort of the spec's shape)")
    warm.add_argument("--quiet", action="store_true", help="print nothing but errors")

    val = sub.add_parser("validate", help="check a table against a spec, write nothing")
    val.add_argument("--data", required=True)
    val.add_argument("--spec", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayeshcc`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    with handling_signals():  # SIGTERM ends a run as Ctrl-C does, cleanups included
        try:
            return _dispatch(args)
        except BayesHCCError as exc:
            if args.debug:
                raise
            print(f"bayeshcc: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM (interrupts.Terminated)
            written = _NOTHING_WRITTEN.get(args.command, "nothing was written")
            print(f"bayeshcc: interrupted; {written}", file=sys.stderr)
            return exit_status(exc)
        except Exception as exc:  # an internal fault: one line unless --debug
            if args.debug:
                raise
            print(f"bayeshcc: internal error: {type(exc).__name__}: {exc} (run with --debug for "
                  "the traceback, and please report it)", file=sys.stderr)
            return 1


_NOTHING_WRITTEN = {"analyze": "no results folder was written",
                    "reproduce": "no results folder was written",
                    "report": "the report was not replaced",
                    "reconstruct": "no file was written", "validate": "nothing was checked",
                    "schema": "nothing was written",
                    "warmup": "what was compiled before stays cached"}


def _import_arviz_near_the_stack_bottom() -> None:
    """Import ArviZ before the pipeline, a few frames deep, rather than where it first needs it.

    ``arviz_base`` asks ``lazy_loader`` for the optional jax and numpyro, and for an absent
    module ``lazy_loader`` calls ``inspect.stack()``, which reads the source of every frame on
    the stack and scans every loaded module for each. Imported where the pipeline first used it
    (about 130 frames deep) that took 0.8 s of a 9 s one-fit ``analyze``; here about 0.05 s.
    """
    import arviz  # noqa: F401


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("analyze", "reproduce"):
        _import_arviz_near_the_stack_bottom()
    if args.command == "schema":
        import json

        from bayeshcc.spec_schema import json_schema

        print(json.dumps(json_schema(), indent=2))
        return 0
    if args.command == "warmup":
        return _warmup(args)
    from bayeshcc import pipeline
    from bayeshcc.cohort import Cohort
    from bayeshcc.spec import load_spec

    if args.command == "report":
        from bayeshcc.report import write_report

        folder = Path(args.folder)
        if not (folder / "manifest.json").is_file():
            raise ResultsFolderError(f"{folder} is not a bayeshcc results folder (no manifest.json)")
        if args.suppress_below is not None and args.suppress_below < 2:
            raise ResultsFolderError("--suppress-below must be at least 2")
        print(write_report(folder, include_patient_data=args.include_patient_data,
                           min_cell=args.suppress_below))
        return 0
    if args.command == "export":
        from bayeshcc.export import export_results

        out = export_results(args.folder, args.out, min_count=args.min_count, force=args.force)
        print(f"shareable copy written to {out} ({_size(out)}); what it leaves out: "
              f"{out / 'SHARED.md'}")
        return 0
    if args.command == "reconstruct":
        from bayeshcc.reconstruct import run_reconstruct

        try:
            result = run_reconstruct(args.curve, args.at_risk, args.events, args.out,
                                     spec_out=args.spec_out, plot_out=args.plot_out,
                                     treated=args.treated, reference=args.reference,
                                     force=args.force)
        except FileExistsError as exc:
            raise ResultsFolderError(str(exc)) from None
        print(result.quality.to_string(index=False))
        return 0
    if args.command == "validate":
        cohort = Cohort.from_file(args.data, load_spec(args.spec))
        print(f"{args.data}: {len(cohort)} patients, valid for {args.spec}")
        return 0
    options = pipeline.RunOptions(bayes=not args.no_bayes, draws=args.draws, tune=args.tune,
                                  chains=args.chains, quiet=args.quiet,
                                  include_patient_data=args.include_patient_data,
                                  workers=args.workers, scheduler=args.scheduler)
    if args.command == "reproduce":
        out = pipeline.reproduce(args.out, force=args.force, options=options)
    else:
        spec_path = Path(args.spec)
        cohort = Cohort.from_file(args.data, load_spec(spec_path))
        out = pipeline.run_analysis(cohort, args.out, force=args.force, options=options,
                                    spec_path=spec_path)
    if not args.quiet:
        print(f"results written to {out} ({_size(out)})")
    return 0


def _warmup(args: argparse.Namespace) -> int:
    """``bayeshcc warmup``: one line per structure on stdout (a progress bar on a terminal's
    stderr while it runs), then a summary line."""
    import time

    from bayeshcc.progress import Progress
    from bayeshcc.warmup import summary, warmup

    start = time.perf_counter()
    echo = None if args.quiet else print
    with Progress(noun="fits", quiet=args.quiet) as progress:
        warmed = warmup(args.spec, args.data, progress=progress)
    if echo is not None:
        for item in warmed:
            echo(item.line())
        echo(summary(warmed, time.perf_counter() - start))
    return 0


def _size(folder: Path) -> str:
    """A folder's size on disk in words, e.g. ``"119 MB"``."""
    total = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    for unit in ("bytes", "kB", "MB"):
        if total < 1000:
            return f"{total:.0f} {unit}"
        total /= 1000
    return f"{total:.1f} GB"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
