"""Serializers for billing: Invite to Bill, pay apps (G702 and G703 rows), review, history.

`*Input` serializers parse a request body into the keyword arguments of a service in
`sitebill.billing.services`; `*Output` serializers shape what the services and selectors return
into API.md's JSON. Neither checks a business rule: who may edit which field, which status may
follow which, overbilling and due dates are the services' to refuse.

Every figure of a pay app (G, %, H, retainage held, the G702) is computed by
`sitebill.billing.selectors.figures_for_lines` from the lines the view prefetched, once per pay
app, so a page of pay apps costs the same number of queries however many it holds; or given in
`context["figures"]` by a view that has them already.

A pay app's G703 rows are thousands of values: `PayAppLineOutput` and `G702Output` declare them
(the OpenAPI schema) and build them as plain dicts (`g703_rows`) with the precomputed formatters
of `sitebill.api.fields`, not field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from sitebill.api.fields import (
    MoneyField,
    PercentField,
    QuantityField,
    money_text,
    money_texts,
    rate_texts,
)
from sitebill.api.serializers import InputSerializer
from sitebill.api.serializers.setup import BillingPeriodOutput, PersonOutput
from sitebill.billing.models import InvoiceType, PayApp, PayAppLine
from sitebill.billing.selectors import Figures, Row, figures_for_lines
from sitebill.billing.services.invites import STATUS_LABELS, STATUS_ORDER, InviteRow
from sitebill.billing.services.payments import payment_status, payments_paid_totals
from sitebill.billing.summaries import Summary, summaries
from sitebill.billing.transitions import REVIEW_OUTCOMES
from sitebill.core.models import Event

# The choice sets of the billing schemas; those several schemas share are named in settings
# ENUM_NAME_OVERRIDES (InviteStatusEnum, ErpStatusEnum).
INVITE_STATUS_CHOICES = [(status, STATUS_LABELS[status]) for status in STATUS_ORDER]
ERP_STATUS_CHOICES = [(value, label) for value, label in PayApp.ErpStatus.choices if value]
PAYMENT_STATUS_CHOICES = [
    ("unpaid", "Unpaid"),
    ("partially_paid", "Partially paid"),
    ("paid", "Paid"),
]
REVIEW_OUTCOME_CHOICES = [
    (status.value, status.label)
    for status in PayApp.Status
    if any(status in outcomes for outcomes in REVIEW_OUTCOMES.values())
]

PERCENT_COMPLETE_PATTERN = r"^-?\d{1,4}(\.\d{1,4})?$"
PERCENT_COMPLETE_MESSAGE = (
    'Enter a percentage complete as a string with at most 4 decimal places, like "45.00".'
)


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": PERCENT_COMPLETE_PATTERN,
        "example": "45.00",
        "description": 'Percent complete to date: "45.00" means 45%. Above 100 when the line '
        "is billed beyond its scheduled value.",
    }
)
class PercentCompleteField(PercentField):
    """A line's % complete to date. Unlike a retainage rate it may pass 100 (an overbilled
    line, where the project allows it), so only its shape is checked here; the service bounds
    the value."""

    pattern = PERCENT_COMPLETE_PATTERN
    message = PERCENT_COMPLETE_MESSAGE

    def check(self, value: Decimal) -> Decimal:
        return value


# --- Invite to Bill ------------------------------------------------------------------------------


@extend_schema_serializer(component_name="InviteRow")
class InviteRowOutput(serializers.Serializer):
    """One commitment on the Subcontractor tab: its invite status for the period (DOMAIN.md §3).

    `id` is the invite's id once one was sent (null before); `blocked_reason` says why the row
    cannot be invited (no contact, due date passed, billed to 100%, ...), empty otherwise.
    """

    id = serializers.IntegerField(
        source="invite.pk", allow_null=True, help_text="The invite's id; null until one is sent."
    )
    commitment = serializers.IntegerField(source="contract.pk")
    commitment_number = serializers.CharField(source="contract.number")
    vendor = serializers.IntegerField(source="contract.counterparty_id")
    status = serializers.ChoiceField(choices=INVITE_STATUS_CHOICES)
    invoice_type = serializers.ChoiceField(
        source="invite.invoice_type", choices=InvoiceType.choices, allow_null=True
    )
    sent_at = serializers.DateTimeField(source="invite.sent_at", allow_null=True)
    responded_at = serializers.DateTimeField(source="invite.responded_at", allow_null=True)
    blocked_reason = serializers.CharField()
    contract_value = MoneyField(help_text="Σ SOV lines + Σ lines of approved change orders.")
    billed_to_date = MoneyField(help_text="Total completed and stored on the latest pay app.")
    pay_app = serializers.IntegerField(
        source="pay_app.pk",
        allow_null=True,
        help_text="The id of the commitment's pay app for this period, if there is one.",
    )


@extend_schema_serializer(component_name="InviteCounts")
class InviteCountsOutput(serializers.Serializer):
    no_contacts = serializers.IntegerField()
    not_invited = serializers.IntegerField()
    invited = serializers.IntegerField()
    accepted = serializers.IntegerField()
    declined = serializers.IntegerField()


@extend_schema_serializer(component_name="InviteBoard")
class InviteBoardOutput(serializers.Serializer):
    """The period's commitments you may see, with their invite status and the counts."""

    period = BillingPeriodOutput()
    counts = InviteCountsOutput()
    results = InviteRowOutput(source="rows", many=True)


