"""Export one project to the backup format of FORMAT.md.

Invariants:
- One consistent snapshot: everything is read in one transaction (REPEATABLE READ, read only on
  PostgreSQL; SQLite's IMMEDIATE transaction keeps writers out meanwhile), so a pay app cannot
  be exported with the lines of one moment and the events of another.
- References are natural keys (company name and kind, user email, contract number, period
  number, pay app (contract, number), line index), never database ids, so the import may give
  every row a new id.
- Money, rates and quantities are decimal strings exactly as stored; dates and datetimes ISO
  8601 (datetimes with their UTC offset).
- Nothing is left out silently: an attachment whose file is missing from storage refuses the
  export, naming it.
- Memory stays proportional to one pay app (with its attachments) plus the id -> natural key
  maps: the document is written piece by piece, events are read with `.iterator()`.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.backup import (
    ATTACHMENT_FIELDS,
    BILLING_PERIOD_FIELDS,
    CHANGE_ORDER_FIELDS,
    CHANGE_ORDER_LINE_FIELDS,
    COMPANY_FIELDS,
    CONTRACT_FIELDS,
    ERP_EXPORT_FIELDS,
    EVENT_FIELDS,
    FORMAT_NAME,
    FORMAT_VERSION,
    INVITE_FIELDS,
    MEMBERSHIP_FIELDS,
    PAY_APP_FIELDS,
    PAY_APP_LINE_FIELDS,
    PAY_APP_SOURCE_FIELDS,
    PAYMENT_FIELDS,
    PROJECT_FIELDS,
    SOV_LINE_FIELDS,
    USER_FIELDS,
)
from sitebill.billing.models import (
    Attachment,
    BillingPeriod,
    Invite,
    PayApp,
    PayAppLine,
    PayAppSource,
    Payment,
)
from sitebill.billing.services.attachments import attachment_content_type
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine
from sitebill.core.exceptions import NotFound, ValidationFailed
from sitebill.core.models import Event
from sitebill.erp.models import ErpExport

Key = tuple[str, int]


def project_export(*, project: Project, with_password_hashes: bool = False) -> dict[str, Any]:
    """The whole backup document of `project` as a dict (for tests and small projects)."""
    with _consistent_read():
        exporter = _Exporter(project, with_password_hashes=with_password_hashes)
        return {
            key: list(value) if isinstance(value, Iterator) else value
            for key, value in exporter.sections()
        }


def project_export_write(
    *, project: Project, stream: IO[str], with_password_hashes: bool = False
) -> dict[str, int]:
    """Write the backup document of `project` to a text stream; returns what it counted."""
    with _consistent_read():
        exporter = _Exporter(project, with_password_hashes=with_password_hashes)
        _write_document(stream, exporter.sections())
    return dict(exporter.counts)


def project_export_to_file(
    *, number: str, path: str | Path, with_password_hashes: bool = False
) -> dict[str, int]:
    """Export project `number` to `path` (gzip-compressed when it ends in `.gz`).

    The file appears whole or not at all: it is written next to `path` under a temporary name
    and renamed once complete.
    """
    project = Project.objects.filter(number=number).first()
    if project is None:
        raise NotFound(f"There is no project {number}: nothing was exported.")
    target = Path(path)
    if not target.parent.is_dir():
        raise ValidationFailed(
            f"There is no folder {target.parent}: nothing was exported.", code="export_refused"
        )
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(handle)
    try:
        opener = gzip.open if target.name.endswith(".gz") else open
        with opener(partial, "wt", encoding="utf-8") as stream:
            counts = project_export_write(
                project=project, stream=stream, with_password_hashes=with_password_hashes
            )
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return counts


def project_events(project: Project) -> QuerySet[Event]:
    """Every Event of `project`: recorded on it, or on one of its objects without a project.

    Events on companies and users recorded without a project belong to no one project and are
    not part of its backup (FORMAT.md).
    """
    owned: dict[str, QuerySet[Any]] = {
        "project": Project.objects.filter(pk=project.pk),
        "membership": Membership.objects.filter(project=project),
        "contract": Contract.objects.filter(project=project),
        "sovline": SOVLine.objects.filter(contract__project=project),
        "changeorder": ChangeOrder.objects.filter(contract__project=project),
        "changeorderline": ChangeOrderLine.objects.filter(change_order__contract__project=project),
        "billingperiod": BillingPeriod.objects.filter(project=project),
        "invite": Invite.objects.filter(contract__project=project),
        "payapp": PayApp.objects.filter(contract__project=project),
        "payappline": PayAppLine.objects.filter(pay_app__contract__project=project),
        "payappsource": PayAppSource.objects.filter(client_pay_app__contract__project=project),
        "payment": Payment.objects.filter(pay_app__contract__project=project),
        "attachment": Attachment.objects.filter(pay_app__contract__project=project),
        "erpexport": ErpExport.objects.filter(project=project),
    }
    of_objects = Q()
    for target_type, queryset in owned.items():
        of_objects |= Q(target_type=target_type, target_id__in=queryset.values("pk"))
    return Event.objects.filter(Q(project=project) | (Q(project__isnull=True) & of_objects))


# --------------------------------------------------------------------------------------------


@contextmanager
def _consistent_read() -> Iterator[None]:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _fields(obj: Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in names}


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(f"{message} Nothing was exported.", code="export_refused")


class _Exporter:
    """Builds the sections in document order. Later sections (pay app lines, events) refer to
    objects of earlier ones through `keys`, filled as those are written."""

    def __init__(self, project: Project, *, with_password_hashes: bool) -> None:
        self.project = project
        self.with_password_hashes = with_password_hashes
        self.keys: dict[Key, dict[str, Any]] = {("project", project.pk): {}}
        self.emails: dict[int, str] = {}
        self.companies: dict[int, dict[str, str]] = {}
        self.counts: dict[str, int] = {}

    def sections(self) -> Iterator[tuple[str, Any]]:
        project = self.project
        users = list(User.objects.filter(pk__in=self._user_ids()).order_by("email", "pk"))
        company_ids = self._company_ids() | {u.company_id for u in users if u.company_id}
        companies = list(Company.objects.filter(pk__in=company_ids).order_by("name", "kind", "pk"))
        company_entries = [self._company(company) for company in companies]
        user_entries = [self._user(user) for user in users]
        yield "format", FORMAT_NAME
        yield "version", FORMAT_VERSION
        yield "exported_at", _plain(timezone.now())
        yield (
            "project",
            {
                **_fields(project, PROJECT_FIELDS),
                "contractor": self.companies[project.contractor_id],
                "client": self.companies[project.client_id] if project.client_id else None,
            },
        )
        yield "companies", company_entries
        yield "users", user_entries
        yield "memberships", self._memberships()
        yield "contracts", self._contracts()
        yield "billing_periods", self._billing_periods()
        yield "invites", self._invites()
        yield "pay_apps", self._pay_apps()
        yield "erp_exports", self._erp_exports()
        yield "events", self._events()

    def _count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    # --- who ----------------------------------------------------------------------------------

    def _user_ids(self) -> set[int]:
        project = self.project
        contracts = Contract.objects.filter(project=project)
        pay_apps = PayApp.objects.filter(contract__project=project)
        id_lists: list[Iterable[int | None]] = [
            Membership.objects.filter(project=project).values_list("user_id", flat=True),
            Invite.objects.filter(contract__in=contracts).values_list("sent_by_id", flat=True),
            Invite.objects.filter(contract__in=contracts).values_list("responded_by_id", flat=True),
            pay_apps.values_list("created_by_id", flat=True),
            pay_apps.values_list("on_behalf_of_id", flat=True),
            Payment.objects.filter(pay_app__in=pay_apps).values_list("recorded_by_id", flat=True),
            Attachment.objects.filter(pay_app__in=pay_apps).values_list(
                "uploaded_by_id", flat=True
            ),
            ErpExport.objects.filter(project=project).values_list("created_by_id", flat=True),
            ErpExport.objects.filter(project=project).values_list("decided_by_id", flat=True),
            project_events(project).values_list("actor_id", flat=True),
            project_events(project).filter(target_type="user").values_list("target_id", flat=True),
        ]
        for relation in (Contract.contacts, Contract.distribution, Contract.private_viewers):
            through = relation.through
            id_lists.append(
                through.objects.filter(contract__project=project).values_list("user_id", flat=True)
            )
        return {pk for ids in id_lists for pk in ids if pk is not None}

    def _company_ids(self) -> set[int]:
        project = self.project
        ids: set[int | None] = {project.contractor_id, project.client_id}
        ids.update(
            Contract.objects.filter(project=project).values_list("counterparty_id", flat=True)
        )
        ids.update(
            project_events(project)
            .filter(target_type="company")
            .values_list("target_id", flat=True)
        )
        return {pk for pk in ids if pk is not None}

    def _company(self, company: Company) -> dict[str, Any]:
        key = {"name": company.name, "kind": company.kind}
        if key in self.companies.values():
            raise _refused(
                f"Two {company.kind} companies are named '{company.name}': a backup refers to "
                "companies by name and kind, so rename one of them first."
            )
        self.companies[company.pk] = key
        self.keys["company", company.pk] = dict(key)
        self._count("companies")
        return _fields(company, COMPANY_FIELDS)

    def _user(self, user: User) -> dict[str, Any]:
        self.emails[user.pk] = user.email
        self.keys["user", user.pk] = {"email": user.email}
        entry = {
            **_fields(user, USER_FIELDS),
            "company": self.companies[user.company_id] if user.company_id else None,
        }
        if self.with_password_hashes:
            entry["password"] = user.password
        self._count("users")
        return entry

    def _email(self, user_id: int | None) -> str | None:
        return None if user_id is None else self.emails[user_id]

    def _memberships(self) -> list[dict[str, Any]]:
        out = []
        for membership in Membership.objects.filter(project=self.project).order_by("pk"):
            email = self.emails[membership.user_id]
            self.keys["membership", membership.pk] = {"user": email}
            out.append({"user": email, **_fields(membership, MEMBERSHIP_FIELDS)})
        return out

    # --- contracts ----------------------------------------------------------------------------

    def _contracts(self) -> Iterator[dict[str, Any]]:
        contracts = Contract.objects.filter(project=self.project).order_by("number", "pk")
        for contract in contracts.iterator(chunk_size=100):
            number = contract.number
            self.keys["contract", contract.pk] = {"contract": number}
            lines = []
            for line in contract.lines.order_by("position", "pk"):
                self.keys["sovline", line.pk] = {
                    "contract": number,
                    "item_number": line.item_number,
                }
                lines.append(_fields(line, SOV_LINE_FIELDS))
            change_orders = []
            for change_order in contract.change_orders.order_by("created_at", "pk"):
                co = change_order.number
                self.keys["changeorder", change_order.pk] = {"contract": number, "change_order": co}
                co_lines = []
                for index, co_line in enumerate(change_order.lines.order_by("pk")):
                    self.keys["changeorderline", co_line.pk] = {
                        "contract": number,
                        "change_order": co,
                        "line": index,
                    }
                    co_lines.append(_fields(co_line, CHANGE_ORDER_LINE_FIELDS))
                change_orders.append(
                    {**_fields(change_order, CHANGE_ORDER_FIELDS), "lines": co_lines}
                )
            self._count("contracts")
            yield {
                **_fields(contract, CONTRACT_FIELDS),
                "counterparty": self.companies[contract.counterparty_id],
                "contacts": self._emails_of(contract.contacts.all()),
                "distribution": self._emails_of(contract.distribution.all()),
                "private_viewers": self._emails_of(contract.private_viewers.all()),
                "lines": lines,
                "change_orders": change_orders,
            }

    def _emails_of(self, users: QuerySet[User]) -> list[str]:
        return sorted(self.emails[pk] for pk in users.values_list("pk", flat=True))

    def _billing_periods(self) -> Iterator[dict[str, Any]]:
        for period in BillingPeriod.objects.filter(project=self.project).order_by("number"):
            self.keys["billingperiod", period.pk] = {"billing_period": period.number}
            yield _fields(period, BILLING_PERIOD_FIELDS)

    def _invites(self) -> Iterator[dict[str, Any]]:
        invites = (
            Invite.objects.filter(contract__project=self.project)
            .select_related("contract", "billing_period")
            .order_by("contract__number", "billing_period__number")
        )
        for invite in invites:
            key = {
                "contract": invite.contract.number,
                "billing_period": invite.billing_period.number,
            }
            self.keys["invite", invite.pk] = key
            yield {
                **key,
                **_fields(invite, INVITE_FIELDS),
                "sent_by": self._email(invite.sent_by_id),
                "responded_by": self._email(invite.responded_by_id),
            }

    # --- pay apps -----------------------------------------------------------------------------

    def _pay_apps(self) -> Iterator[dict[str, Any]]:
        pay_apps = (
            PayApp.objects.filter(contract__project=self.project)
            .select_related("contract", "billing_period")
            .order_by("contract__number", "number")
        )
        for pay_app in pay_apps.iterator(chunk_size=50):
            contract, number = pay_app.contract.number, pay_app.number
            key = {"contract": contract, "number": number}
            self.keys["payapp", pay_app.pk] = key
            self._count("pay_apps")
            yield {
                **key,
                "billing_period": pay_app.billing_period.number,
                **_fields(pay_app, PAY_APP_FIELDS),
                "created_by": self._email(pay_app.created_by_id),
                "on_behalf_of": self._email(pay_app.on_behalf_of_id),
                "lines": self._lines(pay_app, key),
                "sources": self._sources(pay_app, key),
                "payments": self._payments(pay_app, key),
                "attachments": self._attachments(pay_app, key),
            }

    def _lines(self, pay_app: PayApp, key: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for index, line in enumerate(pay_app.lines.order_by("position", "pk")):
            self.keys["payappline", line.pk] = {**key, "line": index}
            sov_line = None
            if line.sov_line_id is not None:
                sov_key = self._key_in_contract("sovline", line.sov_line_id, key, line)
                sov_line = sov_key["item_number"]
            co_line = None
            if line.change_order_line_id is not None:
                co_key = self._key_in_contract(
                    "changeorderline", line.change_order_line_id, key, line
                )
                co_line = {"change_order": co_key["change_order"], "line": co_key["line"]}
            out.append(
                {
                    **_fields(line, PAY_APP_LINE_FIELDS),
                    "sov_line": sov_line,
                    "change_order_line": co_line,
                }
            )
        return out

    def _key_in_contract(
        self, kind: str, pk: int, pay_app_key: dict[str, Any], line: PayAppLine
    ) -> dict[str, Any]:
        found = self.keys.get((kind, pk))
        if found is None or found["contract"] != pay_app_key["contract"]:
            raise _refused(
                f"Line {line.item_number} of {pay_app_key['contract']} pay app "
                f"#{pay_app_key['number']} refers to a {kind} of another contract."
            )
        return found

    def _sources(self, pay_app: PayApp, key: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        sources = pay_app.sources.select_related("source__contract").order_by("pk")
        for index, source in enumerate(sources):
            if source.source.contract.project_id != self.project.pk:
                raise _refused(
                    f"{key['contract']} pay app #{key['number']} was prefilled from a "
                    "pay app of another project."
                )
            self.keys["payappsource", source.pk] = {**key, "source": index}
            out.append(
                {
                    "source": {
                        "contract": source.source.contract.number,
                        "number": source.source.number,
                    },
                    **_fields(source, PAY_APP_SOURCE_FIELDS),
                }
            )
        return out

    def _payments(self, pay_app: PayApp, key: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for index, payment in enumerate(pay_app.payments.order_by("date", "pk")):
            self.keys["payment", payment.pk] = {**key, "payment": index}
            out.append(
                {
                    **_fields(payment, PAYMENT_FIELDS),
                    "recorded_by": self._email(payment.recorded_by_id),
                }
            )
        self._count("payments", len(out))
        return out

    def _attachments(self, pay_app: PayApp, key: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for index, attachment in enumerate(pay_app.attachments.order_by("pk")):
            self.keys["attachment", attachment.pk] = {**key, "attachment": index}
            try:
                with attachment.file.open("rb") as file:
                    content = file.read()
            except (FileNotFoundError, ValueError):
                raise _refused(
                    f"The file of attachment '{attachment.name}' on {key['contract']} pay app "
                    f"#{key['number']} is missing from storage ({attachment.file.name})."
                ) from None
            out.append(
                {
                    **_fields(attachment, ATTACHMENT_FIELDS),
                    "uploaded_by": self._email(attachment.uploaded_by_id),
                    "file": attachment.file.name,
                    "content_type": attachment_content_type(attachment),
                    "size": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "content": base64.b64encode(content).decode("ascii"),
                }
            )
        self._count("attachments", len(out))
        return out

    # --- ERP, events --------------------------------------------------------------------------

    def _erp_exports(self) -> Iterator[dict[str, Any]]:
        exports = ErpExport.objects.filter(project=self.project).order_by("created_at", "pk")
        for index, export in enumerate(exports.iterator(chunk_size=50)):
            self.keys["erpexport", export.pk] = {"erp_export": index}
            pay_apps = []
            for pay_app_id in export.pay_apps.order_by("pk").values_list("pk", flat=True):
                pay_app_key = self.keys.get(("payapp", pay_app_id))
                if pay_app_key is None:
                    raise _refused(f"ERP export {export.pk} holds a pay app of another project.")
                pay_apps.append(pay_app_key)
            yield {
                **_fields(export, ERP_EXPORT_FIELDS),
                "created_by": self._email(export.created_by_id),
                "decided_by": self._email(export.decided_by_id),
                "pay_apps": sorted(pay_apps, key=lambda k: (k["contract"], k["number"])),
            }

    def _events(self) -> Iterator[dict[str, Any]]:
        events = project_events(self.project).order_by("created_at", "pk")
        for event in events.iterator(chunk_size=500):
            self._count("events")
            key = self.keys.get((event.target_type, event.target_id))
            target = (
                {"type": event.target_type, **key}
                if key is not None
                else {"type": event.target_type, "missing": True, "source_id": event.target_id}
            )
            yield {
                **_fields(event, EVENT_FIELDS),
                "actor": self._email(event.actor_id),
                "on_project": event.project_id is not None,
                "target": target,
            }


# --------------------------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _write_document(stream: IO[str], sections: Iterable[tuple[str, Any]]) -> None:
    """One JSON object, a section per line group and a list item per line, written as read."""
    stream.write("{")
    for index, (key, value) in enumerate(sections):
        stream.write(",\n" if index else "\n")
        stream.write(f"{_dumps(key)}: ")
        if isinstance(value, Iterator | list):
            stream.write("[")
            empty = True
            for item in value:
                stream.write("\n  " if empty else ",\n  ")
                stream.write(_dumps(item))
                empty = False
            stream.write("]" if empty else "\n]")
        else:
            stream.write(_dumps(value))
    stream.write("\n}\n")
