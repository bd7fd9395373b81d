"""evaluation.json keeps every evaluation: appended in order, old files kept, never overwritten."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from ddpg.config.schema import ConfigError
from ddpg.evaluation.records import append_evaluation, read_evaluations


def record(seed: int, episodes: int) -> dict:
    return {"seed": seed, "episodes": episodes, "returns": [float(-seed)] * episodes}


def test_records_are_appended_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "evaluation.json"
    assert read_evaluations(path) == []
    append_evaluation(path, record(0, 10))
    assert append_evaluation(path, record(0, 1)) == [record(0, 10), record(0, 1)]
    assert json.loads(path.read_text()) == {"evaluations": [record(0, 10), record(0, 1)]}
    assert [p.name for p in tmp_path.iterdir()] == ["evaluation.json"]  # no temporary left


def test_a_single_record_file_becomes_the_first_record(tmp_path: Path) -> None:
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(record(3, 10)))  # the format before records were kept
    assert append_evaluation(path, record(4, 2)) == [record(3, 10), record(4, 2)]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"evaluations": [', "cannot be read"),
        ("[1, 2]", "holds no evaluation records"),
        ('{"mean": 1}', "holds no evaluation records"),
    ],
)
def test_a_file_that_is_not_a_record_list_is_never_overwritten(tmp_path, content, problem):
    path = tmp_path / "evaluation.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=f"^{path}.* {problem}") as error:
        append_evaluation(path, record(0, 1))
    assert "\n" not in str(error.value)
    assert path.read_text() == content


def test_concurrent_appends_lose_no_record(tmp_path: Path) -> None:
    path = tmp_path / "evaluation.json"
    start = threading.Barrier(8)

    def evaluate_many(worker: int) -> None:
        start.wait()
        for i in range(5):
            append_evaluation(path, record(worker, i + 1))

    threads = [threading.Thread(target=evaluate_many, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    kept = read_evaluations(path)
    assert sorted((r["seed"], r["episodes"]) for r in kept) == [
        (w, i + 1) for w in range(8) for i in range(5)
    ]
    for worker in range(8):  # each worker's records in the order it wrote them
        assert [r["episodes"] for r in kept if r["seed"] == worker] == [1, 2, 3, 4, 5]