@extend_schema_serializer(component_name="SendInvites")
class SendInvitesInput(InputSerializer):
    commitments = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=1000,
        help_text="The ids of the commitments to invite.",
    )
    invoice_type = serializers.ChoiceField(
        choices=InvoiceType.choices, required=False, default=InvoiceType.WORK_AND_MATERIALS
    )


@extend_schema_serializer(component_name="SkippedInvite")
class SkippedInviteOutput(serializers.Serializer):
    commitment = serializers.IntegerField()
    reason = serializers.CharField()


@extend_schema_serializer(component_name="SentInvites")
class SendInvitesOutput(serializers.Serializer):
    message = serializers.CharField(help_text='The banner: "2 invites sent. 1 skipped."')
    invited = InviteRowOutput(many=True)
    skipped = SkippedInviteOutput(many=True)


@extend_schema_serializer(component_name="InviteAnswer")
class InviteAnswerOutput(InviteRowOutput):
    """The invite row after an answer. Answering twice changes nothing and says so."""

    changed = serializers.BooleanField(help_text="False when the invite was already answered.")
    message = serializers.CharField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        row, changed, message = instance  # (InviteRow, bool, str)
        return {**InviteRowOutput(row).data, "changed": changed, "message": message}


def invite_answer(row: InviteRow, changed: bool) -> tuple[InviteRow, bool, str]:
    """What `InviteAnswerOutput` shows: the row, whether it changed, and a sentence."""
    status = row.status
    if not changed:
        return row, changed, f"You already {status} this invite."
    if status == "accepted":
        return row, changed, "You accepted this invite: create your pay app before the due date."
    return row, changed, "You declined this invite: no pay app will be created for this period."


# --- Pay apps: output ----------------------------------------------------------------------------


@extend_schema_serializer(component_name="G702")
class G702Output(serializers.Serializer):
    """The Application and Certificate for Payment (DOMAIN.md §5.3), lines 1 to 9, with the
    change-order summary (deductions are positive amounts)."""

    original_contract_sum = MoneyField(help_text="1: Σ original SOV values.")
    net_change_by_change_orders = MoneyField(help_text="2: Σ approved change orders.")
    contract_sum_to_date = MoneyField(help_text="3 = 1 + 2 = Σ C.")
    total_completed_and_stored_to_date = MoneyField(help_text="4 = Σ G.")
    retainage_on_completed_work = MoneyField(help_text="5a.")
    retainage_on_stored_materials = MoneyField(help_text="5b.")
    total_retainage = MoneyField(help_text="5 = 5a + 5b = Σ line retainage held.")
    total_earned_less_retainage = MoneyField(help_text="6 = 4 − 5.")
    less_previous_certificates = MoneyField(help_text="7: line 6 of the previous pay app.")
    current_payment_due = MoneyField(help_text="8 = 6 − 7.")
    balance_to_finish_including_retainage = MoneyField(help_text="9 = 3 − 6.")
    co_additions_previous = MoneyField()
    co_deductions_previous = MoneyField()
    co_additions_this_period = MoneyField()
    co_deductions_this_period = MoneyField()
    co_additions_total = MoneyField()
    co_deductions_total = MoneyField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """Every field is an amount of the same name: the dict is built directly."""
        return {name: money_text(getattr(instance, name)) for name in G702_FIELDS}


