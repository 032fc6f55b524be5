"""`make bench`: build the large project on a fresh database, measure every figure, write JSON.

    python -m bench.run [--database sqlite|postgresql] [--scale full|small|tiny] [--runs N]
                        [--out var/bench/results-<database>.json] [--figures a,b] [--profile]
                        [--reuse] [--no-fail]
    python -m bench.run --merge      # var/bench/results-{sqlite,postgresql}.json -> results.json

One run:
1. a fresh database: SQLite, a file next to `--out` (var/bench/results-sqlite.sqlite3, deleted
   first); PostgreSQL, the database DATABASE_URL names (scripts/with-postgres exports one on a
   throwaway cluster), dropped and created again;
2. `migrate`, then `bench.world.build_world` at the scale asked (timed, with progress);
3. every figure of `bench.figures` (median of `--runs` timed runs against its floor, measured
   interleaved in the same run; see that module), then a table on stdout and the JSON at
   `--out`: `{"database", "scale", "runs", "world": {...ids, counts, build_seconds, phases},
   "migrate_seconds", "figures": {name: {value, unit, floor, ratio, queries, peak_mb, target,
   passed, ...details}}}`; a figure that could not be taken has `{"skipped": why}` or
   `{"error": traceback}` instead;
4. with `--reuse`, steps 1 and 2 are skipped: the previous run's database (same `--out`) is
   migrated and measured again with the world that run recorded (a quick re-measure while
   fixing a slow spot; `make bench` always builds fresh);
5. with `--profile`, a pyinstrument profile of one run of each figure that missed its target
   (`--profile=all`, or `--profile=a,b`: those figures), written next to `--out`
   (profile-<database>-<figure>.txt; needs pyinstrument: `.venv/bin/pip install pyinstrument`,
   it is not in requirements.txt; project_list_api runs in gunicorn: use py-spy there).

Scales: `full` is issue 6's project (300 commitments, one of 2,000 lines, 50-200 lines each
otherwise, 12 periods of history, a 400-line client contract); `small` keeps the 2,000-line pay
app but has 30 commitments and 3 periods (a quick check of the 2,000-line figures); `tiny` is
the smoke test's. `--commitments`, `--big-lines`, ... override a scale's numbers. The figure
names stay the same at every scale.

The merge writes `var/bench/results.json`, the shape issue 6 asks for:

    {
      "pay_app_api_2000": {"value": 0.41, "unit": "s", "floor": 0.02, "ratio": 20.5,
                           "queries": 9, "peak_mb": 12.3},
      ...                                    # every figure, measured on SQLite
      "postgresql": {"pay_app_api_2000": {...the same keys...}, ...}
    }

SQLite figures at the top level, PostgreSQL figures under "postgresql"; a figure that could not
be taken is `{"skipped": why}` or `{"error": message}`.

Exit status: 0 when every target holds (ratio <= 3 for pay_app_api_2000, pay_app_page_2000 and
line_edit_2000, <= 2 for pdf_2000; the other figures are reported only), 1 when one is missed
(after writing the files: an honest red), 2 when a figure could not be measured (an error) or
the run itself failed. `--no-fail` turns 1 into 0 (the smoke test's tiny scale cannot hold the
targets; nothing else should use it). The merge exits 1 if a target is missed in either file
or the PostgreSQL file is missing, 2 if a figure errored or the SQLite file is missing.

Figures are wall-clock medians on a shared machine (2 cores here, other work running): compare
a figure with its floor of the same run, not across runs or machines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DATABASES = ("sqlite", "postgresql")

SCALES: dict[str, dict[str, int]] = {
    "full": {
        "commitments": 300,
        "big_lines": 2000,
        "min_lines": 50,
        "max_lines": 200,
        "periods": 12,
        "client_lines": 400,
    },
    "small": {
        "commitments": 30,
        "big_lines": 2000,
        "min_lines": 50,
        "max_lines": 200,
        "periods": 3,
        "client_lines": 400,
    },
    "tiny": {
        "commitments": 6,
        "big_lines": 40,
        "min_lines": 5,
        "max_lines": 15,
        "periods": 2,
        "client_lines": 20,
    },
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.merge:
        return merge(
            sqlite=Path(args.sqlite_results),
            postgresql=Path(args.postgresql_results),
            out=Path(args.out or BENCH_DIR / "results.json"),
        )
    try:
        return run(args)
    except Exception:
        traceback.print_exc()
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--database", choices=DATABASES, default="sqlite")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    for key in SCALES["full"]:
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, dest=key)
    parser.add_argument("--seed", type=int, default=1)
    # 9: this machine's 2 cores are shared (CPU steal); medians of 5 moved by 20% run to run.
    parser.add_argument("--runs", type=int, default=9, help="timed runs per figure (median)")
    parser.add_argument("--http-seconds", type=float, default=5.0, help="seconds of each wrk run")
    parser.add_argument("--figures", help="only these figures (comma-separated names)")
    parser.add_argument("--out", help="the JSON to write (default var/bench/results-<db>.json)")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="misses",
        help="profile (pyinstrument) one run of each figure that misses its target; "
        "--profile=all, or --profile=a,b for those figures",
    )
    parser.add_argument(
        "--no-fail",
        action="store_true",
        help="exit 0 when a target is missed (the smoke test's tiny scale only)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the database and world of the previous run (same --out): "
        "migrates, builds nothing (a quick re-measure while fixing; make bench builds fresh)",
    )
    parser.add_argument("--merge", action="store_true", help="merge the two files into one")
    parser.add_argument("--sqlite-results", default=str(BENCH_DIR / "results-sqlite.json"))
    parser.add_argument("--postgresql-results", default=str(BENCH_DIR / "results-postgresql.json"))
    return parser


def run(args: argparse.Namespace) -> int:
    from bench.figures import NAMES

    names = list(NAMES)
    if args.figures:
        names = [name.strip() for name in args.figures.split(",") if name.strip()]
        unknown = sorted(set(names) - set(NAMES))
        if unknown:
            raise SystemExit(f"unknown figures: {', '.join(unknown)} (known: {', '.join(NAMES)})")
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    scale = dict(SCALES[args.scale])
    for key in scale:
        if getattr(args, key) is not None:
            scale[key] = getattr(args, key)
    out = Path(args.out or BENCH_DIR / f"results-{args.database}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = _previous_world(out) if args.reuse else None
    out.unlink(missing_ok=True)  # never leave last run's file behind a failed run

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DATABASE_URL"] = (
        existing_database(args.database, out) if args.reuse else fresh_database(args.database, out)
    )
    os.environ.setdefault("BENCH_MEDIA_ROOT", str(out.parent / f"media-{args.database}"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.figures import Bench, FigureSkipped
    from bench.world import build_world

    _say(f"{args.database} ({connection.vendor}), scale {args.scale}: {scale}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - started
    if previous is not None:
        world = _world_again(previous)
        scale = previous["scale_numbers"]
        _say(f"migrated in {migrate_seconds:.1f} s; reusing the world of the previous run")
    else:
        _say(f"migrated in {migrate_seconds:.1f} s; building the world...")
        world = build_world(seed=args.seed, **scale)
    bench = Bench(world=world, runs=args.runs, http_seconds=args.http_seconds)

    figures: dict[str, dict[str, Any]] = {}
    for name in names:
        _say(f"measuring {name} ({args.runs} runs)...")
        try:
            figure = bench.measure(name)
        except FigureSkipped as skipped:
            _say(f"{name}: SKIPPED: {skipped}")
            figure = {"skipped": str(skipped)}
        except Exception:
            text = traceback.format_exc()
            print(text, file=sys.stderr)
            figure = {"error": text}
        figures[name] = judge(name, figure)
        _say(f"{name}: {_line(name, figures[name])}")
        if "lightest_api_request" in figures[name]:
            lightest = figures[name]["lightest_api_request"]
            _say(
                f"  for reference, the lightest API request: {_amount(lightest['value'], 's')} "
                f"against the same floor: x{lightest['ratio']}"
            )

    if args.profile:
        wanted = set(args.profile.split(","))
        for name, figure in figures.items():
            missed = figure.get("passed") is False
            if (
                "all" in wanted or name in wanted or ("misses" in wanted and missed)
            ) and "value" in figure:
                path = out.parent / f"profile-{args.database}-{name}.txt"
                try:
                    path.write_text(bench.profile(name))
                    _say(f"profile of {name}: {path}")
                except Exception as error:  # pyinstrument missing, or the figure broke
                    _say(f"no profile of {name}: {error!r}")

    document = {
        "database": args.database,
        "vendor": connection.vendor,
        "scale": args.scale,
        "reused_world": args.reuse,
        "scale_numbers": scale,
        "runs": args.runs,
        "migrate_seconds": round(migrate_seconds, 1),
        "world": {
            **{k: v for k, v in vars(world).items() if k not in ("token", "commitment_ids")},
            "build_seconds": round(world.build_seconds, 1),
            "phases": {k: round(v, 1) for k, v in world.phases.items()},
        },
        "figures": figures,
    }
    out.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print()
    print(f"{args.database}: world built in {world.build_seconds:.0f} s ({world.counts})")
    print(table(figures))
    print(f"\nwrote {out}")
    return exit_status(figures, no_fail=args.no_fail)


# --- A fresh database ---------------------------------------------------------------------------


def fresh_database(database: str, out: Path) -> str:
    """The DATABASE_URL of an empty database for this run (created here)."""
    if database == "sqlite":
        path = out.with_suffix(".sqlite3").resolve()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "--database postgresql needs DATABASE_URL=postgres://...: run it under "
            "scripts/with-postgres (a throwaway cluster)"
        )
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    with psycopg.connect(
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        name = sql.Identifier(str(config["NAME"]))
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return url


def existing_database(database: str, out: Path) -> str:
    """The DATABASE_URL of the previous run's database (`--reuse`)."""
    if database == "sqlite":
        path = out.with_suffix(".sqlite3").resolve()
        if not path.exists():
            raise SystemExit(f"--reuse: {path} is missing: run without --reuse first")
        return f"sqlite:///{path}"
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--reuse --database postgresql needs the DATABASE_URL of that run")
    return url


