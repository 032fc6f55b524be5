"""The per-line figures of a prefill's sources are computed once per state of each source, and a
source that changed (even back to the same version after a rolled-back edit) is computed again."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from sitebill.billing.models import PayApp
from sitebill.billing.services.pay_apps import LineChange, pay_app_lines_update
from sitebill.upstream.selectors import _with_lines, contributions_of
from tests.upstream.builders import lines_of, progress_billing


def _work(pay_app: PayApp) -> list[Decimal]:
    loaded = list(_with_lines(PayApp.objects.filter(pk=pay_app.pk)))
    return [c.work_completed_this_period for c in contributions_of(loaded)]


def _edit(world, pay_app: PayApp, amount: str) -> None:
    first = lines_of(pay_app)[0]
    pay_app_lines_update(
        actor=world.admin,
        pay_app=PayApp.objects.get(pk=pay_app.pk),
        version=None,
        changes=[LineChange(line_id=first.pk, work_completed_this_period=Decimal(amount))],
    )


def test_a_source_edit_that_was_rolled_back_does_not_leave_its_figures_behind(world):
    # given a source whose first line bills 1,000.00
    source = progress_billing(
        world, world.commitment, {"03-300": ("1000.00", "0.00")}, status="draft"
    )
    assert _work(source)[0] == Decimal("1000.00")
    # when an edit to 2,000.00 is read inside a transaction that then rolls back
    with pytest.raises(RuntimeError), transaction.atomic():
        _edit(world, source, "2000.00")
        assert _work(source)[0] == Decimal("2000.00")
        raise RuntimeError("the request failed after reading the figures")
    # and another edit takes the source to the same version with 3,000.00
    _edit(world, source, "3000.00")
    # then the figures are those of the committed edit
    assert _work(source)[0] == Decimal("3000.00")


def test_an_unchanged_source_reads_the_same_figures_twice(world):
    source = progress_billing(world, world.commitment, {"03-300": ("1250.00", "0.00")})
    assert _work(source) == _work(source)