@extend_schema_serializer(component_name="PayAppLine")
class PayAppLineOutput(serializers.Serializer):
    """One G703 row (a `selectors.Row`): the stored inputs and the computed columns."""

    id = serializers.IntegerField(source="line.pk")
    item_number = serializers.CharField(source="line.item_number")
    description = serializers.CharField(source="line.description")
    cost_code = serializers.CharField(source="line.cost_code")
    scheduled_value = MoneyField(source="result.scheduled_value", help_text="C.")
    work_completed_previous = MoneyField(
        source="result.work_completed_previous", help_text="D: the previous pay app's D + E."
    )
    work_completed_this_period = MoneyField(
        source="result.work_completed_this_period", help_text="E."
    )
    materials_presently_stored = MoneyField(
        source="result.materials_presently_stored", help_text="F: not in D or E."
    )
    total_completed_and_stored = MoneyField(
        source="result.total_completed_and_stored", help_text="G = D + E + F."
    )
    percent_complete = PercentCompleteField(source="result.percent_complete", help_text="G / C.")
    balance_to_finish = MoneyField(source="result.balance_to_finish", help_text="H = C − G.")
    retainage_work_percent = PercentField(source="line.retainage_work_percent")
    retainage_stored_percent = PercentField(source="line.retainage_stored_percent")
    retainage_held = MoneyField(
        source="result.retainage_held", help_text="Held to date, after releases."
    )
    retainage_released_this_period = MoneyField(source="result.retainage_released_this_period")
    review_status = serializers.ChoiceField(
        source="line.review_status", choices=PayAppLine.ReviewStatus.choices
    )
    review_reason = serializers.CharField(source="line.review_reason")
    is_change_order = serializers.BooleanField(source="line.is_change_order")
    quantity_this_period = QuantityField(source="line.quantity_this_period", allow_null=True)
    unit_price = QuantityField(source="line.unit_price", allow_null=True)
    claimed_work_this_period = MoneyField(
        source="line.claimed_work_this_period",
        allow_null=True,
        help_text="E as the vendor last submitted it (null before the first submission).",
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return g703_rows([instance])[0]


#: The G702 fields, in the order of `G702Output` (each an amount read from the attribute of the
#: same name of `calculations.G702`).
G702_FIELDS: tuple[str, ...] = tuple(G702Output._declared_fields)


def g703_rows(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """`PayAppLineOutput` of each row, built as plain dicts: what DRF's field-by-field
    serialization gives (same keys in the same order, same values), for thousands of rows at
    a time, a column of figures formatted at once. Kept next to the declaration it mirrors;
    tests/api/test_pay_app_api_speed.py holds the two to the same answer."""
    rows = list(rows)
    lines = [row.line for row in rows]
    results = [row.result for row in rows]

    def money_column(name: str) -> list[str]:
        return money_texts([getattr(result, name) for result in results])

    def optional(values: list[Any], texts: Callable[[list[Any]], list[str]]) -> list[str | None]:
        shown = iter(texts([value for value in values if value is not None]))
        return [None if value is None else next(shown) for value in values]

    columns = zip(
        lines,
        money_column("scheduled_value"),
        money_column("work_completed_previous"),
        money_column("work_completed_this_period"),
        money_column("materials_presently_stored"),
        money_column("total_completed_and_stored"),
        rate_texts([result.percent_complete for result in results]),
        money_column("balance_to_finish"),
        rate_texts([line.retainage_work_percent for line in lines]),
        rate_texts([line.retainage_stored_percent for line in lines]),
        money_column("retainage_held"),
        money_column("retainage_released_this_period"),
        optional([line.quantity_this_period for line in lines], rate_texts),
        optional([line.unit_price for line in lines], rate_texts),
        optional([line.claimed_work_this_period for line in lines], money_texts),
        strict=True,
    )
    return [
        {
            "id": line.pk,
            "item_number": line.item_number,
            "description": line.description,
            "cost_code": line.cost_code,
            "scheduled_value": scheduled,
            "work_completed_previous": previous,
            "work_completed_this_period": this_period,
            "materials_presently_stored": stored,
            "total_completed_and_stored": total,
            "percent_complete": percent_complete,
            "balance_to_finish": balance,
            "retainage_work_percent": work_rate,
            "retainage_stored_percent": stored_rate,
            "retainage_held": held,
            "retainage_released_this_period": released,
            "review_status": line.review_status,
            "review_reason": line.review_reason,
            "is_change_order": line.is_change_order,
            "quantity_this_period": quantity,
            "unit_price": unit_price,
            "claimed_work_this_period": claimed,
        }
        for (
            line,
            scheduled,
            previous,
            this_period,
            stored,
            total,
            percent_complete,
            balance,
            work_rate,
            stored_rate,
            held,
            released,
            quantity,
            unit_price,
            claimed,
        ) in columns
    ]


class _FiguresMixin:
    """The figures of each pay app, computed once from its prefetched lines (no query), or
    taken from `context["figures"]` when the caller already has them (a service that just
    computed them to check an edit)."""

    def figures(self, pay_app: PayApp) -> Figures:
        cache: dict[int, Figures] = self.__dict__.setdefault("_figures", {})
        if pay_app.pk not in cache:
            given: Figures | None = getattr(self, "context", {}).get("figures")
            if given is not None and given.pay_app.pk == pay_app.pk:
                cache[pay_app.pk] = given
            else:
                cache[pay_app.pk] = figures_for_lines(pay_app, list(pay_app.lines.all()))
        return cache[pay_app.pk]


class _PayAppBase(_FiguresMixin, serializers.ModelSerializer):
    """What a pay app row and a pay app detail share.

    `payment_status` compares the pay app's payments with its current payment due (G702 line
    8) by `services.payments.payment_status`. The payments of every pay app being shown (a
    page, or the one) are summed in one query, so a page costs the same queries at any size.
    """

    commitment = serializers.IntegerField(source="contract_id")
    billing_period = serializers.IntegerField(source="billing_period_id")
    payment_status = serializers.SerializerMethodField()
    erp_status = serializers.SerializerMethodField()

    class Meta:
        model = PayApp
        fields = [
            "id",
            "number",
            "status",
            "invoice_type",
            "invoice_number",
            "billing_date",
            "commitment",
            "billing_period",
            "version",
            "payment_status",
            "erp_status",
            "submitted_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=PAYMENT_STATUS_CHOICES))
    def get_payment_status(self, pay_app: PayApp) -> str:
        due = self.figures(pay_app).g702.current_payment_due
        return payment_status(pay_app, self.paid_total(pay_app), due)

    def paid_total(self, pay_app: PayApp) -> Decimal:
        """Σ payments of `pay_app`, summed with those of the rest of the page in one query."""
        cache: dict[int, Decimal] = self.__dict__.setdefault("_paid", {})
        if pay_app.pk not in cache:
            shown = (
                self.parent.instance
                if isinstance(self.parent, serializers.ListSerializer)
                else None
            )
            ids = [p.pk for p in shown] if isinstance(shown, list) else []
            cache.update(payments_paid_totals([*ids, pay_app.pk]))
        return cache[pay_app.pk]

    @extend_schema_field(serializers.ChoiceField(choices=ERP_STATUS_CHOICES, allow_null=True))
    def get_erp_status(self, pay_app: PayApp) -> str | None:
        return pay_app.erp_status or None


@extend_schema_serializer(component_name="PayApp")
class PayAppOutput(_PayAppBase):
    """A pay app as listed, with the two figures a list shows."""

    commitment_number = serializers.CharField(source="contract.number")
    vendor = serializers.IntegerField(source="contract.counterparty_id")
    vendor_name = serializers.CharField(source="contract.counterparty.name")
    current_payment_due = serializers.SerializerMethodField()
    work_completed_this_period = serializers.SerializerMethodField()

    class Meta(_PayAppBase.Meta):
        fields = [
            *_PayAppBase.Meta.fields,
            "commitment_number",
            "vendor",
            "vendor_name",
            "current_payment_due",
            "work_completed_this_period",
        ]

    def summary(self, pay_app: PayApp) -> Summary:
        """The pay app's stored G702 summary (sitebill/billing/summaries.py), those of the whole
        page read at once: a list loads no lines unless a summary is stale."""
        cache: dict[int, Summary] = self.__dict__.setdefault("_summaries", {})
        if pay_app.pk not in cache:
            shown = (
                self.parent.instance
                if isinstance(self.parent, serializers.ListSerializer)
                else None
            )
            page = [p for p in shown if p.pk != pay_app.pk] if isinstance(shown, list) else []
            cache.update(summaries([*page, pay_app]))
        return cache[pay_app.pk]

    @extend_schema_field(serializers.ChoiceField(choices=PAYMENT_STATUS_CHOICES))
    def get_payment_status(self, pay_app: PayApp) -> str:
        due = self.summary(pay_app).current_payment_due
        return payment_status(pay_app, self.paid_total(pay_app), due)

    @extend_schema_field(MoneyField(help_text="G702 line 8."))
    def get_current_payment_due(self, pay_app: PayApp) -> str:
        return MoneyField().to_representation(self.summary(pay_app).current_payment_due)

    @extend_schema_field(MoneyField(help_text="Σ E of the G703."))
    def get_work_completed_this_period(self, pay_app: PayApp) -> str:
        return MoneyField().to_representation(self.summary(pay_app).work_completed_this_period)


@extend_schema_serializer(component_name="PayAppDetail")
class PayAppDetailOutput(_PayAppBase):
    """A pay app with its G702 summary, its G703 rows and the warnings of its figures
    (overbilled lines when the project warns)."""

    created_by = PersonOutput()
    on_behalf_of = PersonOutput(allow_null=True)
    g702 = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta(_PayAppBase.Meta):
        fields = [
            *_PayAppBase.Meta.fields,
            "review_comment",
            "created_by",
            "on_behalf_of",
            "g702",
            "lines",
            "warnings",
        ]

    @extend_schema_field(G702Output)
    def get_g702(self, pay_app: PayApp) -> dict[str, Any]:
        return G702Output().to_representation(self.figures(pay_app).g702)

    @extend_schema_field(PayAppLineOutput(many=True))
    def get_lines(self, pay_app: PayApp) -> list[Any]:
        return g703_rows(self.figures(pay_app).rows)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, pay_app: PayApp) -> list[str]:
        return list(self.figures(pay_app).warnings)


@dataclass(frozen=True)
class LineEditAnswer:
    """What a line edit answers: the figures the service computed to check it (with the
    edits), and the ids of the lines edited."""

    figures: Figures
    line_ids: Sequence[int]

    def changed_rows(self) -> list[Row]:
        """The rows whose figures the edit can have changed: the edited lines; every line on
        a sliding scale, whose amount held is spread over all the lines."""
        rows = self.figures.rows
        if self.figures.pay_app.contract.retainage_rules:
            return list(rows)
        wanted = set(self.line_ids)
        return [row for row in rows if row.line.pk in wanted]


@extend_schema_serializer(component_name="PayAppLineEdited")
class LineEditOutput(serializers.Serializer):
    """The answer to a line edit: what it changed, not the whole pay app. `lines` holds the
    edited line as a G703 row; when the commitment has sliding-scale retainage rules it holds
    every line, since the amount held is then spread over all of them. Read the whole pay app
    with `GET /api/v1/pay-apps/{id}/`."""

    id = serializers.IntegerField(help_text="The pay app's id.")
    version = serializers.IntegerField(
        help_text="The pay app's new `version`: send it with the next edit."
    )
    g702 = G702Output(help_text="The G702 with the edit.")
    lines = PayAppLineOutput(many=True)
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Of the whole pay app: overbilled lines when the project warns.",
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        answer: LineEditAnswer = instance
        figures = answer.figures
        return {
            "id": figures.pay_app.pk,
            "version": figures.pay_app.version,
            "g702": G702Output().to_representation(figures.g702),
            "lines": g703_rows(answer.changed_rows()),
            "warnings": list(figures.warnings),
        }


class PayAppFilters(serializers.Serializer):
    """The filters of a project's pay app list (query parameters)."""

    billing_period = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=PayApp.Status.choices, required=False)
    vendor = serializers.IntegerField(
        required=False, min_value=1, help_text="The id of the vendor company."
    )


# --- Pay apps: input -----------------------------------------------------------------------------


@extend_schema_serializer(component_name="PayAppCreate")
class PayAppCreateInput(InputSerializer):
    billing_period = serializers.IntegerField(
        min_value=1, help_text="The id of the project's Open billing period."
    )
    invoice_number = serializers.CharField(
        max_length=50, required=False, default="", allow_blank=True
    )
    billing_date = serializers.DateField(
        required=False, default=None, allow_null=True, help_text="Defaults to today."
    )
    invoice_type = serializers.ChoiceField(
        choices=InvoiceType.choices,
        required=False,
        default=None,
        allow_null=True,
        help_text="Defaults to the invite's invoice type, else work_and_materials.",
    )
    on_behalf_of = serializers.IntegerField(
        required=False,
        default=None,
        allow_null=True,
        min_value=1,
        help_text="Standard and Admin users: the payment application contact it is created "
        "for. Ignored for a contact (a contact creates its own).",
    )


class _WholeBody(InputSerializer):
    """A PATCH body that is validated whole, never partially (`parse` does so): `version` is
    required and the other fields are optional because they are declared so. Saying so here
    keeps the OpenAPI schema from documenting every field of a PATCH as optional."""

    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass


def _version() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        help_text="The pay app's `version` you last read; a stale one is refused with 409.",
    )


