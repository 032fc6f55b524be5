"""Writes for contracts (commitments and client contracts), their SOV, contacts and change orders.

Invariants:

- Only an Admin of the project manages contracts, SOV lines, contacts, distribution lists and
  change orders (DOMAIN.md §4). A user who cannot see the contract gets `NotFound`, one who sees
  it without being Admin `PermissionDenied`.
- Each service runs in one transaction that first locks the row it changes (the project for a new
  contract, else the contract or change order), then validates *everything*, then writes. A
  refusal is one `ValidationFailed` naming every bad field (`lines[3].scheduled_value`) and saves
  nothing. Every write appends an Event with the values before and after.
- A commitment's counterparty is a vendor company, a client contract's a client company.
- Original SOV values are never negative (a database constraint backs it); change order amounts
  may be (deductive changes). A unit line's value is quantity × unit price, rounded half up to
  the cent.
- The SOV is frozen once the contract has a pay app: pay apps carry its lines forward, so a later
  change goes through a change order (DOMAIN.md §2: "it never rewrites history").
- Rates are percentages 0..100 with up to 4 places; retainage rules follow API.md and are stored
  in its JSON form, decimal strings, which `calculations.parse_retainage_rules` reads back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from sitebill.accounts.access import Role, require_role
from sitebill.accounts.models import Company, Project, User
from sitebill.accounts.services import (
    FieldErrors,
    bool_field,
    choice_field,
    require_project_admin,
    text_field,
)
from sitebill.billing.models import PayApp, PayAppLine
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine
from sitebill.core.events import record_event
from sitebill.core.exceptions import Conflict, ValidationFailed
from sitebill.core.money import multiply, to_decimal, to_money, to_percent

MAX_RETAINAGE_RULES = 5
RETAINAGE_LIMITS = (
    "percent_complete",
    "percent_of_original_value_held",
    "percent_of_revised_value_held",
    "amount_held",
)
# What the columns hold: MoneyField is 14 digits with 2 places, quantities 14 with 4.
MAX_MONEY = Decimal("1E12")
MAX_QUANTITY = Decimal("1E10")
HUNDRED = Decimal("100")

CONTRACT_FIELDS = (
    "number",
    "title",
    "counterparty",
    "status",
    "retainage_work_percent",
    "retainage_stored_percent",
    "retainage_rules",
    "stored_materials_enabled",
    "accounting_method",
    "private",
    "executed",
    "description",
)
SOV_LINE_KEYS = ("item_number", "description", "cost_code", "scheduled_value")
UNIT_LINE_KEYS = ("quantity", "unit", "unit_price")
CHANGE_ORDER_LINE_KEYS = ("item_number", "description", "cost_code", "amount")

# Change order statuses (DOMAIN.md §2): an approved change order is on the SOV of the next pay
# app, so it can only be voided, and only while no pay app carries it; void is final.
CHANGE_ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ChangeOrder.Status.DRAFT: (
        ChangeOrder.Status.PENDING,
        ChangeOrder.Status.APPROVED,
        ChangeOrder.Status.VOID,
    ),
    ChangeOrder.Status.PENDING: (
        ChangeOrder.Status.DRAFT,
        ChangeOrder.Status.APPROVED,
        ChangeOrder.Status.VOID,
    ),
    ChangeOrder.Status.APPROVED: (ChangeOrder.Status.VOID,),
    ChangeOrder.Status.VOID: (),
}

AMOUNT_MESSAGE = 'Enter an amount with at most 2 decimal places, such as "1250.00".'


# --- Field checks -----------------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    return value is None or value == ""


def _money(
    errors: FieldErrors, field: str, value: Any, *, label: str, allow_negative: bool = False
) -> Decimal | None:
    if _is_blank(value):
        errors.add(field, f"{label} is required.")
        return None
    try:
        amount = to_money(value)
    except (TypeError, ValueError):
        errors.add(field, AMOUNT_MESSAGE)
        return None
    if abs(amount) >= MAX_MONEY:
        errors.add(field, f"{label} is too large.")
        return None
    if amount < 0 and not allow_negative:
        errors.add(field, f"{label} cannot be negative.")
        return None
    return amount


def _rate(errors: FieldErrors, field: str, value: Any, *, label: str) -> Decimal | None:
    """A percentage from 0 to 100 with at most 4 places ("10.00" is 10%)."""
    try:
        rate = to_percent(value)
    except (TypeError, ValueError):
        errors.add(
            field, f'{label} must be a percentage with at most 4 decimal places, such as "10.00".'
        )
        return None
    if not 0 <= rate <= HUNDRED:
        errors.add(field, f"{label} must be between 0 and 100.")
        return None
    return rate


def _quantity(errors: FieldErrors, field: str, value: Any, *, label: str) -> Decimal | None:
    if _is_blank(value):
        errors.add(field, f"{label} is required on a unit-based contract.")
        return None
    try:
        number = to_decimal(value, max_places=4)
    except (TypeError, ValueError):
        errors.add(field, f"{label} must be a number with at most 4 decimal places.")
        return None
    if number < 0:
        errors.add(field, f"{label} cannot be negative.")
        return None
    if number >= MAX_QUANTITY:
        errors.add(field, f"{label} is too large.")
        return None
    return number


def _percent_text(value: Decimal) -> str:
    """API.md spells percentages with at least two places: "10.00", "12.125"."""
    two_places = value.quantize(Decimal("0.01"))
    return str(two_places) if two_places == value else str(value.normalize())


def _unknown_keys(
    errors: FieldErrors, field: str, item: Mapping[str, Any], allowed: Iterable[str]
) -> None:
    unknown = sorted(str(key) for key in item if key not in allowed)
    if unknown:
        errors.add(field, f"Unknown field(s): {', '.join(unknown)}.")


def _retainage_rules(errors: FieldErrors, value: Any) -> list[dict[str, str]]:
    """Sliding-scale rules (API.md, DOMAIN.md §5.4), normalised to decimal strings."""
    field = "retainage_rules"
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors.add(field, "Enter a list of rules.")
        return []
    if len(value) > MAX_RETAINAGE_RULES:
        errors.add(field, f"At most {MAX_RETAINAGE_RULES} retainage rules are allowed.")
    rules: list[dict[str, str]] = []
    for index, rule in enumerate(value):
        prefix = f"{field}[{index}]"
        if not isinstance(rule, Mapping):
            errors.add(prefix, "A rule needs a rate, an until and a limit.")
            continue
        _unknown_keys(errors, prefix, rule, ("rate", "until", "limit"))
        rate = _rate(errors, f"{prefix}.rate", rule.get("rate"), label="Rate")
        until = rule.get("until")
        if until not in RETAINAGE_LIMITS:
            errors.add(f"{prefix}.until", f"Choose one of: {', '.join(RETAINAGE_LIMITS)}.")
        limit_field = f"{prefix}.limit"
        raw_limit: Any = rule.get("limit")
        limit: Decimal | None
        limit_text = ""
        if until == "amount_held":
            limit = _money(errors, limit_field, raw_limit, label="Limit")
            if limit is not None:
                limit_text = str(limit)
        else:
            try:
                limit = to_percent(raw_limit)
            except (TypeError, ValueError):
                errors.add(limit_field, "Limit must be a percentage with at most 4 decimal places.")
                limit = None
            if limit is not None and limit > HUNDRED:
                errors.add(limit_field, "A percentage limit cannot be above 100.")
                limit = None
            if limit is not None:
                limit_text = _percent_text(limit)
        if limit is not None and limit <= 0:
            errors.add(limit_field, "Limit must be greater than 0.")
        if rate is not None and until in RETAINAGE_LIMITS and limit_text:
            rules.append({"rate": _percent_text(rate), "until": str(until), "limit": limit_text})
    return rules


def _sov_line(
    errors: FieldErrors,
    prefix: str,
    line: Any,
    *,
    unit_based: bool,
    taken_item_numbers: set[str],
) -> dict[str, Any]:
    """One original SOV line, checked; `prefix` is "lines[3]." (or "" for a single line)."""
    if not isinstance(line, Mapping):
        errors.add(
            prefix.rstrip(".") or "line",
            "A line needs an item number, a description and a scheduled value.",
        )
        return {}
    _unknown_keys(errors, prefix.rstrip(".") or "line", line, (*SOV_LINE_KEYS, *UNIT_LINE_KEYS))
    cleaned: dict[str, Any] = {
        "item_number": text_field(
            errors, f"{prefix}item_number", line.get("item_number"), max_length=30
        ),
        "description": text_field(
            errors, f"{prefix}description", line.get("description"), max_length=300
        ),
        "cost_code": text_field(
            errors, f"{prefix}cost_code", line.get("cost_code"), max_length=40, required=False
        ),
    }
    item_number = cleaned["item_number"]
    if item_number:
        if item_number in taken_item_numbers:
            errors.add(f"{prefix}item_number", f"Item number {item_number} is already used.")
        taken_item_numbers.add(item_number)

    given_value = line.get("scheduled_value")
    if unit_based:
        quantity = _quantity(errors, f"{prefix}quantity", line.get("quantity"), label="Quantity")
        unit_price = _quantity(
            errors, f"{prefix}unit_price", line.get("unit_price"), label="Unit price"
        )
        cleaned["unit"] = text_field(
            errors, f"{prefix}unit", line.get("unit"), max_length=20, required=False
        )
        cleaned["quantity"] = quantity
        cleaned["unit_price"] = unit_price
        value: Decimal | None = None
        if quantity is not None and unit_price is not None:
            # DOMAIN.md §2: value = quantity × unit price, rounded half up to the cent.
            value = multiply(quantity, unit_price, "half_up")
            if value >= MAX_MONEY:
                errors.add(f"{prefix}scheduled_value", "Scheduled value is too large.")
            elif not _is_blank(given_value):
                given = _money(
                    errors, f"{prefix}scheduled_value", given_value, label="Scheduled value"
                )
                if given is not None and given != value:
                    errors.add(
                        f"{prefix}scheduled_value",
                        f"Scheduled value must equal quantity × unit price ({value}).",
                    )
        cleaned["scheduled_value"] = value
    else:
        for key in UNIT_LINE_KEYS:
            if not _is_blank(line.get(key)):
                errors.add(
                    f"{prefix}{key}",
                    "Only lines of a unit-based contract have a quantity, unit and unit price.",
                )
        cleaned["scheduled_value"] = _money(
            errors, f"{prefix}scheduled_value", given_value, label="Scheduled value"
        )
    return cleaned


def _sov_lines(
    errors: FieldErrors, lines: Any, *, unit_based: bool, field: str = "lines"
) -> list[dict[str, Any]]:
    if lines is None:
        return []
    if not isinstance(lines, list | tuple):
        errors.add(field, "Enter a list of lines.")
        return []
    taken: set[str] = set()
    return [
        _sov_line(
            errors, f"{field}[{index}].", line, unit_based=unit_based, taken_item_numbers=taken
        )
        for index, line in enumerate(lines)
    ]


def _counterparty(errors: FieldErrors, kind: str, company: Any) -> None:
    wanted = Company.Kind.CLIENT if kind == Contract.Kind.CLIENT else Company.Kind.VENDOR
    if not isinstance(company, Company) or company.kind != wanted:
        what = (
            "a client contract needs a client"
            if wanted == Company.Kind.CLIENT
            else ("a commitment needs a vendor")
        )
        errors.add("counterparty", f"Choose a {wanted.label.lower()} company: {what} company.")


def _contract_fields(
    errors: FieldErrors,
    *,
    project: Project,
    kind: str,
    values: Mapping[str, Any],
    contract: Contract | None,
) -> dict[str, Any]:
    """Check the contract fields present in `values`; `contract` is the one being updated."""
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if key == "number":
            number = text_field(errors, key, value, max_length=50)
            duplicates = Contract.objects.filter(project=project, number__iexact=number)
            if contract is not None:
                duplicates = duplicates.exclude(pk=contract.pk)
            if number and duplicates.exists():
                errors.add(key, f"Contract number {number} is already used in this project.")
            cleaned[key] = number
        elif key == "title":
            cleaned[key] = text_field(errors, key, value, max_length=200)
        elif key == "description":
            cleaned[key] = text_field(errors, key, value, max_length=10000, required=False)
        elif key == "counterparty":
            _counterparty(errors, kind, value)
            cleaned[key] = value
        elif key == "status":
            cleaned[key] = choice_field(errors, key, value, Contract.Status)
        elif key == "accounting_method":
            cleaned[key] = choice_field(errors, key, value, Contract.AccountingMethod)
        elif key == "retainage_work_percent":
            cleaned[key] = _rate(errors, key, value, label="Retainage on work")
        elif key == "retainage_stored_percent":
            cleaned[key] = _rate(errors, key, value, label="Retainage on stored materials")
        elif key == "retainage_rules":
            cleaned[key] = _retainage_rules(errors, value)
        elif key in ("stored_materials_enabled", "private", "executed"):
            cleaned[key] = bool_field(errors, key, value)
        elif key == "kind":
            errors.add(key, "The kind of a contract cannot be changed.")
        else:
            errors.add(key, "Unknown field.")
    return cleaned


def _line_snapshot(line: SOVLine | ChangeOrderLine) -> dict[str, str]:
    """A line as the history shows it."""
    amount = line.scheduled_value if isinstance(line, SOVLine) else line.amount
    return {
        "item_number": line.item_number,
        "description": line.description,
        "cost_code": line.cost_code,
        "amount": str(amount),
    }


def _sov_total(lines: Iterable[SOVLine]) -> Decimal:
    return sum((line.scheduled_value for line in lines), Decimal("0.00"))


def _refuse_if_sov_locked(contract: Contract) -> None:
    if PayApp.objects.filter(contract=contract).exists():
        message = (
            f"The schedule of values of {contract.number} is locked because it already has a "
            "pay app. Add a change order instead."
        )
        raise ValidationFailed(message, code="sov_locked", fields={"lines": [message]})


def _new_sov_lines(
    contract: Contract, lines: Sequence[Mapping[str, Any]], *, start: int
) -> list[SOVLine]:
    return SOVLine.objects.bulk_create(
        [
            SOVLine(
                contract=contract,
                position=start + index,
                item_number=line["item_number"],
                description=line["description"],
                cost_code=line["cost_code"],
                scheduled_value=line["scheduled_value"],
                quantity=line.get("quantity"),
                unit=line.get("unit", ""),
                unit_price=line.get("unit_price"),
            )
            for index, line in enumerate(lines)
        ]
    )


def _lock_contract(contract: Contract) -> Contract:
    return (
        Contract.objects.select_for_update()
        .select_related("project", "counterparty")
        .get(pk=contract.pk)
    )


def _copy_fields(source: Contract, target: Contract, fields: Iterable[str]) -> None:
    for field in fields:
        setattr(target, field, getattr(source, field))


# --- Contracts --------------------------------------------------------------------------------


def contract_create(
    *,
    actor: Any,
    project: Project,
    kind: str,
    number: str,
    title: str,
    counterparty: Company,
    status: str = Contract.Status.DRAFT,
    retainage_work_percent: Any = Decimal("0"),
    retainage_stored_percent: Any = Decimal("0"),
    retainage_rules: list[dict[str, Any]] | None = None,
    stored_materials_enabled: bool = True,
    accounting_method: str = Contract.AccountingMethod.AMOUNT,
    private: bool = False,
    executed: bool = False,
    description: str = "",
    lines: list[dict[str, Any]] | None = None,
) -> Contract:
    """A commitment (subcontract, purchase order) or client contract with its original SOV."""
    require_project_admin(actor, project)
    errors = FieldErrors()
    kind = choice_field(errors, "kind", kind, Contract.Kind)
    with transaction.atomic():
        # Locking the project serialises contract numbers within it.
        Project.objects.select_for_update().get(pk=project.pk)
        cleaned = _contract_fields(
            errors,
            project=project,
            kind=kind,
            values={
                "number": number,
                "title": title,
                "counterparty": counterparty,
                "status": status,
                "retainage_work_percent": retainage_work_percent,
                "retainage_stored_percent": retainage_stored_percent,
                "retainage_rules": retainage_rules,
                "stored_materials_enabled": stored_materials_enabled,
                "accounting_method": accounting_method,
                "private": private,
                "executed": executed,
                "description": description,
            },
            contract=None,
        )
        cleaned_lines = _sov_lines(
            errors, lines, unit_based=cleaned["accounting_method"] == Contract.AccountingMethod.UNIT
        )
        errors.raise_if_any()

        try:
            with transaction.atomic():
                contract = Contract.objects.create(project=project, kind=kind, **cleaned)
        except IntegrityError:
            message = f"Contract number {cleaned['number']} is already used in this project."
            raise ValidationFailed(message, fields={"number": [message]}) from None
        sov = _new_sov_lines(contract, cleaned_lines, start=0)
        record_event(
            actor=actor,
            target=contract,
            project=project,
            action="contract_created",
            changes={
                "kind": (None, kind),
                **{key: (None, value) for key, value in cleaned.items()},
                "lines": (None, [_line_snapshot(line) for line in sov]),
                "original_contract_sum": (None, _sov_total(sov)),
            },
        )
    return contract


def contract_update(*, actor: Any, contract: Contract, **fields: Any) -> Contract:
    """Change some of a contract's fields (not its kind, not its SOV: see `sov_lines_replace`).

    The accounting method is fixed once the SOV has lines (their shape depends on it), and the
    counterparty once the contract has a pay app or contacts (contacts are its users).
    """
    require_role(actor, contract, Role.ADMIN)
    errors = FieldErrors()
    with transaction.atomic():
        locked = _lock_contract(contract)
        cleaned = _contract_fields(
            errors, project=locked.project, kind=locked.kind, values=fields, contract=locked
        )
        if (
            "accounting_method" in cleaned
            and cleaned["accounting_method"] != locked.accounting_method
            and locked.lines.exists()
        ):
            errors.add(
                "accounting_method",
                "The accounting method cannot change once the schedule of values has lines.",
            )
        if "counterparty" in cleaned and cleaned["counterparty"] != locked.counterparty:
            if PayApp.objects.filter(contract=locked).exists():
                errors.add(
                    "counterparty", "The counterparty cannot change once there is a pay app."
                )
            elif locked.contacts.exists():
                errors.add(
                    "counterparty",
                    "Remove the payment application contacts before changing the vendor.",
                )
        errors.raise_if_any()

        changes = {
            key: (getattr(locked, key), value)
            for key, value in cleaned.items()
            if getattr(locked, key) != value
        }
        if changes:
            for key, (_, value) in changes.items():
                setattr(locked, key, value)
            try:
                with transaction.atomic():
                    locked.save(update_fields=list(changes))
            except IntegrityError:
                message = (
                    f"Contract number {cleaned.get('number')} is already used in this project."
                )
                raise ValidationFailed(message, fields={"number": [message]}) from None
            record_event(
                actor=actor,
                target=locked,
                project=locked.project,
                action="contract_updated",
                changes=changes,
            )
    _copy_fields(locked, contract, CONTRACT_FIELDS)
    return contract


# --- Schedule of values -----------------------------------------------------------------------


def sov_lines_replace(
    *, actor: Any, contract: Contract, lines: list[dict[str, Any]]
) -> list[SOVLine]:
    """Replace the whole original SOV, in the order given (refused once a pay app exists)."""
    require_role(actor, contract, Role.ADMIN)
    errors = FieldErrors()
    with transaction.atomic():
        locked = _lock_contract(contract)
        _refuse_if_sov_locked(locked)
        cleaned = _sov_lines(errors, lines, unit_based=locked.is_unit_based)
        errors.raise_if_any()

        before = list(locked.lines.all())
        locked.lines.all().delete()
        sov = _new_sov_lines(locked, cleaned, start=0)
        record_event(
            actor=actor,
            target=locked,
            project=locked.project,
            action="sov_replaced",
            changes={
                "lines": (
                    [_line_snapshot(line) for line in before],
                    [_line_snapshot(line) for line in sov],
                ),
                "original_contract_sum": (_sov_total(before), _sov_total(sov)),
            },
        )
    return sov


def sov_line_add(*, actor: Any, contract: Contract, **line: Any) -> SOVLine:
    """Append one original SOV line; errors name the line's keys (`scheduled_value`)."""
    require_role(actor, contract, Role.ADMIN)
    errors = FieldErrors()
    with transaction.atomic():
        locked = _lock_contract(contract)
        _refuse_if_sov_locked(locked)
        existing = list(locked.lines.all())
        cleaned = _sov_line(
            errors,
            "",
            line,
            unit_based=locked.is_unit_based,
            taken_item_numbers={sov_line.item_number for sov_line in existing},
        )
        errors.raise_if_any()

        last = locked.lines.aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 1
        (sov_line,) = _new_sov_lines(locked, [cleaned], start=position)
        record_event(
            actor=actor,
            target=locked,
            project=locked.project,
            action="sov_line_added",
            changes={
                "line": (None, _line_snapshot(sov_line)),
                "original_contract_sum": (
                    _sov_total(existing),
                    _sov_total([*existing, sov_line]),
                ),
            },
        )
    return sov_line


