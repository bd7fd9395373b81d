"""Recompute every number that an experiment README quotes from the files committed beside it.

    python experiments/check.py            # exit 1 and a line per mismatch if any README is stale
    python experiments/check.py --write    # rewrite the computed blocks from the committed files

A README quotes results only inside computed blocks:

    <!-- computed: NAME -->
    ...text that `experiments/<study>/quoted_numbers.py` produces for NAME...
    <!-- end computed -->

`quoted_numbers.py` defines `blocks(folder: Path) -> dict[str, str]` and reads only committed files
in its folder (per-run CSVs, logs), so the check is fast and needs no training. A block without a
generator, or a generator whose block the README lacks, is an error too: a number is either
recomputed or not quoted. The project's README.md quotes study results the same way, naming the
study: `<!-- computed: baselines:targets -->` (there, not every block need be used).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
BLOCK = re.compile(
    r"(<!-- computed: (?P<name>[\w.:-]+) -->\n)(?P<body>.*?)(<!-- end computed -->)", re.DOTALL
)
Generator = Callable[[Path], dict[str, str]]


def load_generator(folder: Path) -> Generator | None:
    """The study's `blocks` function, or None when the folder has no quoted_numbers.py."""
    path = folder / "quoted_numbers.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"quoted_numbers_{folder.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    blocks: Generator = module.blocks
    return blocks


def check_readme(readme: Path, expected: dict[str, str], write: bool) -> list[str]:
    """Mismatches between `readme`'s computed blocks and `expected` (rewritten with `write`)."""
    text = readme.read_text()
    problems: list[str] = []
    seen: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        seen.add(name)
        if name not in expected:
            problems.append(f"{readme}: block '{name}' has no generator in quoted_numbers.py")
            return match[0]
        body = expected[name].rstrip("\n") + "\n"
        if match["body"] != body:
            problems.append(f"{readme}: block '{name}' differs from what the committed files give")
        return match[1] + body + match[4]

    updated = BLOCK.sub(replace, text)
    problems += [
        f"{readme}: no block '{n}' for quoted_numbers.py's {n}" for n in expected if n not in seen
    ]
    if write and updated != text:
        readme.write_text(updated)
        problems = [p for p in problems if "differs" not in p]
    return problems


def check(root: Path, write: bool = False) -> list[str]:
    """Every study folder under `root`: its README's blocks against its quoted_numbers.py; then the
    project README beside `root`, whose blocks name their study."""
    problems: list[str] = []
    everything: dict[str, str] = {}
    for readme in sorted(root.glob("*/README.md")):
        generator = load_generator(readme.parent)
        if generator is None:
            if BLOCK.search(readme.read_text()):
                problems.append(f"{readme}: computed blocks but no quoted_numbers.py")
            continue
        try:
            expected = generator(readme.parent)
        except (OSError, KeyError, ValueError) as error:
            problems.append(
                f"{readme.parent / 'quoted_numbers.py'}: {type(error).__name__}: {error}"
            )
            continue
        problems += check_readme(readme, expected, write)
        everything |= {f"{readme.parent.name}:{name}": text for name, text in expected.items()}
    project = root.parent / "README.md"
    if project.exists() and BLOCK.search(project.read_text()):
        used = {m["name"] for m in BLOCK.finditer(project.read_text())}
        quoted = {name: text for name, text in everything.items() if name in used}
        problems += check_readme(project, quoted, write)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite stale blocks")
    parser.add_argument("--root", type=Path, default=HERE, help="the experiments folder")
    args = parser.parse_args(argv)
    problems = check(args.root, args.write)
    for problem in problems:
        print(problem, file=sys.stderr)
    studies = len(list(args.root.glob("*/quoted_numbers.py")))
    print(f"experiments/check.py: {studies} studies, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