@extend_schema_serializer(component_name="PayAppUpdate")
class PayAppUpdateInput(_WholeBody):
    version = _version()
    invoice_number = serializers.CharField(max_length=50, required=False, allow_blank=True)
    billing_date = serializers.DateField(required=False)


class VersionQuery(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The pay app's `version` you last read."
    )


class _LineChangeFields(_WholeBody):
    """What one line's edit may change (leave out what stays). Send an amount
    (`work_completed_this_period`) or a `percent_complete` to date, not both."""

    work_completed_this_period = MoneyField(required=False, help_text="E.")
    percent_complete = PercentCompleteField(
        required=False, help_text="% complete to date: E = round(% × C) − D."
    )
    materials_presently_stored = MoneyField(
        required=False, help_text="F: the balance still stored at period end."
    )
    retainage_work_percent = PercentField(required=False, help_text="Standard and Admin only.")
    retainage_stored_percent = PercentField(required=False, help_text="Standard and Admin only.")
    retainage_released_this_period = MoneyField(
        required=False,
        help_text="Admin, or the vendor on a work_materials_and_retainage or retainage_release "
        "invoice.",
    )
    quantity_this_period = QuantityField(
        required=False, help_text="Unit-priced lines: E = quantity × unit price unless E is sent."
    )


@extend_schema_serializer(component_name="PayAppLineUpdate")
class LineUpdateInput(_LineChangeFields):
    version = _version()