# --- Contacts and distribution ----------------------------------------------------------------


def _check_contact(contract: Contract, user: Any) -> None:
    if not contract.is_commitment:
        message = "A client contract has no payment application contacts."
        raise ValidationFailed(message, code="not_a_commitment", fields={"user": [message]})
    if not isinstance(user, User) or user.company_id != contract.counterparty_id:
        message = f"A payment application contact must be a user of {contract.counterparty}."
        raise ValidationFailed(message, fields={"user": [message]})


def contract_contact_add(*, actor: Any, contract: Contract, user: User) -> None:
    """Name a vendor user as payment application contact: they then see this commitment only.

    Adding a user who already is a contact changes nothing (and records nothing).
    """
    require_role(actor, contract, Role.ADMIN)
    with transaction.atomic():
        locked = _lock_contract(contract)
        _check_contact(locked, user)
        if not user.is_active:
            message = f"{user.email} is inactive and cannot be a contact."
            raise ValidationFailed(message, fields={"user": [message]})
        if locked.contacts.filter(pk=user.pk).exists():
            return
        locked.contacts.add(user)
        record_event(
            actor=actor,
            target=locked,
            project=locked.project,
            action="contact_added",
            changes={"contact": (None, user.email)},
        )


def contract_contact_remove(*, actor: Any, contract: Contract, user: User) -> None:
    """Take a contact off a commitment; removing a user who is not a contact changes nothing."""
    require_role(actor, contract, Role.ADMIN)
    with transaction.atomic():
        locked = _lock_contract(contract)
        _check_contact(locked, user)
        if not locked.contacts.filter(pk=user.pk).exists():
            return
        locked.contacts.remove(user)
        record_event(
            actor=actor,
            target=locked,
            project=locked.project,
            action="contact_removed",
            changes={"contact": (user.email, None)},
        )


