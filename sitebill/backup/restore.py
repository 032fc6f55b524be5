"""Import a project from the backup format of FORMAT.md into a database that does not have it.

Invariants:
- All or nothing: one transaction; any refusal saves nothing, and attachment files already
  written to storage are removed again.
- A project whose number exists is refused before anything is read further ("Project 2026-014
  already exists; nothing was imported.", 409).
- Every refusal of the file names the place in the JSON (`pay_apps[3].lines[12].sov_line`) in
  its message and as the key of `fields`: a malformed value, an unknown format or version, a
  reference to something the file does not hold, a duplicate natural key, an attachment whose
  bytes do not match its sha256.
- Companies and users are matched by natural key (company name and kind; user email, whatever
  its case) and reused when the database has them, untouched; otherwise they are created. A
  created user gets the exported password hash when the file has one, else an unusable
  password (they reset it). Everything else is created new.
- Rows keep their timestamps. `auto_now_add`/`auto_now` would overwrite them on `save()` and on
  `bulk_create()` too (Django's insert compiler calls `pre_save(add=True)` unless the insert is
  *raw*), so rows with timestamps are inserted with `Model.save_base(raw=True)`, the path
  `loaddata` takes; rows without (lines) are bulk-created. The Event table's append-only
  triggers refuse UPDATE and DELETE, never INSERT.
- The import appends one `project_imported` Event on the project, after the restored history.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, identify_hasher
from django.core.exceptions import SuspiciousFileOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.db import DataError, IntegrityError, models, transaction

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
    TARGET_KEYS,
    USER_FIELDS,
)
from sitebill.billing.calculations import parse_retainage_rules
from sitebill.billing.models import (
    Attachment,
    BillingPeriod,
    Invite,
    PayApp,
    PayAppLine,
    PayAppSource,
    Payment,
)
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine
from sitebill.core.events import record_event
from sitebill.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from sitebill.erp.models import ErpExport

NaturalKey = tuple[Any, ...]
SECTIONS = (
    "companies",
    "users",
    "memberships",
    "contracts",
    "billing_periods",
    "invites",
    "pay_apps",
    "erp_exports",
    "events",
)


def backup_read(*, path: str | Path) -> Any:
    """The JSON document in `path` (gunzipped when it is gzip-compressed), not yet checked."""
    target = Path(path)
    with open(target, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    try:
        if compressed:
            with gzip.open(target, "rt", encoding="utf-8") as stream:
                return json.load(stream)
        with open(target, encoding="utf-8") as stream:
            return json.load(stream)
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            f"{target.name} is not a sitebill backup: it is not valid JSON ({error.msg} at line "
            f"{error.lineno}, column {error.colno}). Nothing was imported.",
            code="invalid_backup",
        ) from None
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as error:
        raise ValidationFailed(
            f"{target.name} is not a sitebill backup ({error}). Nothing was imported.",
            code="invalid_backup",
        ) from None


def project_import_from_file(*, path: str | Path, actor: Any = None) -> Project:
    """Read the backup in `path` and import its project (see `project_import`)."""
    return project_import(data=backup_read(path=path), actor=actor)


def project_import(*, data: Any, actor: Any = None) -> Project:
    """Create the project of backup document `data`, with everything it holds.

    `actor` is the user importing (None from the command line); when given, they must be able
    to administer companies, since the import may create companies and users.
    """
    if actor is not None and not getattr(actor, "can_administer_companies", False):
        raise PermissionDenied("Only a company administrator can import a project.")
    number = _check_header(data)
    if Project.objects.filter(number=number).exists():
        raise _exists(number)
    importer = _Importer(data)
    try:
        with transaction.atomic():
            project = importer.run()
            record_event(
                actor=actor,
                target=project,
                action="project_imported",
                project=project,
                changes={"events": (None, importer.event_count)},
                reason=f"Restored from a backup exported at {data['exported_at']}.",
            )
    except BaseException:
        importer.remove_stored_files()
        raise
    return project


# --------------------------------------------------------------------------------------------
# Reading the document: every refusal names its place in the JSON.


def _fail(path: str, message: str) -> NoReturn:
    raise ValidationFailed(
        f"The backup is not valid at {path}: {message} Nothing was imported.",
        code="invalid_backup",
        fields={path: [message]},
    )


def _exists(number: str) -> Conflict:
    return Conflict(
        f"Project {number} already exists; nothing was imported.", code="project_exists"
    )


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(path, "must be an object.")
    return value


def _key(entry: dict[str, Any], key: str, path: str) -> Any:
    if key not in entry:
        _fail(f"{path}.{key}", "is missing.")
    return entry[key]


def _items(entry: dict[str, Any], key: str, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """The objects of list `entry[key]`, each with its path (a top-level section: no path)."""
    where = f"{path}.{key}" if path else key
    if key not in entry:
        _fail(where, "is missing.")
    value = entry[key]
    if not isinstance(value, list):
        _fail(where, "must be a list.")
    return [(f"{where}[{i}]", _object(item, f"{where}[{i}]")) for i, item in enumerate(value)]


def _text(entry: dict[str, Any], key: str, path: str, *, null: bool = False) -> Any:
    value = _key(entry, key, path)
    if value is None and null:
        return None
    if not isinstance(value, str) or not value:
        _fail(f"{path}.{key}", "must be a non-empty string.")
    return value


def _integer(entry: dict[str, Any], key: str, path: str) -> int:
    value = _key(entry, key, path)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        _fail(f"{path}.{key}", "must be a whole number, 0 or more.")
    return value


def _check_header(data: Any) -> str:
    document = _object(data, "(document)")
    if document.get("format") != FORMAT_NAME:
        _fail("format", f"must be '{FORMAT_NAME}': this is not a sitebill project backup.")
    version = document.get("version")
    if version != FORMAT_VERSION:
        _fail(
            "version",
            f"unknown version {json.dumps(version)}: this sitebill reads version {FORMAT_VERSION}.",
        )
    _datetime(document.get("exported_at"), "exported_at")
    if "project" not in document:
        _fail("project", "is missing.")
    project = _object(document["project"], "project")
    return str(_read(Project, project, "project", ("number",))["number"])


def _read(
    model: type[models.Model], entry: dict[str, Any], path: str, names: Sequence[str]
) -> dict[str, Any]:
    """The values of fields `names` of `model` from `entry`, checked against the field."""
    return {name: _value(model, name, _key(entry, name, path), f"{path}.{name}") for name in names}


def _value(model: type[models.Model], name: str, raw: Any, path: str) -> Any:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    if raw is None:
        if field.null:
            return None
        _fail(path, "must not be null.")
    value: Any
    if isinstance(field, models.BooleanField):
        if not isinstance(raw, bool):
            _fail(path, "must be true or false.")
        value = raw
    elif isinstance(field, models.DecimalField):
        if not isinstance(raw, str):
            _fail(path, 'must be a decimal string, like "1250.00".')
        try:
            value = Decimal(raw)
        except InvalidOperation:
            _fail(path, f"'{raw}' is not a decimal number.")
        if not value.is_finite():
            _fail(path, f"'{raw}' is not a decimal number.")
    elif isinstance(field, models.DateTimeField):
        value = _datetime(raw, path)
    elif isinstance(field, models.DateField):
        if not isinstance(raw, str):
            _fail(path, "must be a date, like 2026-03-31.")
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            _fail(path, f"'{raw}' is not a date (YYYY-MM-DD).")
    elif isinstance(field, models.JSONField):
        value = raw
    elif isinstance(field, models.IntegerField):
        if not isinstance(raw, int) or isinstance(raw, bool):
            _fail(path, "must be a whole number.")
        value = raw
    elif isinstance(field, models.CharField | models.TextField):
        if not isinstance(raw, str):
            _fail(path, "must be a string.")
        value = raw
    else:  # pragma: no cover - a field type the format does not carry
        raise TypeError(f"{model.__name__}.{name}: no reader for {type(field).__name__}")
    if field.choices and not (value == "" and field.blank):
        allowed = [str(choice) for choice, _ in field.flatchoices]
        if value not in allowed:
            _fail(path, f"'{value}' is not one of: {', '.join(a for a in allowed if a)}.")
    try:
        field.run_validators(value)
    except DjangoValidationError as error:
        _fail(path, " ".join(error.messages))
    return value


def _datetime(raw: Any, path: str) -> dt.datetime:
    if not isinstance(raw, str):
        _fail(path, "must be a date and time, like 2026-03-31T17:05:00+00:00.")
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        _fail(path, f"'{raw}' is not an ISO 8601 date and time.")
    if value.tzinfo is None:
        _fail(path, f"'{raw}' has no UTC offset (write it like 2026-03-31T17:05:00+00:00).")
    return value


# --------------------------------------------------------------------------------------------


class _Importer:
    """Creates the rows section by section; `ids` maps each natural key (TARGET_KEYS' shapes,
    plus ("company", name, kind) and ("user", email)) to the new row's id."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.ids: dict[NaturalKey, int] = {}
        self.where: dict[NaturalKey, str] = {}
        self.stored_files: list[str] = []
        self.storage = Attachment._meta.get_field("file").storage
        self.event_count = 0
        self.erp_export_count = 0

    def run(self) -> Project:
        data = self.data
        for path, entry in _items(data, "companies"):
            self._company(entry, path)
        for path, entry in _items(data, "users"):
            self._user(entry, path)
        project = self._project(_object(data["project"], "project"))
        for path, entry in _items(data, "memberships"):
            self._membership(project, entry, path)
        for path, entry in _items(data, "contracts"):
            self._contract(project, entry, path)
        for path, entry in _items(data, "billing_periods"):
            self._billing_period(project, entry, path)
        for path, entry in _items(data, "invites"):
            self._invite(entry, path)
        pay_apps = _items(data, "pay_apps")
        for path, entry in pay_apps:
            self._pay_app(entry, path)
        # Second pass: a client pay app's sources may come later in the list than itself.
        for path, entry in pay_apps:
            self._sources(entry, path)
        for path, entry in _items(data, "erp_exports"):
            self._erp_export(project, entry, path)
        for path, entry in _items(data, "events"):
            self._event(project, entry, path)
        return project

    def remove_stored_files(self) -> None:
        for name in self.stored_files:
            self.storage.delete(name)

    # --- helpers ------------------------------------------------------------------------------

    def _claim(self, key: NaturalKey, path: str, *, what: str) -> None:
        """Refuse a natural key the file already used: it would name two rows."""
        if key in self.where:
            _fail(path, f"{what} appears twice (also at {self.where[key]}).")
        self.where[key] = path

    def _remember(self, key: NaturalKey, pk: int, path: str, *, what: str) -> None:
        self._claim(key, path, what=what)
        self.ids[key] = pk

    def _id(self, key: NaturalKey, path: str, *, what: str) -> int:
        found = self.ids.get(key)
        if found is None:
            _fail(path, f"{what}, which is not in the backup.")
        return found

    def _insert(
        self, obj: models.Model, path: str, *, key: NaturalKey | None = None, what: str = ""
    ) -> None:
        """Insert `obj` as given: no auto_now/auto_now_add overwrite (see the module docstring).
        With `key`, the natural key is claimed first (a duplicate is named, not a constraint)
        and then maps to the new row."""
        if key is not None:
            self._claim(key, path, what=what)
        try:
            obj.save_base(raw=True)
        except (IntegrityError, DataError) as error:
            _fail(path, f"does not fit the database ({error}).")
        if key is not None:
            self.ids[key] = obj.pk

    def _bulk(self, model: type[models.Model], objs: list[Any], path: str) -> None:
        try:
            model._default_manager.bulk_create(objs)
        except (IntegrityError, DataError) as error:
            _fail(path, f"does not fit the database ({error}).")
        if objs and objs[0].pk is None:  # a backend that cannot return the new ids
            raise RuntimeError("sitebill needs a database that returns ids from bulk inserts")

    def _company_ref(
        self, entry: dict[str, Any], key: str, path: str, *, null: bool = False
    ) -> Any:
        value = _key(entry, key, path)
        where = f"{path}.{key}"
        if value is None and null:
            return None
        ref = _object(value, where)
        name, kind = _text(ref, "name", where), _text(ref, "kind", where)
        return self._id(("company", name, kind), where, what=f"names the {kind} company '{name}'")

    def _user_ref(self, entry: dict[str, Any], key: str, path: str, *, null: bool = False) -> Any:
        email = _text(entry, key, path, null=null)
        if email is None:
            return None
        return self._user_id(email, f"{path}.{key}")

    def _user_id(self, email: Any, path: str) -> int:
        if not isinstance(email, str):
            _fail(path, "must be an email address.")
        return self._id(("user", email.lower()), path, what=f"names the user {email}")

    def _pay_app_ref(self, value: Any, path: str) -> tuple[str, int, int]:
        ref = _object(value, path)
        contract, number = _text(ref, "contract", path), _integer(ref, "number", path)
        pk = self._id(
            ("payapp", contract, number), path, what=f"names {contract} pay app #{number}"
        )
        return contract, number, pk

    # --- who ----------------------------------------------------------------------------------

    def _company(self, entry: dict[str, Any], path: str) -> None:
        values = _read(Company, entry, path, COMPANY_FIELDS)
        name, kind = values["name"], values["kind"]
        matches = list(
            Company.objects.filter(name=name, kind=kind).values_list("pk", flat=True)[:2]
        )
        if len(matches) > 1:
            _fail(
                path,
                f"this database has several {kind} companies named '{name}': rename one, then "
                "import again.",
            )
        if matches:
            pk = matches[0]
        else:
            company = Company(**values)
            self._insert(company, path)
            pk = company.pk
        self._remember(("company", name, kind), pk, path, what=f"The {kind} company '{name}'")

    def _user(self, entry: dict[str, Any], path: str) -> None:
        values = _read(User, entry, path, USER_FIELDS)
        email = values["email"]
        company_id = self._company_ref(entry, "company", path, null=True)
        password = entry.get("password")
        if password is not None and (
            not isinstance(password, str)
            or not (password.startswith(UNUSABLE_PASSWORD_PREFIX) or _known_hash(password))
        ):
            _fail(f"{path}.password", "is not a password hash this sitebill knows.")
        existing = User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()
        if existing is not None:
            pk = existing
        else:
            user = User(company_id=company_id, **{**values, "email": email.lower()})
            if password:
                user.password = password
            else:
                user.set_unusable_password()
            self._insert(user, path)
            pk = user.pk
        self._remember(("user", email.lower()), pk, path, what=f"The user {email}")

    def _project(self, entry: dict[str, Any]) -> Project:
        path = "project"
        values = _read(Project, entry, path, PROJECT_FIELDS)
        project = Project(
            contractor_id=self._company_ref(entry, "contractor", path),
            client_id=self._company_ref(entry, "client", path, null=True),
            **values,
        )
        try:
            with transaction.atomic():
                project.save_base(raw=True)
        except IntegrityError:
            raise _exists(values["number"]) from None
        self.ids[("project",)] = project.pk
        return project

    def _membership(self, project: Project, entry: dict[str, Any], path: str) -> None:
        user_id = self._user_ref(entry, "user", path)
        membership = Membership(
            project=project, user_id=user_id, **_read(Membership, entry, path, MEMBERSHIP_FIELDS)
        )
        email = entry["user"].lower()
        self._insert(membership, path, key=("membership", email), what=f"The membership of {email}")

    # --- contracts ----------------------------------------------------------------------------

    def _contract(self, project: Project, entry: dict[str, Any], path: str) -> None:
        values = _read(Contract, entry, path, CONTRACT_FIELDS)
        try:
            parse_retainage_rules(values["retainage_rules"])
        except ValueError as error:
            _fail(f"{path}.retainage_rules", f"{error}.")
        number = values["number"]
        contract = Contract(
            project=project,
            counterparty_id=self._company_ref(entry, "counterparty", path),
            **values,
        )
        self._insert(contract, path, key=("contract", number), what=f"Contract {number}")
        for relation in ("contacts", "distribution", "private_viewers"):
            emails = _key(entry, relation, path)
            if not isinstance(emails, list):
                _fail(f"{path}.{relation}", "must be a list of email addresses.")
            user_ids = [
                self._user_id(email, f"{path}.{relation}[{i}]") for i, email in enumerate(emails)
            ]
            getattr(contract, relation).add(*user_ids)
        lines = []
        for line_path, line_entry in _items(entry, "lines", path):
            line_values = _read(SOVLine, line_entry, line_path, SOV_LINE_FIELDS)
            item = line_values["item_number"]
            self._claim(("sovline", number, item), line_path, what=f"SOV item {item}")
            lines.append(SOVLine(contract=contract, **line_values))
        self._bulk(SOVLine, lines, f"{path}.lines")
        for line in lines:
            self.ids["sovline", number, line.item_number] = line.pk
        for co_path, co_entry in _items(entry, "change_orders", path):
            self._change_order(contract, co_entry, co_path)

    def _change_order(self, contract: Contract, entry: dict[str, Any], path: str) -> None:
        values = _read(ChangeOrder, entry, path, CHANGE_ORDER_FIELDS)
        change_order = ChangeOrder(contract=contract, **values)
        co = values["number"]
        self._insert(
            change_order, path, key=("changeorder", contract.number, co), what=f"Change order {co}"
        )
        lines = [
            ChangeOrderLine(
                change_order=change_order,
                **_read(ChangeOrderLine, line, line_path, CHANGE_ORDER_LINE_FIELDS),
            )
            for line_path, line in _items(entry, "lines", path)
        ]
        self._bulk(ChangeOrderLine, lines, f"{path}.lines")
        for index, line in enumerate(lines):
            self.ids["changeorderline", contract.number, co, index] = line.pk

    def _billing_period(self, project: Project, entry: dict[str, Any], path: str) -> None:
        period = BillingPeriod(
            project=project, **_read(BillingPeriod, entry, path, BILLING_PERIOD_FIELDS)
        )
        self._insert(
            period, path, key=("billingperiod", period.number), what=f"Period {period.number}"
        )

    def _invite(self, entry: dict[str, Any], path: str) -> None:
        contract = _text(entry, "contract", path)
        period = _integer(entry, "billing_period", path)
        invite = Invite(
            contract_id=self._id(
                ("contract", contract), f"{path}.contract", what=f"names contract {contract}"
            ),
            billing_period_id=self._id(
                ("billingperiod", period), f"{path}.billing_period", what=f"names period {period}"
            ),
            sent_by_id=self._user_ref(entry, "sent_by", path),
            responded_by_id=self._user_ref(entry, "responded_by", path, null=True),
            **_read(Invite, entry, path, INVITE_FIELDS),
        )
        self._insert(
            invite,
            path,
            key=("invite", contract, period),
            what=f"The invite of {contract} for period {period}",
        )

    # --- pay apps -----------------------------------------------------------------------------

    def _pay_app(self, entry: dict[str, Any], path: str) -> None:
        contract = _text(entry, "contract", path)
        period = _integer(entry, "billing_period", path)
        values = _read(PayApp, entry, path, PAY_APP_FIELDS)
        number = values["number"]
        pay_app = PayApp(
            contract_id=self._id(
                ("contract", contract), f"{path}.contract", what=f"names contract {contract}"
            ),
            billing_period_id=self._id(
                ("billingperiod", period), f"{path}.billing_period", what=f"names period {period}"
            ),
            created_by_id=self._user_ref(entry, "created_by", path),
            on_behalf_of_id=self._user_ref(entry, "on_behalf_of", path, null=True),
            **values,
        )
        key = (contract, number)
        self._insert(pay_app, path, key=("payapp", *key), what=f"{contract} pay app #{number}")
        lines = [
            self._line(pay_app, contract, line, line_path)
            for line_path, line in _items(entry, "lines", path)
        ]
        self._bulk(PayAppLine, lines, f"{path}.lines")
        for index, line in enumerate(lines):
            self.ids["payappline", *key, index] = line.pk
        for index, (payment_path, payment_entry) in enumerate(_items(entry, "payments", path)):
            payment = Payment(
                pay_app=pay_app,
                recorded_by_id=self._user_ref(payment_entry, "recorded_by", payment_path),
                **_read(Payment, payment_entry, payment_path, PAYMENT_FIELDS),
            )
            self._insert(payment, payment_path)
            self.ids["payment", *key, index] = payment.pk
        for index, (file_path, file_entry) in enumerate(_items(entry, "attachments", path)):
            attachment = self._attachment(pay_app, file_entry, file_path)
            self.ids["attachment", *key, index] = attachment.pk

    def _line(self, pay_app: PayApp, contract: str, entry: dict[str, Any], path: str) -> PayAppLine:
        values = _read(PayAppLine, entry, path, PAY_APP_LINE_FIELDS)
        sov_line_id = None
        item = _text(entry, "sov_line", path, null=True)
        if item is not None:
            sov_line_id = self._id(
                ("sovline", contract, item),
                f"{path}.sov_line",
                what=f"names SOV item '{item}' of contract {contract}",
            )
        co_line_id = None
        co_ref = _key(entry, "change_order_line", path)
        if co_ref is not None:
            where = f"{path}.change_order_line"
            co = _text(_object(co_ref, where), "change_order", where)
            index = _integer(co_ref, "line", where)
            co_line_id = self._id(
                ("changeorderline", contract, co, index),
                where,
                what=f"names line {index} of change order {co} of contract {contract}",
            )
        if sov_line_id is not None and co_line_id is not None:
            _fail(path, "a line comes from an SOV line or a change order line, not both.")
        return PayAppLine(
            pay_app=pay_app, sov_line_id=sov_line_id, change_order_line_id=co_line_id, **values
        )

    def _attachment(self, pay_app: PayApp, entry: dict[str, Any], path: str) -> Attachment:
        values = _read(Attachment, entry, path, ATTACHMENT_FIELDS)
        stored_as = _text(entry, "file", path)
        digest = _text(entry, "sha256", path)
        encoded = _text(entry, "content", path)
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            _fail(f"{path}.content", "is not base64.")
        if hashlib.sha256(content).hexdigest() != digest.lower():
            _fail(f"{path}.content", "does not match its sha256: the file is damaged.")
        if _integer(entry, "size", path) != len(content):
            _fail(f"{path}.size", f"says {entry['size']} bytes, the content has {len(content)}.")
        try:
            name = self.storage.save(stored_as, ContentFile(content))
        except SuspiciousFileOperation:
            _fail(f"{path}.file", f"'{stored_as}' is not a file name sitebill stores.")
        self.stored_files.append(name)
        attachment = Attachment(
            pay_app=pay_app,
            file=name,
            uploaded_by_id=self._user_ref(entry, "uploaded_by", path),
            **values,
        )
        self._insert(attachment, path)
        return attachment

    def _sources(self, entry: dict[str, Any], path: str) -> None:
        contract, number = entry["contract"], entry["number"]
        client_pay_app_id = self.ids["payapp", contract, number]
        for index, (source_path, source_entry) in enumerate(_items(entry, "sources", path)):
            _, _, source_id = self._pay_app_ref(
                _key(source_entry, "source", source_path), f"{source_path}.source"
            )
            source = PayAppSource(
                client_pay_app_id=client_pay_app_id,
                source_id=source_id,
                **_read(PayAppSource, source_entry, source_path, PAY_APP_SOURCE_FIELDS),
            )
            self._insert(source, source_path)
            self.ids["payappsource", contract, number, index] = source.pk

    # --- ERP, events --------------------------------------------------------------------------

    def _erp_export(self, project: Project, entry: dict[str, Any], path: str) -> None:
        export = ErpExport(
            project=project,
            created_by_id=self._user_ref(entry, "created_by", path),
            decided_by_id=self._user_ref(entry, "decided_by", path, null=True),
            **_read(ErpExport, entry, path, ERP_EXPORT_FIELDS),
        )
        refs = _key(entry, "pay_apps", path)
        if not isinstance(refs, list):
            _fail(f"{path}.pay_apps", "must be a list of pay apps.")
        pay_app_ids = [
            self._pay_app_ref(ref, f"{path}.pay_apps[{i}]")[2] for i, ref in enumerate(refs)
        ]
        self._insert(export, path)
        export.pay_apps.add(*pay_app_ids)
        self.ids["erpexport", self.erp_export_count] = export.pk
        self.erp_export_count += 1

    def _event(self, project: Project, entry: dict[str, Any], path: str) -> None:
        values = _read(Event, entry, path, EVENT_FIELDS)
        if not isinstance(values["changes"], dict):
            _fail(f"{path}.changes", "must be an object.")
        on_project = _key(entry, "on_project", path)
        if not isinstance(on_project, bool):
            _fail(f"{path}.on_project", "must be true or false.")
        target_type, target_id = self._target(
            _object(_key(entry, "target", path), f"{path}.target"), f"{path}.target"
        )
        event = Event(
            actor_id=self._user_ref(entry, "actor", path, null=True),
            project=project if on_project else None,
            target_type=target_type,
            target_id=target_id,
            **values,
        )
        self._insert(event, path)
        self.event_count += 1

    def _target(self, target: dict[str, Any], path: str) -> tuple[str, int]:
        target_type = _value(Event, "target_type", _text(target, "type", path), f"{path}.type")
        if target.get("missing") is True:
            # Deleted before the export: its history is kept under the negated old id, which
            # no live row can have (FORMAT.md).
            source_id = _integer(target, "source_id", path)
            return target_type, -source_id
        if target_type not in TARGET_KEYS:
            _fail(f"{path}.type", f"'{target_type}' is not a kind of object a backup holds.")
        key: list[Any] = [target_type]
        for name in TARGET_KEYS[target_type]:
            value = _key(target, name, path)
            if not isinstance(value, str | int) or isinstance(value, bool):
                _fail(f"{path}.{name}", "must be a string or a whole number.")
            key.append(
                value.lower() if name in ("email", "user") and isinstance(value, str) else value
            )
        described = ", ".join(f"{name} {target[name]}" for name in TARGET_KEYS[target_type])
        pk = self._id(tuple(key), path, what=f"names the {target_type} {described}".rstrip())
        return target_type, pk


def _known_hash(encoded: str) -> bool:
    try:
        identify_hasher(encoded)
    except ValueError:
        return False
    return True