@extend_schema_serializer(component_name="PayAppLineEdit")
class LineEditInput(_LineChangeFields):
    id = serializers.IntegerField(min_value=1, help_text="The id of the pay app line.")


@extend_schema_serializer(component_name="PayAppLinesUpdate")
class LinesUpdateInput(InputSerializer):
    version = _version()
    lines = LineEditInput(many=True, allow_empty=False)


@extend_schema_serializer(component_name="PayAppRetainage")
class RetainageInput(InputSerializer):
    version = _version()
    work_percent = PercentField(help_text="The retainage rate on work, for every line.")
    stored_percent = PercentField(help_text="The retainage rate on stored materials.")


@extend_schema_serializer(component_name="PayAppRetainageRelease")
class ReleaseRetainageInput(InputSerializer):
    version = _version()
    amount = MoneyField(required=False, help_text="An amount of the retainage held; or")
    percent = PercentField(required=False, help_text="a percentage of the retainage held.")


@extend_schema_serializer(component_name="PayAppSubmit")
class SubmitInput(InputSerializer):
    version = serializers.IntegerField(min_value=1, required=False, default=None, allow_null=True)


@extend_schema_serializer(component_name="LineReview")
class LineReviewInput(InputSerializer):
    id = serializers.IntegerField(min_value=1, help_text="The id of the pay app line.")
    status = serializers.ChoiceField(choices=PayAppLine.ReviewStatus.choices)
    reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="Required to reject a line."
    )


