"""The `project_list_api` figure: a project's pay app list (100 per page) under HTTP load.

`measure_project_list_api` serves the app with gunicorn (2 sync workers, loopback, the bench
settings, the database of the current environment) and loads two URLs with `wrk`, alternately:

- the measured one, `GET /api/v1/projects/<id>/pay-apps/?page_size=100` (DRF, the product);
- its floor, `GET /bench/project-pay-apps/<id>/?page_size=100` (bench.floor_views: a plain
  Django JSON view of the same rows, the token looked up the same way, two queries).

Before loading, both URLs must answer 200 over HTTP with the same rows (a full page: 100 rows,
or every row when the project has fewer), or it fails loudly: a load test of 401s is worthless.
After a warm-up, the runs alternate (API, floor, floor, API, ...); after each one the workers
are left to finish the requests wrk abandoned (until they use no CPU), so no run pays for the
one before. A URL so slow that a run would count fewer than 20 requests gets longer runs.
The SQL queries per request are counted in-process (django.test.Client); the peak memory is
the largest VmHWM (peak resident set) of the gunicorn workers, read from /proc during the runs
(the workers serve both URLs: the API's page dominates it). gunicorn is always stopped (its
whole process group) and checked gone.

The caller has Django set up with DJANGO_SETTINGS_MODULE=bench.settings and DATABASE_URL (the
workers inherit the environment), and the data is committed. wrk comes from Debian
(scripts/ensure-wrk). Figures are requests per second of the whole machine (2 cores here, shared
with wrk itself and whatever else runs): compare them only within one run.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 100
WORKERS = 2
WARM_UP_SECONDS = 1
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
IDLE_INTERVAL = 0.3
MIN_REQUESTS = 20
MAX_RUN_SECONDS = 60


class LoadTestError(RuntimeError):
    """The load test cannot give a meaningful figure (a bad answer, a missing tool, a crash)."""


def api_path(project_id: int) -> str:
    return f"/api/v1/projects/{project_id}/pay-apps/?page_size={PAGE_SIZE}"


def floor_path(project_id: int) -> str:
    return f"/bench/project-pay-apps/{project_id}/?page_size={PAGE_SIZE}"


def measure_project_list_api(
    *, project_id: int, token: str, seconds: float = 5.0, runs: int = 3, connections: int = 8
) -> dict[str, Any]:
    """Requests per second of the project's pay app list (first page of 100) and of its floor.

    Returns `value` (API req/s, median of `runs`), `unit`, `floor` (floor req/s, median),
    `ratio` (floor / value: above 1 means slower than the floor), `queries` (SQL queries of one
    API request), `floor_queries`, `peak_mb` (peak RSS of a gunicorn worker), `p50_ms` and
    `p99_ms` (API latency, medians of the runs), `floor_p50_ms`, `floor_p99_ms`, `rows` (rows
    on the page), `runs` and `floor_runs` (each run's req/s), `requests` and `floor_requests`
    (each run's completed requests), `run_seconds` and `floor_run_seconds`, and `gunicorn_pids`
    (all gone on return).

    Each run lasts `seconds` (whole seconds for wrk: rounded, at least 1), lengthened for a URL
    so slow that it would complete fewer than MIN_REQUESTS requests (estimated from one request
    timed alone, at most MAX_RUN_SECONDS): a 5-second run of a 2-second answer counts 4 requests.
    """
    if runs < 1 or connections < 1:
        raise ValueError("runs and connections must be at least 1")
    wrk = wrk_path()
    api, floor = api_path(project_id), floor_path(project_id)
    queries = queries_per_request(api, token)
    floor_queries = queries_per_request(floor, token)
    results: dict[str, list[WrkResult]] = {api: [], floor: []}
    durations: dict[str, int] = {}
    with gunicorn() as server:
        rows = check_answers(server, api=api, floor=floor, token=token)
        for path in (api, floor):  # both workers load the app and take their first requests
            run_wrk(wrk, server.url + path, token, WARM_UP_SECONDS, connections)
            server.wait_idle()
            durations[path] = run_seconds(seconds, time_one_request(server.url + path, token))
        for n in range(runs):  # alternately, the first one first and last in turn
            for path in (api, floor) if n % 2 == 0 else (floor, api):
                output = run_wrk(wrk, server.url + path, token, durations[path], connections)
                results[path].append(parse_wrk(output, url=server.url + path))
                # Requests wrk left unanswered at the end still run: let them finish first.
                server.wait_idle()
    api_runs, floor_runs = results[api], results[floor]
    value = statistics.median(r.requests_per_second for r in api_runs)
    floor_value = statistics.median(r.requests_per_second for r in floor_runs)
    return {
        "value": round(value, 2),
        "unit": "req/s",
        "floor": round(floor_value, 2),
        "ratio": round(floor_value / value, 2),
        "queries": queries,
        "floor_queries": floor_queries,
        "peak_mb": round(server.peak_kb / 1024, 1),
        "p50_ms": _median_of(api_runs, "p50_ms"),
        "p99_ms": _median_of(api_runs, "p99_ms"),
        "floor_p50_ms": _median_of(floor_runs, "p50_ms"),
        "floor_p99_ms": _median_of(floor_runs, "p99_ms"),
        "rows": rows,
        "runs": [r.requests_per_second for r in api_runs],
        "floor_runs": [r.requests_per_second for r in floor_runs],
        "requests": [r.requests for r in api_runs],
        "floor_requests": [r.requests for r in floor_runs],
        "run_seconds": durations[api],
        "floor_run_seconds": durations[floor],
        "gunicorn_pids": sorted(server.pids),
    }


def run_seconds(seconds: float, one_request: float) -> int:
    """The whole seconds of a run: `seconds`, or long enough for MIN_REQUESTS requests of
    `one_request` seconds on the workers, at most MAX_RUN_SECONDS."""
    wanted = max(1, round(seconds))
    enough = math.ceil(MIN_REQUESTS * one_request / WORKERS)
    return max(wanted, min(enough, MAX_RUN_SECONDS))


def time_one_request(url: str, token: str) -> float:
    """Seconds of one request alone (the faster of two) on an idle server."""
    times = []
    for _ in range(2):
        started = time.perf_counter()
        fetch_json(url, token)
        times.append(time.perf_counter() - started)
    return min(times)


def _median_of(results: list[WrkResult], name: str) -> float | None:
    values = [getattr(r, name) for r in results if getattr(r, name) is not None]
    return round(statistics.median(values), 2) if values else None


# --- Queries per request, in-process -------------------------------------------------------------


def queries_per_request(path: str, token: str) -> int:
    """The SQL queries of one GET of `path` with the token, in this process (the second of two:
    the first one warms up caches such as the content types)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(headers={"Authorization": f"Token {token}"})
    with override_settings(ROOT_URLCONF="bench.urls"):
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
    if response.status_code != 200:
        raise LoadTestError(
            f"GET {path} answered {response.status_code} in-process: {response.content[:300]!r}"
        )
    return len(captured.captured_queries)


# --- gunicorn ------------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    pids: set[int] = field(default_factory=set)
    peak_kb: int = 0

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def sample_memory(self) -> None:
        """Note the workers and the largest peak resident set (VmHWM) among them so far."""
        for pid in self.workers():
            self.pids.add(pid)
            self.peak_kb = max(self.peak_kb, vm_hwm_kb(pid))

    def wait_idle(self, timeout: float = 300.0) -> None:
        """Until the workers stop using CPU (the requests wrk abandoned are done), noting their
        memory on the way."""
        deadline = time.monotonic() + timeout
        before = self.cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(IDLE_INTERVAL)
            self.sample_memory()
            now = self.cpu_ticks()
            if all(now.get(pid, 0) - ticks <= 1 for pid, ticks in before.items()):
                return
            before = now
        raise LoadTestError(f"gunicorn's workers were still busy after {timeout:.0f} s")

    def cpu_ticks(self) -> dict[int, int]:
        """User + system CPU clock ticks of each worker."""
        ticks = {}
        for pid in self.workers():
            fields = _stat_fields(pid)
            if len(fields) > 12:
                ticks[pid] = int(fields[11]) + int(fields[12])
        return ticks

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def gunicorn() -> Iterator[Server]:
    """`gunicorn config.wsgi` with 2 sync workers on a free loopback port, answering; stopped
    (the whole process group) on the way out, whatever happens."""
    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="sitebill-gunicorn-"))
    log = scratch / "gunicorn.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--env",
        "DJANGO_SETTINGS_MODULE=bench.settings",
        "--chdir",
        str(ROOT),
        "--timeout",
        "120",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
        # gunicorn 27 opens a control socket at one path per user: two servers would collide.
        "--no-control-socket",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process=process, url=f"http://127.0.0.1:{port}", log=log)
    server.pids.add(process.pid)
    try:
        wait_until_answering(server)
        server.sample_memory()
        yield server
    finally:
        stop(server)
        shutil.rmtree(scratch, ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_answering(server: Server) -> None:
    """Until gunicorn answers any HTTP request (a worker has loaded the app), or fail."""
    host, port = server.url.removeprefix("http://").split(":")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise LoadTestError(
                f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            connection.request("GET", "/bench/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    raise LoadTestError(f"gunicorn did not answer in {START_TIMEOUT:.0f} s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    """TERM the process group, KILL it if it lingers, and check every process of it is gone."""
    server.pids.update(server.workers())
    group = server.process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        server.process.wait(timeout=STOP_TIMEOUT)
    deadline = time.monotonic() + STOP_TIMEOUT
    while alive(server.pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(server.pids):  # workers orphaned by a master that died first
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        time.sleep(0.2)
    if left := alive(server.pids):
        raise LoadTestError(f"gunicorn processes {left} are still running after the stop")


def children(pid: int) -> list[int]:
    """The child processes of `pid` (the gunicorn workers of a master)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:  # a kernel without CONFIG_PROC_CHILDREN: scan /proc for the parent id
        pids = (int(name) for name in os.listdir("/proc") if name.isdigit())
        return [p for p in pids if _stat_fields(p)[1:2] == [str(pid)]]


def _stat_fields(pid: int) -> list[str]:
    """State, parent id, ... of /proc/<pid>/stat (after the command name), or [] if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rsplit(")", 1)[1].split()


def alive(pids: set[int]) -> list[int]:
    """The processes among `pids` that still run (a zombie is not running)."""
    return sorted(pid for pid in pids if _stat_fields(pid)[:1] not in ([], ["Z"], ["X"]))


def vm_hwm_kb(pid: int) -> int:
    """Peak resident set size of a process in kB (VmHWM), 0 if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


# --- The answers, checked before any load --------------------------------------------------------


def fetch_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()[:300]
        raise LoadTestError(f"GET {url} answered {error.code}, not 200: {body!r}") from None


def check_answers(server: Server, *, api: str, floor: str, token: str) -> int:
    """Both URLs answer 200 with a full page of the same rows; the number of rows."""
    page = fetch_json(server.url + api, token)
    count, rows = page.get("count"), page.get("results")
    if not isinstance(rows, list) or not isinstance(count, int):
        raise LoadTestError(f"GET {api} did not answer a page: {str(page)[:300]}")
    if count == 0:
        raise LoadTestError(f"GET {api} lists no pay apps: nothing to measure")
    if len(rows) != min(count, PAGE_SIZE):
        raise LoadTestError(
            f"GET {api} gave {len(rows)} rows of {count}: page_size={PAGE_SIZE} is not honoured"
        )
    floor_rows = fetch_json(server.url + floor, token).get("results")
    if not isinstance(floor_rows, list) or len(floor_rows) != len(rows):
        raise LoadTestError(
            f"GET {floor} gave {len(floor_rows or [])} rows, the API {len(rows)}: not a floor"
        )
    for api_row, floor_row in zip(rows, floor_rows, strict=True):
        same = {name: api_row.get(name, "(missing)") for name in floor_row}
        if same != floor_row:
            raise LoadTestError(
                f"the floor's rows differ from the API's: {floor_row} against {same}"
            )
    return len(rows)


# --- wrk -----------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests_per_second: float
    requests: int
    p50_ms: float | None
    p99_ms: float | None
    output: str


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadTestError("wrk is not installed: run scripts/ensure-wrk (apt-get install wrk)")
    return path


def run_wrk(wrk: str, url: str, token: str, seconds: int, connections: int) -> str:
    """The report of one `wrk -t1 -c<connections> -d<seconds>s --latency` run."""
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "60s",
        "-H",
        f"Authorization: Token {token}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise LoadTestError(f"wrk exited with {done.returncode}:\n{output}")
    return output


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str, *, url: str = "") -> WrkResult:
    """Requests/sec, the request count and the 50%/99% latencies of wrk's report; fails on any
    non-2xx answer, connection error or timeout, or when no request completed."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    if rate is None or total is None:
        raise LoadTestError(f"wrk's report has no Requests/sec:\n{output}")
    if bad := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        raise LoadTestError(f"{url}: {bad.group(1)} answers were not 2xx/3xx:\n{output}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors and (int(errors.group(1)) or int(errors.group(4))):
        raise LoadTestError(f"{url}: connection errors or timeouts under load:\n{output}")
    if int(total.group(1)) == 0:
        raise LoadTestError(f"{url}: no request completed:\n{output}")

    def percentile(name: str) -> float | None:
        found = re.search(rf"^\s+{name}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        return float(found.group(1)) * _UNITS_MS[found.group(2)] if found else None

    return WrkResult(
        requests_per_second=float(rate.group(1)),
        requests=int(total.group(1)),
        p50_ms=percentile("50"),
        p99_ms=percentile("99"),
        output=output,
    )