def contract_distribution_set(*, actor: Any, contract: Contract, users: Iterable[User]) -> None:
    """Set the invoice distribution list: the contractor's users emailed when a pay app is
    submitted. Only users of the project's contractor company may be on it."""
    require_role(actor, contract, Role.ADMIN)
    users = list(users)
    with transaction.atomic():
        locked = _lock_contract(contract)
        contractor = locked.project.contractor
        errors = FieldErrors()
        for user in users:
            if not isinstance(user, User) or user.company_id != contractor.pk:
                errors.add(
                    "users", f"{getattr(user, 'email', user)} is not a user of {contractor}."
                )
            elif not user.is_active:
                errors.add("users", f"{user.email} is inactive.")
        errors.raise_if_any()

        before = sorted(locked.distribution.values_list("email", flat=True))
        after = sorted({user.email for user in users})
        if before == after:
            return
        locked.distribution.set(users)
        record_event(
            actor=actor,
            target=locked,
            project=locked.project,
            action="distribution_set",
            changes={"distribution": (before, after)},
        )


# --- Change orders ----------------------------------------------------------------------------


def _change_order_lines(errors: FieldErrors, lines: Any) -> list[dict[str, Any]]:
    if lines is None:
        return []
    if not isinstance(lines, list | tuple):
        errors.add("lines", "Enter a list of lines.")
        return []
    cleaned: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index, line in enumerate(lines):
        prefix = f"lines[{index}]"
        if not isinstance(line, Mapping):
            errors.add(prefix, "A line needs an item number, a description and an amount.")
            continue
        _unknown_keys(errors, prefix, line, CHANGE_ORDER_LINE_KEYS)
        item_number = text_field(
            errors, f"{prefix}.item_number", line.get("item_number"), max_length=30
        )
        if item_number:
            if item_number in taken:
                errors.add(f"{prefix}.item_number", f"Item number {item_number} is already used.")
            taken.add(item_number)
        cleaned.append(
            {
                "item_number": item_number,
                "description": text_field(
                    errors, f"{prefix}.description", line.get("description"), max_length=300
                ),
                "cost_code": text_field(
                    errors,
                    f"{prefix}.cost_code",
                    line.get("cost_code"),
                    max_length=40,
                    required=False,
                ),
                # DOMAIN.md §2: a change order line may be negative (a deductive change).
                "amount": _money(
                    errors,
                    f"{prefix}.amount",
                    line.get("amount"),
                    label="Amount",
                    allow_negative=True,
                ),
            }
        )
    return cleaned