@extend_schema_serializer(component_name="PayAppReview")
class ReviewInput(InputSerializer):
    version = _version()
    status = serializers.ChoiceField(choices=REVIEW_OUTCOME_CHOICES)
    comment = serializers.CharField(required=False, default="", allow_blank=True)
    lines = LineReviewInput(many=True, required=False, default=list)


@extend_schema_serializer(component_name="PayAppStatusCorrection")
class StatusInput(InputSerializer):
    version = _version()
    status = serializers.ChoiceField(choices=PayApp.Status.choices)
    reason = serializers.CharField(allow_blank=True, help_text="Why; kept in the history.")


# --- History -------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Event")
class EventOutput(serializers.ModelSerializer):
    """One step of an object's history: who did what, when, with the values before and after."""

    actor = PersonOutput(allow_null=True)
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        help_text='{field: [from, to]}, e.g. {"status": ["draft", "under_review"]}.',
    )

    class Meta:
        model = Event
        fields = ["id", "created_at", "actor", "action", "changes", "reason"]


# --- MC/Client payment applications (upstream, DOMAIN.md §5.5) ----------------------------------


@extend_schema_serializer(component_name="ClientPayAppCreate")
class ClientPayAppCreateInput(InputSerializer):
    billing_period = serializers.IntegerField(
        min_value=1, help_text="The id of the project's Open billing period."
    )
    prefill = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Prefill E and F of each client line with the sums of the period's Approved, "
        "Approved as Noted and Pending Owner Approval progress billings, matched by cost code "
        "(a client code takes the sub codes that start with it; the longest code wins).",
    )
    include_retainage = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With `prefill`: carry the sub lines' retainage released this period, and "
        "their rates when they all agree; the invoice type is then "
        "work_materials_and_retainage.",
    )
    invoice_number = serializers.CharField(
        max_length=50, required=False, default="", allow_blank=True
    )
    billing_date = serializers.DateField(
        required=False, default=None, allow_null=True, help_text="Defaults to today."
    )