def _previous_world(out: Path) -> dict[str, Any]:
    if not out.exists():
        raise SystemExit(f"--reuse: {out} is missing: run without --reuse first")
    document: dict[str, Any] = json.loads(out.read_text())
    return {**document["world"], "scale_numbers": document["scale_numbers"]}


def _world_again(previous: dict[str, Any]) -> Any:
    """The World of the previous run, its token and commitments read from the database again."""
    from rest_framework.authtoken.models import Token

    from bench.world import World
    from sitebill.contracts.models import Contract

    fields = {k: v for k, v in previous.items() if k in World.__dataclass_fields__}
    fields["token"] = Token.objects.get(user_id=previous["admin_id"]).key
    fields["commitment_ids"] = list(
        Contract.objects.filter(
            project_id=previous["project_id"], kind__in=Contract.COMMITMENT_KINDS
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return World(**fields)


# --- Judging and printing -----------------------------------------------------------------------


def judge(name: str, figure: dict[str, Any]) -> dict[str, Any]:
    """Add `target` (the ratio at most, or None) and `passed` (None when there is no target)."""
    from bench.figures import RATIO_TARGETS

    target = RATIO_TARGETS.get(name)
    figure = dict(figure)
    figure["target"] = target
    if "ratio" in figure and target is not None:
        figure["passed"] = figure["ratio"] <= target
    else:
        figure["passed"] = None
    return figure


def exit_status(figures: dict[str, dict[str, Any]], *, no_fail: bool = False) -> int:
    if any("error" in figure for figure in figures.values()):
        return 2
    if not no_fail and any(figure.get("passed") is False for figure in figures.values()):
        return 1
    return 0


def _amount(value: float, unit: str) -> str:
    return f"{value:.0f} req/s" if unit == "req/s" else f"{value:.3f} s"


def _line(name: str, figure: dict[str, Any]) -> str:
    if "skipped" in figure:
        return f"skipped ({figure['skipped']})"
    if "error" in figure:
        return "ERROR (see the traceback above)"
    unit = figure["unit"]
    return (
        f"{_amount(figure['value'], unit)} against {_amount(figure['floor'], unit)}: "
        f"x{figure['ratio']}, {figure['queries']} queries, {figure['peak_mb']} MB"
    )


def table(figures: dict[str, dict[str, Any]]) -> str:
    """The figures as a Markdown table (the README's "Performance" section takes it as is)."""
    rows = [
        "| figure | value | floor | ratio | target | queries | peak MB | result |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, figure in figures.items():
        if "skipped" in figure or "error" in figure:
            what = "skipped" if "skipped" in figure else "ERROR"
            rows.append(f"| {name} | | | | | | | {what} |")
            continue
        unit, target = figure["unit"], figure.get("target")
        passed = figure.get("passed")
        rows.append(
            f"| {name} | {_amount(figure['value'], unit)} | {_amount(figure['floor'], unit)} "
            f"| {figure['ratio']:.2f} | {f'<= {target:g}' if target is not None else '-'} "
            f"| {figure['queries']} | {figure['peak_mb']:.1f} "
            f"| {'pass' if passed else 'FAIL' if passed is False else 'report'} |"
        )
    return "\n".join(rows)


# --- Merging ------------------------------------------------------------------------------------

MERGED_KEYS = ("value", "unit", "floor", "ratio", "queries", "peak_mb")


def _merged(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, figure in figures.items():
        if "skipped" in figure or "error" in figure:
            out[name] = {
                key: figure[key].strip().splitlines()[-1] if key == "error" else figure[key]
                for key in ("skipped", "error")
                if key in figure
            }
        else:
            out[name] = {key: figure[key] for key in MERGED_KEYS}
    return out


def merge(*, sqlite: Path, postgresql: Path, out: Path) -> int:
    """Write issue 6's results.json from the two runs' files (see the module docstring)."""
    if not sqlite.exists():
        print(f"merge: {sqlite} is missing: run `python -m bench.run --database sqlite`")
        return 2
    documents = {"sqlite": json.loads(sqlite.read_text())}
    if postgresql.exists():
        documents["postgresql"] = json.loads(postgresql.read_text())
    merged: dict[str, Any] = _merged(documents["sqlite"]["figures"])
    if "postgresql" in documents:
        merged["postgresql"] = _merged(documents["postgresql"]["figures"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged, indent=2) + "\n")
    statuses = []
    for database, document in documents.items():
        world = document["world"]
        print(
            f"\n{database}: {world['counts']['commitments']} commitments, "
            f"{world['counts']['pay_apps']} pay apps, {world['counts']['pay_app_lines']} "
            f"lines, built in {world['build_seconds']:.0f} s; median of {document['runs']} runs"
        )
        print(table(document["figures"]))
        statuses.append(exit_status(document["figures"]))
    print(f"\nwrote {out}")
    if "postgresql" not in documents:
        print(f"merge: {postgresql} is missing: the PostgreSQL figures are not in {out}")
        statuses.append(1)
    return max(statuses)


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
