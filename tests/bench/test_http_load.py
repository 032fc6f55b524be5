"""The `project_list_api` figure under real HTTP load: gunicorn (a separate process) and wrk.

gunicorn reads a real database file, so the data is built and committed in a subprocess on a
throwaway SQLite database (bench settings), which then calls `measure_project_list_api` with
one short run and prints its result as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bench.http_load import LoadTestError, alive, parse_wrk

ROOT = Path(__file__).resolve().parents[2]


def _wrk_or_skip() -> None:
    """wrk, installed from Debian when missing (as root); a skip only when it cannot be."""
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        pytest.skip("wrk is missing and only root can install it: apt-get install wrk")
    subprocess.run([str(ROOT / "scripts" / "ensure-wrk")], check=True)


def build_and_measure() -> None:
    """In the subprocess: migrate, build a project with three billed pay apps through the
    services, measure, print the result."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from rest_framework.authtoken.models import Token

    from bench.http_load import measure_project_list_api
    from sitebill.billing.services.pay_apps import LineChange, pay_app_create, pay_app_lines_update
    from tests import factories

    # given a project with an admin, three commitments and their pay apps, one of them billed
    membership = factories.MembershipFactory()
    admin, project = membership.user, membership.project
    period = factories.BillingPeriodFactory(project=project)
    for n in range(3):
        commitment = factories.ContractFactory(project=project)
        factories.SOVLineFactory.create_batch(4 + n, contract=commitment)
        pay_app = pay_app_create(actor=admin, contract=commitment, billing_period=period)
        if n == 0:
            line = pay_app.lines.first()
            change = LineChange(line_id=line.pk, work_completed_this_period=Decimal("2500.00"))
            pay_app_lines_update(actor=admin, pay_app=pay_app, version=None, changes=[change])
    token = Token.objects.create(user=admin)

    # when
    result = measure_project_list_api(project_id=project.pk, token=token.key, seconds=1, runs=1)
    print(json.dumps(result))


def test_the_pay_app_list_is_measured_under_load_against_its_floor(tmp_path):
    _wrk_or_skip()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3",
        "BENCH_MEDIA_ROOT": str(tmp_path / "media"),
        "PYTHONPATH": str(ROOT),
    }
    program = "from tests.bench.test_http_load import build_and_measure; build_and_measure()"

    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    # then
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["unit"] == "req/s"
    assert result["value"] > 0
    assert result["floor"] > 0
    assert result["ratio"] == pytest.approx(result["floor"] / result["value"], rel=0.01)
    assert result["queries"] > 0
    assert result["floor_queries"] == 2  # the token and the rows
    assert result["rows"] == 3
    assert result["peak_mb"] > 0
    assert result["p50_ms"] > 0
    assert len(result["gunicorn_pids"]) == 3  # the master and its two workers
    assert alive(set(result["gunicorn_pids"])) == []


WRK_REPORT = """\
Running 5s test @ http://127.0.0.1:8811/api/v1/projects/1/pay-apps/?page_size=100
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    20.51ms    4.10ms  40.00ms   80.00%
    Req/Sec   374.20     30.11   410.00     70.00%
  Latency Distribution
     50%   20.50ms
     75%   22.00ms
     90%   25.00ms
     99%    1.20s
  1871 requests in 5.00s, 9.14MB read
Requests/sec:    374.10
Transfer/sec:      1.83MB
"""


def test_wrk_reports_are_read_with_their_units():
    # when
    result = parse_wrk(WRK_REPORT)

    # then
    assert result.requests_per_second == 374.10
    assert result.requests == 1871
    assert result.p50_ms == 20.5
    assert result.p99_ms == 1200.0


@pytest.mark.parametrize(
    "trouble",
    [
        "  Non-2xx or 3xx responses: 1871\n",
        "  Socket errors: connect 0, read 0, write 0, timeout 3\n",
    ],
)
def test_a_load_of_errors_is_no_figure(trouble):
    # given a report of answers that are not 2xx, or of timeouts
    report = WRK_REPORT.replace("Requests/sec:", trouble + "Requests/sec:")

    # when / then
    with pytest.raises(LoadTestError):
        parse_wrk(report)