@extend_schema_serializer(component_name="ClientPayApp")
class ClientPayAppOutput(PayAppOutput):
    """A client pay app as listed."""

    client_contract = serializers.IntegerField(source="contract_id")
    client = serializers.IntegerField(source="contract.counterparty_id")
    client_name = serializers.CharField(source="contract.counterparty.name")

    class Meta(PayAppOutput.Meta):
        fields = [*PayAppOutput.Meta.fields, "client_contract", "client", "client_name"]


@extend_schema_serializer(component_name="ClientPayAppSource")
class ClientPayAppSourceOutput(serializers.Serializer):
    """A progress billing the client pay app was prefilled from. A source on a private
    commitment you may not see shows only its versions (`private` true, the ids null)."""

    pay_app = serializers.IntegerField(allow_null=True)
    pay_app_number = serializers.IntegerField(allow_null=True)
    commitment = serializers.IntegerField(allow_null=True)
    commitment_number = serializers.CharField()
    vendor = serializers.IntegerField(allow_null=True)
    vendor_name = serializers.CharField()
    status = serializers.ChoiceField(choices=PayApp.Status.choices, allow_null=True)
    version_used = serializers.IntegerField(help_text="The source's version the prefill used.")
    current_version = serializers.IntegerField()
    changed = serializers.BooleanField(
        help_text="The source changed since the prefill (current_version > version_used)."
    )
    private = serializers.BooleanField()


@extend_schema_serializer(component_name="ClientPayAppSourceLine")
class SourceLineOutput(serializers.Serializer):
    """A line of a source progress billing and what it bills this period."""

    pay_app = serializers.IntegerField(allow_null=True)
    commitment = serializers.IntegerField(allow_null=True)
    commitment_number = serializers.CharField()
    line = serializers.IntegerField(allow_null=True, help_text="The sub pay app line's id.")
    item_number = serializers.CharField()
    description = serializers.CharField()
    cost_code = serializers.CharField()
    work_completed_this_period = MoneyField(help_text="E.")
    materials_presently_stored = MoneyField(help_text="F.")
    retainage_this_period = MoneyField()
    retainage_released_this_period = MoneyField()
    private = serializers.BooleanField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """A row of `_source_line_row` (the fields' order, ids, texts and a flag already as
        the fields write them) with its amounts written: thousands of rows, built directly."""
        row: dict[str, Any] = instance
        return {
            **row,
            "work_completed_this_period": money_text(row["work_completed_this_period"]),
            "materials_presently_stored": money_text(row["materials_presently_stored"]),
            "retainage_this_period": money_text(row["retainage_this_period"]),
            "retainage_released_this_period": money_text(row["retainage_released_this_period"]),
        }


