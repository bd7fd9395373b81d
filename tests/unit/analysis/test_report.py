"""ddpg.analysis.report: cell formatting and the warnings printed under the table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ddpg.analysis import report


def test_fmt_cells() -> None:
    assert report.fmt(np.nan) == ""
    assert report.fmt(-1234.5) == "-1234" and report.fmt(-212.456) == "-212.46"
    assert report.fmt(0.04567) == "0.0457" and report.fmt(3.0) == "3"
    assert report.fmt("a|b\nc") == "a\\|b c"
    assert report.fmt(1e30) == "1e+30" and report.fmt(-1.5e30) == "-1.5e+30"
    assert report.fmt(999_999_999.0) == "999999999" and report.fmt(float("-inf")) == "-inf"


def test_warnings_name_small_groups_and_unfinished_runs() -> None:
    table = pd.DataFrame({"group": ["x", "y"], "n_runs": [5, 4], "n_unfinished": [0, 2]})
    lines = report.warning_lines(table).split("\n\n")
    assert lines[0].startswith("**Warning:** fewer than 5 counted runs in 1 of 2 groups (y):")
    assert lines[1].startswith("**Warning:** 2 runs are unfinished")
    table = table.assign(n_runs=[5, 5], n_unfinished=[0, 0])
    assert report.warning_lines(table) == ""
