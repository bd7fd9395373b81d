"""The numbers experiments/sweep_memory/README.md quotes, from memory.csv and
memory_in_process.csv (per job: jobs finished, the launching process's RSS and maps lines)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MAPS_LIMIT = 65_530  # the kernel's vm.max_map_count default
SHOWN = (1, 10, 30, 60)


def blocks(folder: Path) -> dict[str, str]:
    sweep = pd.read_csv(folder / "memory.csv").set_index("jobs_finished")
    one = pd.read_csv(folder / "memory_in_process.csv").set_index("jobs_finished")
    rows = [
        "| jobs finished | sweep: RSS (MiB) | sweep: maps | in one process: RSS (MiB) "
        "| in one process: maps |",
        "| --- | --- | --- | --- | --- |",
    ]
    for n in SHOWN:
        rows.append(
            f"| {n} | {sweep.rss_mib[n]:.1f} | {sweep.maps[n]:,} | {one.rss_mib[n]:,.1f} "
            f"| {one.maps[n]:,} |"
        )
    first, last = SHOWN[0], SHOWN[-1]

    def per_job(frame: pd.DataFrame, column: str) -> float:
        return float((frame[column][last] - frame[column][first]) / (last - first))

    maps_per_job = per_job(one, "maps")
    sweep_text = (
        f"- **Each job in its own child process (the design):** the launcher never imports "
        f"TensorFlow.\n  Its mappings stay at {sweep.maps.min()}-{sweep.maps.max()}, and RSS "
        f"grows {per_job(sweep, 'rss_mib'):.2f} MiB per job."
    )
    one_text = (
        f"- **Every job in one process (before):** +{maps_per_job:.0f} mappings and "
        f"+{per_job(one, 'rss_mib'):.0f} MiB per job. Such a sweep would\n  reach the "
        f"{MAPS_LIMIT:,}-mapping limit after ~{MAPS_LIMIT / maps_per_job:.0f} jobs and fail there."
    )
    return {"table": "\n".join(rows), "sweep": sweep_text, "in_process": one_text}