@extend_schema_serializer(component_name="ClientPayAppLineSources")
class LineSourcesOutput(serializers.Serializer):
    """A client line and the source lines its cost code takes, with their sums now."""

    line = serializers.IntegerField(help_text="The client pay app line's id.")
    item_number = serializers.CharField()
    cost_code = serializers.CharField()
    work_completed_this_period = MoneyField(help_text="Σ E of the source lines now.")
    materials_presently_stored = MoneyField(help_text="Σ F of the source lines now.")
    sources = SourceLineOutput(many=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        row: dict[str, Any] = instance
        source_line = SourceLineOutput().to_representation
        return {
            "line": row["line"],
            "item_number": row["item_number"],
            "cost_code": row["cost_code"],
            "work_completed_this_period": money_text(row["work_completed_this_period"]),
            "materials_presently_stored": money_text(row["materials_presently_stored"]),
            "sources": [source_line(source) for source in row["sources"]],
        }


def _source_row(source: PayApp, visible: set[int]) -> dict[str, Any]:
    shown = source.contract_id in visible
    return {
        "pay_app": source.pk if shown else None,
        "pay_app_number": source.number if shown else None,
        "commitment": source.contract_id if shown else None,
        "commitment_number": source.contract.number if shown else "",
        "vendor": source.contract.counterparty_id if shown else None,
        "vendor_name": source.contract.counterparty.name if shown else "",
        "private": not shown,
    }


def _source_line_row(contribution: Any, visible: set[int]) -> dict[str, Any]:
    shown = contribution.source.contract_id in visible
    line = contribution.line
    return {
        "pay_app": contribution.source.pk if shown else None,
        "commitment": contribution.source.contract_id if shown else None,
        "commitment_number": contribution.source.contract.number if shown else "",
        "line": line.pk if shown else None,
        "item_number": line.item_number if shown else "",
        "description": line.description if shown else "",
        "cost_code": line.cost_code,
        "work_completed_this_period": contribution.work_completed_this_period,
        "materials_presently_stored": contribution.materials_presently_stored,
        "retainage_this_period": contribution.retainage_this_period,
        "retainage_released_this_period": contribution.retainage_released_this_period,
        "private": not shown,
    }


@extend_schema_serializer(component_name="ClientPayAppDetail")
class ClientPayAppDetailOutput(PayAppDetailOutput):
    """A client pay app: the pay app detail, plus the progress billings it was prefilled from
    (`sources`, each flagged when it changed since), the source lines each client line takes
    (`line_sources`) and the source lines no client line takes (`unmatched`: never dropped).

    Needs `context["sources"]` (`upstream.selectors.SourcesView`) and `context["visible"]`
    (the ids of the commitments the reader may see).
    """

    client_contract = serializers.IntegerField(source="contract_id")
    client = serializers.IntegerField(source="contract.counterparty_id")
    client_name = serializers.CharField(source="contract.counterparty.name")
    sources = serializers.SerializerMethodField()
    line_sources = serializers.SerializerMethodField()
    unmatched = serializers.SerializerMethodField()

    class Meta(PayAppDetailOutput.Meta):
        fields = [
            *PayAppDetailOutput.Meta.fields,
            "client_contract",
            "client",
            "client_name",
            "sources",
            "line_sources",
            "unmatched",
        ]

    @extend_schema_field(ClientPayAppSourceOutput(many=True))
    def get_sources(self, pay_app: PayApp) -> list[Any]:
        visible: set[int] = self.context["visible"]
        rows = []
        for use in self.context["sources"].uses:
            row = _source_row(use.source, visible)
            row.update(
                status=use.source.status if not row["private"] else None,
                version_used=use.version_used,
                current_version=use.current_version,
                changed=use.changed,
            )
            rows.append(row)
        return list(ClientPayAppSourceOutput(rows, many=True).data)

    @extend_schema_field(LineSourcesOutput(many=True))
    def get_line_sources(self, pay_app: PayApp) -> list[Any]:
        visible: set[int] = self.context["visible"]
        rows = [
            {
                "line": plan_line.client.line.pk if plan_line.client.line else 0,
                "item_number": plan_line.client.item_number,
                "cost_code": plan_line.client.cost_code,
                "work_completed_this_period": plan_line.work_completed_this_period,
                "materials_presently_stored": plan_line.materials_presently_stored,
                "sources": [_source_line_row(c, visible) for c in plan_line.contributions],
            }
            for plan_line in self.context["sources"].plan.lines
        ]
        return list(LineSourcesOutput(rows, many=True).data)

    @extend_schema_field(SourceLineOutput(many=True))
    def get_unmatched(self, pay_app: PayApp) -> list[Any]:
        visible: set[int] = self.context["visible"]
        rows = [_source_line_row(c, visible) for c in self.context["sources"].plan.unmatched]
        return list(SourceLineOutput(rows, many=True).data)
