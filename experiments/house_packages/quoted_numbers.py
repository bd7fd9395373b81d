"""The numbers experiments/house_packages/README.md quotes, from make_bench_before_after.txt
(`make bench` output, rounds over three checkouts), ab_k1.txt (K = 1 alternated) and
bit_identical.txt (compare_trees.py's output)."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

CHECKOUTS = {"/tmp/before": "before", "/tmp/fp_on": "packages", "/work/main": "final"}
ROUND = re.compile(r"^=== round \d+ (\S+)")
SINGLE = re.compile(r"^train mlp64 .* (\d+) steps/s")
MEMBERS = re.compile(r"^\s+K=(\d+)\s+(\d+) steps/s")


def bench_rounds(text: str) -> dict[str, dict[str, list[int]]]:
    """{checkout: {row: [steps/s per round]}} from the 1-thread part of each round."""
    rates: dict[str, dict[str, list[int]]] = {name: {} for name in CHECKOUTS.values()}
    checkout, threads = "", 0
    for line in text.splitlines():
        if match := ROUND.match(line):
            checkout = CHECKOUTS[match[1]]
        elif line.startswith("threads "):
            threads = int(line.split()[1])
        elif threads == 1 and (match := SINGLE.match(line)):
            rates[checkout].setdefault("single run mlp64", []).append(int(match[1]))
        elif threads == 1 and (match := MEMBERS.match(line)) and match[1] != "1":
            rates[checkout].setdefault(f"population K = {match[1]}", []).append(int(match[2]))
    return rates


def blocks(folder: Path) -> dict[str, str]:
    rates = bench_rounds((folder / "make_bench_before_after.txt").read_text())
    names = list(CHECKOUTS.values())
    rows = [
        "| threads 1, env steps/s | " + " | ".join(f"{n} (2 runs)" for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for row in rates["before"]:
        rows.append(
            f"| {row} | " + " | ".join(", ".join(map(str, rates[n][row])) for n in names) + " |"
        )
    ab: dict[str, list[int]] = {}
    for line in (folder / "ab_k1.txt").read_text().splitlines():
        if not line.startswith("#") and " rate " in line:
            ab.setdefault(line.split()[0], []).append(int(line.split(" rate ")[1].split()[0]))
    on, off = statistics.median(ab["f55e32c"]), statistics.median(ab["final"])
    ab_text = (
        f"median {on:.0f} steps/s with the fast paths, {off:.0f} without ({off / on:.2f}x, "
        f"{len(ab['final'])} alternations each)."
    )
    summary = (folder / "bit_identical.txt").read_text().strip().splitlines()[-1]
    compared, differ = re.fullmatch(r"(\d+) files compared, (\d+) differ", summary).groups()
    identical = f"**{compared} files compared, {differ} differ**"
    return {"speed": "\n".join(rows), "ab_k1": ab_text, "bit_identical": identical}
