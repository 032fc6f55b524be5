"""`make bench` still runs: the harness at a tiny scale on SQLite, every figure measured.

The harness runs in a subprocess (it sets up Django on its own settings and database), with one
timed run per figure; the tiny scale cannot hold the ratio targets, so `--no-fail` keeps a
missed target from failing the run, while a figure that breaks (an error page, a traceback)
still does: it is then missing from the file, or has no numbers.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _http_load_written() -> bool:
    return importlib.util.find_spec("bench.http_load") is not None


def test_every_figure_is_measured_at_a_tiny_scale(tmp_path: Path) -> None:
    # given
    from bench.figures import NAMES

    out = tmp_path / "results-sqlite.json"
    command = [
        sys.executable,
        "-m",
        "bench.run",
        "--database",
        "sqlite",
        "--scale",
        "tiny",
        "--runs",
        "1",
        "--http-seconds",
        "1",
        "--no-fail",
        "--out",
        str(out),
    ]

    # when
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )

    # then
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    document = json.loads(out.read_text())
    assert document["database"] == "sqlite"
    assert document["world"]["counts"]["commitments"] == 6
    figures = document["figures"]
    for name in NAMES:
        figure = figures[name]
        if name == "project_list_api" and not _http_load_written():
            assert "skipped" in figure
            continue
        assert "error" not in figure, figure.get("error")
        assert "skipped" not in figure, f"{name} was skipped: {figure.get('skipped')}"
        for key in ("value", "floor", "ratio", "peak_mb"):
            assert isinstance(figure[key], int | float), (name, key, figure[key])
            assert figure[key] >= 0, (name, key, figure[key])
        assert figure["value"] > 0 and figure["floor"] > 0, (name, figure)
        assert figure["unit"] in ("s", "req/s"), (name, figure["unit"])
        assert isinstance(figure["queries"], int) and figure["queries"] > 0, (name, figure)
    assert "| pay_app_api_2000 |" in done.stdout  # the table was printed
    # the line edit's reference: the lightest API request against the same floor
    lightest = figures["line_edit_2000"]["lightest_api_request"]
    assert lightest["value"] > 0 and lightest["floor"] > 0 and lightest["ratio"] > 0, lightest
    assert lightest["queries"] > 0  # the token's user, the project
    assert "the lightest API request" in done.stderr


def test_the_merge_writes_the_shape_of_issue_6(tmp_path: Path) -> None:
    # given: two runs' files, as `python -m bench.run` writes them
    def run_file(value: float) -> dict[str, object]:
        figure = {
            "value": value,
            "unit": "s",
            "floor": 0.1,
            "ratio": value / 0.1,
            "queries": 4,
            "peak_mb": 1.5,
            "runs": [value],
            "target": 3.0,
            "passed": value / 0.1 <= 3.0,
        }
        return {
            "runs": 1,
            "world": {
                "counts": {"commitments": 1, "pay_apps": 1, "pay_app_lines": 1},
                "build_seconds": 1.0,
            },
            "figures": {"pay_app_api_2000": figure},
        }

    sqlite, postgresql = tmp_path / "s.json", tmp_path / "p.json"
    sqlite.write_text(json.dumps(run_file(0.2)))
    postgresql.write_text(json.dumps(run_file(0.5)))
    out = tmp_path / "results.json"

    # when
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--merge",
            "--sqlite-results",
            str(sqlite),
            "--postgresql-results",
            str(postgresql),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # then: SQLite at the top, PostgreSQL nested; PostgreSQL's missed target makes it red
    merged = json.loads(out.read_text())
    keys = {"value", "unit", "floor", "ratio", "queries", "peak_mb"}
    assert set(merged["pay_app_api_2000"]) == keys
    assert merged["pay_app_api_2000"]["value"] == 0.2
    assert set(merged["postgresql"]["pay_app_api_2000"]) == keys
    assert merged["postgresql"]["pay_app_api_2000"]["value"] == 0.5
    assert done.returncode == 1, done.stdout
