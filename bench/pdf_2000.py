"""How long the G702/G703 PDF of a 2,000-line pay app takes, against a bare ReportLab floor.

    .venv/bin/python bench/pdf_2000.py [--lines 2000] [--runs 5] [--out /tmp/x.pdf]

Builds, on a throwaway SQLite database (config.settings.test, migrated here), a commitment with
`--lines` SOV lines (bulk-created) and its pay app through the services: created, every line
billed (some with stored materials), submitted, reviewed with five lines rejected (so the
Reasons for Difference page is drawn too). Then prints:
- the median of `--runs` renders of the full PDF (`render_pay_app_pdf`, figures loaded once);
- the floor: the median of a bare `LongTable(repeatRows=2)` of the same G703 cells as plain
  strings, no G702, no page header or footer, no "Page n of N" (bench.figures.bare_long_table,
  the floor of `make bench`'s pdf_2000 figure, which measures the same PDF through the API on
  the large project; this script is the quick stand-alone check);
- their ratio, the page count and size of the PDF, and the peak Python memory of one full
  render (tracemalloc).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", help="also write the PDF here")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="sitebill-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch.name}/bench.sqlite3"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    started = time.perf_counter()
    pay_app_id = build_pay_app(args.lines)
    print(
        f"built a {args.lines}-line pay app through the services in "
        f"{time.perf_counter() - started:.1f} s"
    )

    from sitebill.billing.selectors import pay_app_figures, pay_app_with_lines
    from sitebill.documents.pdf import render_pay_app_pdf

    pay_app = pay_app_with_lines(pay_app_id)
    contract = pay_app.contract
    project = contract.project
    project.contractor  # noqa: B018 (loaded once, like the view does)
    figures = pay_app_figures(pay_app)

    def full() -> bytes:
        return render_pay_app_pdf(
            figures, project=project, contract=contract, period=pay_app.billing_period
        )

    pdf = full()  # warm up (fonts, imports)
    full_times = timed(full, args.runs)
    floor_times = timed(lambda: bare_long_table(figures), args.runs)

    tracemalloc.start()
    full()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    report("full PDF   ", full_times)
    report("bare table ", floor_times)
    for kind in ("wall", "cpu"):
        ratio = statistics.median(full_times[kind]) / statistics.median(floor_times[kind])
        print(f"ratio {kind:5}: {ratio:.2f}x the floor")
    print(f"document   : {pages} pages, {len(pdf) / 1024:.0f} KB")
    print(f"peak memory: {peak / 1024 / 1024:.1f} MB (tracemalloc, one full render)")
    if args.out:
        Path(args.out).write_bytes(pdf)
        print(f"wrote {args.out}")
    scratch.cleanup()


def timed(render, runs: int) -> dict[str, list[float]]:
    """Wall-clock and CPU seconds of each run (CPU time is steadier on a busy machine)."""
    times: dict[str, list[float]] = {"wall": [], "cpu": []}
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        render()
        times["wall"].append(time.perf_counter() - wall)
        times["cpu"].append(time.process_time() - cpu)
    return times


def report(label: str, times: dict[str, list[float]]) -> None:
    for kind, values in times.items():
        runs = ", ".join(f"{value:.3f}" for value in values)
        print(f"{label}: {kind:4} median {statistics.median(values):.3f} s ({runs})")


def build_pay_app(count: int) -> int:
    """A commitment of `count` lines and its pay app, built as users would (services)."""
    import datetime as dt

    from sitebill.accounts.models import Company, Membership, Project, User
    from sitebill.billing.models import BillingPeriod, PayAppLine
    from sitebill.billing.services.pay_apps import (
        LineChange,
        LineReview,
        pay_app_create,
        pay_app_lines_update,
        pay_app_review,
        pay_app_submit,
    )
    from sitebill.contracts.models import Contract, SOVLine

    contractor = Company.objects.create(name="Summit Builders", kind=Company.Kind.CONTRACTOR)
    vendor = Company.objects.create(name="Acme Concrete", kind=Company.Kind.VENDOR)
    project = Project.objects.create(
        name="Riverside Clinic",
        number="P-0001",
        address="1200 River Road, Springfield",
        contractor=contractor,
    )
    admin = User.objects.create_user("admin@summit.example", "x", company=contractor)
    contact = User.objects.create_user("billing@acme.example", "x", company=vendor)
    Membership.objects.create(user=admin, project=project, permission="admin")
    commitment = Contract.objects.create(
        project=project,
        kind=Contract.Kind.SUBCONTRACT,
        number="SC-001",
        title="Concrete",
        counterparty=vendor,
        status=Contract.Status.APPROVED,
        executed=True,
        retainage_work_percent=Decimal("10"),
        retainage_stored_percent=Decimal("5"),
    )
    commitment.contacts.add(contact)
    SOVLine.objects.bulk_create(
        SOVLine(
            contract=commitment,
            position=n,
            item_number=f"{n + 1}",
            cost_code=f"03-{n % 900 + 100}",
            description=describe(n),
            scheduled_value=Decimal(10000 + (n * 7919) % 90000) + Decimal("0.25") * (n % 4),
        )
        for n in range(count)
    )
    period = BillingPeriod.objects.create(
        project=project,
        number=1,
        start_date=dt.date(2026, 11, 1),
        end_date=dt.date(2026, 11, 30),
        due_date=dt.date(2099, 12, 31),
    )
    pay_app = pay_app_create(
        actor=admin,
        contract=commitment,
        billing_period=period,
        on_behalf_of=contact,
        invoice_number="INV-1042",
        billing_date=dt.date(2026, 11, 30),
    )
    lines = list(pay_app.lines.order_by("position", "id"))
    changes = [
        LineChange(
            line_id=line.pk,
            work_completed_this_period=(line.scheduled_value * Decimal(n % 10) / 10).quantize(
                Decimal("0.01")
            ),
            materials_presently_stored=Decimal("500.00") if n % 7 == 0 else None,
        )
        for n, line in enumerate(lines)
    ]
    pay_app_lines_update(actor=contact, pay_app=pay_app, version=None, changes=changes)
    pay_app_submit(actor=contact, pay_app=pay_app)
    pay_app_review(
        actor=admin,
        pay_app=pay_app,
        version=None,
        status="revise_and_resubmit",
        comment="Five lines are billed ahead of the work in place.",
        lines=[
            LineReview(
                line_id=line.pk,
                status=PayAppLine.ReviewStatus.REJECTED,
                reason="Work not in place at the site walk on Nov 28; bill it next period.",
            )
            for line in lines[1:6]
        ],
    )
    return pay_app.pk


def describe(n: int) -> str:
    if n % 25 == 3:
        return (
            f"Line {n + 1}: cast-in-place concrete for the level {n % 9 + 1} elevated deck, "
            "including formwork, reinforcing, embeds, pour, finish and cure, per drawings "
            "S-201 to S-214 and specification 03 30 00"
        )
    return f"Line {n + 1}: concrete work, area {n % 40 + 1}"


def bare_long_table(figures) -> bytes:
    """The floor (shared with `make bench`'s pdf_2000 figure, bench/figures.py)."""
    from bench.figures import bare_long_table as table
    from bench.figures import g703_cells

    return table(g703_cells(figures))


if __name__ == "__main__":
    main()
