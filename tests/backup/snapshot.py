"""Everything a project's backup must bring back, as plain JSON data without database ids.

Computed by the real selectors (G702, every G703 row, ERP bills, payment totals, prefill
sources) and by reading the attachments' bytes from storage. The round-trip tests compute it
before the export and again, in another process, after the import into an empty database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from django.db.models import Model

from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.billing.models import BillingPeriod, Invite, PayApp, PayAppLine
from sitebill.billing.selectors import pay_app_figures, pay_app_with_lines
from sitebill.billing.services.attachments import attachment_content_type
from sitebill.billing.services.payments import payments_paid_totals
from sitebill.contracts.models import ChangeOrder, Contract
from sitebill.core.models import Event
from sitebill.erp.models import ErpExport
from sitebill.erp.selectors import erp_bill
from sitebill.upstream.selectors import source_uses


def project_snapshot(number: str) -> dict[str, Any]:
    project = Project.objects.select_related("contractor", "client").get(number=number)
    snapshot = {
        "project": _row(project, exclude={"contractor", "client"})
        | {"contractor": _company(project.contractor), "client": _company(project.client)},
        "memberships": sorted(
            (m.user.email, m.permission)
            for m in Membership.objects.filter(project=project).select_related("user")
        ),
        "contracts": [_contract(c) for c in Contract.objects.filter(project=project)],
        "billing_periods": [_row(p) for p in BillingPeriod.objects.filter(project=project)],
        "invites": sorted(
            (_invite(i) for i in Invite.objects.filter(contract__project=project)),
            key=lambda i: (i["contract"], i["billing_period"]),
        ),
        "pay_apps": {
            f"{p.contract.number} #{p.number}": _pay_app(p)
            for p in PayApp.objects.filter(contract__project=project).select_related("contract")
        },
        "erp_exports": [
            _row(e) | {"pay_apps": sorted(_name(p) for p in e.pay_apps.all())}
            for e in ErpExport.objects.filter(project=project).order_by("created_at", "id")
        ],
        "events": _events(project),
        "users": {u.email: _user(u) for u in _users_of(project)},
    }
    return json.loads(json.dumps(snapshot, default=str))


def _row(obj: Model, *, exclude: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    """The object's own fields; a foreign key as the related object's name, never an id."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.name in exclude:
            continue
        if field.is_relation:
            related = getattr(obj, field.name)
            out[field.name] = _name(related) if related is not None else None
        else:
            out[field.name] = getattr(obj, field.attname)
    return out


def _name(obj: Any) -> str:
    if isinstance(obj, User):
        return obj.email
    if isinstance(obj, Company):
        return f"{obj.name} ({obj.kind})"
    if isinstance(obj, Project):
        return obj.number
    if isinstance(obj, Contract):
        return obj.number
    if isinstance(obj, BillingPeriod):
        return f"period {obj.number}"
    if isinstance(obj, PayApp):
        return f"{obj.contract.number} #{obj.number}"
    if isinstance(obj, ChangeOrder):
        return f"{obj.contract.number} CO {obj.number}"
    if isinstance(obj, Invite):
        return f"invite {obj.contract.number} period {obj.billing_period.number}"
    if isinstance(obj, Membership):
        return f"membership of {obj.user.email}"
    if isinstance(obj, ErpExport):
        return f"{obj.format} export of {obj.created_at.isoformat()}"
    if isinstance(obj, PayAppLine):
        return f"{_name(obj.pay_app)} line {obj.item_number}"
    return f"{type(obj).__name__} {obj}"


def _company(company: Company | None) -> str | None:
    return _name(company) if company else None


def _contract(contract: Contract) -> dict[str, Any]:
    return _row(contract) | {
        "contacts": sorted(u.email for u in contract.contacts.all()),
        "distribution": sorted(u.email for u in contract.distribution.all()),
        "private_viewers": sorted(u.email for u in contract.private_viewers.all()),
        "lines": [_row(line, exclude={"contract"}) for line in contract.lines.all()],
        "change_orders": [
            _row(co, exclude={"contract"})
            | {"lines": [_row(line, exclude={"change_order"}) for line in co.lines.all()]}
            for co in contract.change_orders.all()
        ],
    }


