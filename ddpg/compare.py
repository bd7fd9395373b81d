"""Compare training runs: group seeds by setting, summarise each group, write tables and plots.

    python -m ddpg.compare PATH [PATH ...] [--by KEY ...] [--out DIR] [--metric M]
                           [--resamples N] [--seed S] [--across KEY]

The work is ddpg.analysis.compare's (ddpg.analysis.across's with ``--across``: the ``--by``
settings compared over several tasks on a normalized score); this module parses the command
line and hands compare TensorBoard's writer of the group curves (ddpg.storage.group_curves:
`<out>/compare/tb/<group>`, each group's mean eval curve and CI as a margin chart), which
ddpg.analysis may not import. `load_runs` and `load_curves` are re-exported for notebooks
(`ddpg.compare.load_runs(path)`). User errors print one line to stderr and exit with 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from ddpg.analysis.across import compare_across
from ddpg.analysis.compare import compare, load_curves, load_runs
from ddpg.analysis.plots import Band
from ddpg.analysis.runs import CompareError
from ddpg.storage.group_curves import GroupCurve, write_group_curves

__all__ = ["load_curves", "load_runs", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for user errors)."""
    p = argparse.ArgumentParser(prog="python -m ddpg.compare", description=__doc__.split("\n")[0])
    p.add_argument("paths", nargs="+", type=Path, help="run, sweep or output directories")
    p.add_argument("--by", nargs="+", action="extend", metavar="KEY", help="grouping keys")
    p.add_argument("--out", type=Path, help="output directory (default: the first PATH)")
    metrics = ["final_eval_return", "best_eval_return", "auc", "peak_of_mean_curve"]
    p.add_argument("--metric", default=metrics[0], choices=metrics)
    p.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.add_argument(
        "--across", metavar="KEY", help="compare the --by settings across tasks (e.g. env)"
    )
    args = p.parse_args(argv)
    common = (args.out, args.metric, args.resamples, args.seed)
    try:
        if args.across:
            text, written = compare_across(args.paths, args.by, args.across, *common)
        else:
            text, written = compare(args.paths, args.by, *common, write_bands=write_tensorboard)
    except (CompareError, OSError) as e:
        print(f"compare: error: {e}", file=sys.stderr)
        return 2
    print(text)
    print(f"wrote {', '.join(str(path) for path in written)}")
    return 0


def write_tensorboard(bands: Mapping[str, Band], out: Path) -> Path:
    """Each group's learning-curve band as a TensorBoard run under `out/compare/tb/`."""
    curves = {group: GroupCurve(b.steps, b.mean, b.low, b.high) for group, b in bands.items()}
    return write_group_curves(out, curves)


if __name__ == "__main__":
    raise SystemExit(main())
