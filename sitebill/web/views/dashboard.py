"""My billing: a payment application contact's Invites to Bill and pay apps, across projects.

Only the commitments the user is a contact of count here (`invites_for_contact`, and pay apps of
those commitments within `pay_apps_for_user`): a member of a project sees its pay apps in the
project's Progress Billings tool and pay app list, and here an empty state that says what this
page is for. Amounts are the G702 current payment due (line 8), computed from prefetched lines
(`figures_for_lines`), so the page costs the same number of queries however many rows it has.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sitebill.accounts.access import pay_apps_for_user
from sitebill.billing.models import Invite, PayApp, PayAppLine
from sitebill.billing.selectors import figures_for_lines
from sitebill.billing.services.invites import invites_for_contact
from sitebill.contracts.models import Contract

PAY_APPS_PER_PAGE = 100


@require_GET
@login_required
def contact_dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    is_a_contact = Contract.objects.filter(
        contacts=user, kind__in=Contract.COMMITMENT_KINDS
    ).exists()
    invites = list(invites_for_contact(user).select_related("contract__counterparty"))
    existing = {
        (p.contract_id, p.billing_period_id): p
        for p in PayApp.objects.filter(
            contract_id__in={i.contract_id for i in invites},
            billing_period_id__in={i.billing_period_id for i in invites},
        )
    }
    invite_rows = [
        {
            "invite": invite,
            "pending": invite.status == Invite.Status.INVITED,
            "pay_app": existing.get((invite.contract_id, invite.billing_period_id)),
            "can_create": invite.status == Invite.Status.ACCEPTED
            and invite.billing_period.is_open
            and (invite.contract_id, invite.billing_period_id) not in existing,
        }
        for invite in invites
    ]
    pay_apps = (
        pay_apps_for_user(user)
        .filter(contract__contacts=user, contract__kind__in=Contract.COMMITMENT_KINDS)
        .select_related("contract", "contract__project", "contract__counterparty", "billing_period")
        .prefetch_related(Prefetch("lines", queryset=PayAppLine.objects.order_by("position", "id")))
        .order_by("-billing_period__start_date", "contract__project__name", "contract__number")
    )
    page = Paginator(pay_apps, PAY_APPS_PER_PAGE).get_page(request.GET.get("page"))
    pay_app_rows: list[dict[str, Any]] = []
    for pay_app in page.object_list:
        figures = figures_for_lines(pay_app, list(pay_app.lines.all()))
        pay_app_rows.append({"pay_app": pay_app, "amount_due": figures.g702.current_payment_due})
    return render(
        request,
        "web/dashboard/contact.html",
        {
            "nav": "billing",
            "is_a_contact": is_a_contact,
            "invite_rows": invite_rows,
            "pay_app_rows": pay_app_rows,
            "page_obj": page,
        },
    )