def change_order_create(
    *,
    actor: Any,
    contract: Contract,
    number: str,
    title: str,
    status: str = ChangeOrder.Status.DRAFT,
    lines: list[dict[str, Any]],
) -> ChangeOrder:
    """A change order with its lines; created Approved it counts from the next pay app."""
    require_role(actor, contract, Role.ADMIN)
    errors = FieldErrors()
    with transaction.atomic():
        locked = _lock_contract(contract)  # serialises change order numbers on the contract
        number = text_field(errors, "number", number, max_length=30)
        if number and locked.change_orders.filter(number__iexact=number).exists():
            errors.add("number", f"Change order {number} already exists on {locked.number}.")
        title = text_field(errors, "title", title, max_length=200)
        status = choice_field(errors, "status", status, ChangeOrder.Status)
        cleaned_lines = _change_order_lines(errors, lines)
        errors.raise_if_any()

        change_order = ChangeOrder.objects.create(
            contract=locked,
            number=number,
            title=title,
            status=status,
            approved_at=timezone.now() if status == ChangeOrder.Status.APPROVED else None,
        )
        created = ChangeOrderLine.objects.bulk_create(
            [ChangeOrderLine(change_order=change_order, **line) for line in cleaned_lines]
        )
        record_event(
            actor=actor,
            target=change_order,
            project=locked.project,
            action="change_order_created",
            changes={
                "contract": (None, locked.number),
                "number": (None, number),
                "title": (None, title),
                "status": (None, status),
                "lines": (None, [_line_snapshot(line) for line in created]),
                "amount": (None, sum((line.amount for line in created), Decimal("0.00"))),
            },
        )
    return change_order