def _invite(invite: Invite) -> dict[str, Any]:
    return _row(invite)


def _pay_app(pay_app: PayApp) -> dict[str, Any]:
    figures = pay_app_figures(pay_app_with_lines(pay_app.pk))
    rows = []
    for row in figures.rows:
        line = row.line
        rows.append(
            {
                "line": _row(line, exclude={"pay_app", "sov_line", "change_order_line"})
                | {
                    "sov_line": line.sov_line.item_number if line.sov_line else None,
                    "change_order_line": (
                        f"CO {line.change_order_line.change_order.number} "
                        f"{line.change_order_line.item_number}"
                        if line.change_order_line
                        else None
                    ),
                },
                "g703": row.result._asdict(),
            }
        )
    # `summary` is a cache of the G702 (sitebill/billing/summaries.py), not backed up: a restored
    # pay app's lists compute it from the lines, and the G702 itself is compared just below.
    out = _row(pay_app, exclude={"summary"}) | {
        "g702": dataclasses.asdict(figures.g702),
        "g703_totals": dataclasses.asdict(figures.totals),
        "g703_rows": rows,
        "warnings": figures.warnings,
        "payments": [_row(p, exclude={"pay_app"}) for p in pay_app.payments.all()],
        "paid_total": payments_paid_totals([pay_app.pk])[pay_app.pk],
        "attachments": [_attachment(a) for a in pay_app.attachments.order_by("created_at")],
        "sources": [
            {"source": _name(use.source), "version": use.version_used, "changed": use.changed}
            for use in source_uses(pay_app)
        ],
    }
    if pay_app.contract.is_commitment and pay_app.is_approved:
        bill = dataclasses.asdict(erp_bill(pay_app))
        bill.pop("pay_app_id")
        out["erp_bill"] = bill
    return out


def _attachment(attachment: Any) -> dict[str, Any]:
    with attachment.file.open("rb") as file:
        content = file.read()
    return {
        "name": attachment.name,
        "extension": attachment.file.name.rsplit(".", 1)[-1],
        "content_type": attachment_content_type(attachment),
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "uploaded_by": attachment.uploaded_by.email,
        "created_at": attachment.created_at,
    }


def _events(project: Project) -> list[dict[str, Any]]:
    """The project's history in order; a target by its name ("gone #n" once deleted, the same
    n for every event of the same deleted object)."""
    models: dict[str, type[Model]] = {
        "project": Project,
        "membership": Membership,
        "contract": Contract,
        "changeorder": ChangeOrder,
        "billingperiod": BillingPeriod,
        "invite": Invite,
        "payapp": PayApp,
        "erpexport": ErpExport,
        "company": Company,
        "user": User,
    }
    gone: dict[tuple[str, int], int] = {}
    out = []
    for event in Event.objects.filter(project=project).select_related("actor"):
        model = models.get(event.target_type)
        target = model._default_manager.filter(pk=event.target_id).first() if model else None
        if target is None:
            ordinal = gone.setdefault((event.target_type, event.target_id), len(gone) + 1)
            described = f"{event.target_type} gone #{ordinal}"
        else:
            described = _name(target)
        out.append(
            {
                "created_at": event.created_at,
                "actor": event.actor.email if event.actor else None,
                "target": described,
                "action": event.action,
                "changes": event.changes,
                "reason": event.reason,
            }
        )
    return out


def _users_of(project: Project) -> list[User]:
    emails = {m.user.email for m in Membership.objects.filter(project=project)}
    for contract in Contract.objects.filter(project=project):
        emails.update(u.email for u in contract.contacts.all())
    return list(User.objects.filter(email__in=emails).order_by("email"))


def _user(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "company": _company(user.company),
        "is_company_admin": user.is_company_admin,
        "is_active": user.is_active,
        "date_joined": user.date_joined,
        "password": user.password if user.has_usable_password() else "(unusable)",
    }