def change_order_set_status(*, actor: Any, change_order: ChangeOrder, status: str) -> ChangeOrder:
    """Move a change order along Draft ⇄ Pending → Approved → Void (`CHANGE_ORDER_TRANSITIONS`).

    A transition that no longer applies raises `Conflict`; voiding an approved change order
    that a pay app already carries is refused (the pay app's history would change).
    """
    contract = change_order.contract
    require_role(actor, contract, Role.ADMIN)
    errors = FieldErrors()
    status = choice_field(errors, "status", status, ChangeOrder.Status)
    errors.raise_if_any()
    with transaction.atomic():
        locked = ChangeOrder.objects.select_for_update().get(pk=change_order.pk)
        before = locked.status
        before_label = ChangeOrder.Status(before).label
        after_label = ChangeOrder.Status(status).label
        if before == status:
            raise Conflict(
                f"Change order {locked.number} is already {after_label}.",
                code="invalid_transition",
            )
        if status not in CHANGE_ORDER_TRANSITIONS[before]:
            raise Conflict(
                f"Change order {locked.number} is {before_label} and cannot be made {after_label}.",
                code="invalid_transition",
            )
        if (
            before == ChangeOrder.Status.APPROVED
            and PayAppLine.objects.filter(change_order_line__change_order=locked).exists()
        ):
            message = f"Change order {locked.number} is already on a pay app and cannot be voided."
            raise ValidationFailed(
                message, code="change_order_in_use", fields={"status": [message]}
            )

        locked.status = status
        update_fields = ["status"]
        if status == ChangeOrder.Status.APPROVED:
            locked.approved_at = timezone.now()
            update_fields.append("approved_at")
        locked.save(update_fields=update_fields)
        record_event(
            actor=actor,
            target=locked,
            project=contract.project,
            action="change_order_status_changed",
            changes={"status": (before, status)},
        )
    change_order.status = locked.status
    change_order.approved_at = locked.approved_at
    return change_order
