"""Serializers for setting a project up: companies, users, projects, members, contracts, periods.

`*Input` serializers parse a request body into the keyword arguments of a service (field names
follow API.md, e.g. a commitment's `vendor` becomes the service's `counterparty`); `*Output`
serializers shape models into API.md's JSON. Neither checks a business rule: uniqueness, who may
do what and which status may follow which are the services' to refuse.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.api.fields import (
    MONEY_PATTERN,
    PERCENT_PATTERN,
    MoneyField,
    PercentField,
    QuantityField,
)
from sitebill.api.serializers import InputSerializer
from sitebill.billing.calculations import MAX_RETAINAGE_RULES, RETAINAGE_LIMITS
from sitebill.billing.models import BillingPeriod
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine

# The kinds each contract endpoint accepts and shows (named in settings ENUM_NAME_OVERRIDES).
COMMITMENT_KIND_CHOICES = [(kind.value, kind.label) for kind in Contract.COMMITMENT_KINDS]
CLIENT_CONTRACT_KIND_CHOICES = [(Contract.Kind.CLIENT.value, Contract.Kind.CLIENT.label)]


# --- Companies and users -----------------------------------------------------------------------


@extend_schema_serializer(component_name="Company")
class CompanyInput(InputSerializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Company.Kind.choices)


@extend_schema_serializer(component_name="Company")
class CompanyOutput(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name", "kind"]


@extend_schema_serializer(component_name="User")
class UserInput(InputSerializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    password = serializers.CharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Optional: without one the user cannot log in until a password is set.",
    )
    is_company_admin = serializers.BooleanField(required=False, default=False)


@extend_schema_serializer(component_name="User")
class UserOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "company", "is_company_admin"]


@extend_schema_serializer(component_name="Person")
class PersonOutput(serializers.ModelSerializer):
    """A user named somewhere (a contact, a member): who it is, not how it is set up."""

    class Meta:
        model = User
        fields = ["id", "email", "name"]


# --- Projects and members ----------------------------------------------------------------------


class ProjectSettingsSerializer(InputSerializer):
    """DOMAIN.md §2 and §5.4. On input every setting is optional: what is left out keeps its
    default (on create) or its value (on update)."""

    overbilling = serializers.ChoiceField(choices=Project.Overbilling.choices, required=False)
    rounding = serializers.ChoiceField(choices=Project.Rounding.choices, required=False)
    move_stored_to_previous = serializers.BooleanField(required=False)
    invite_message = serializers.CharField(required=False, allow_blank=True)
    reminder_days_before_due = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=365
    )
    period_frequency = serializers.ChoiceField(
        choices=Project.PeriodFrequency.choices, required=False
    )
    due_days_after_period_end = serializers.IntegerField(required=False, min_value=0, max_value=365)


@extend_schema_serializer(component_name="Project")
class ProjectInput(InputSerializer):
    name = serializers.CharField(max_length=200)
    number = serializers.CharField(max_length=50)
    address = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    contractor = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    client = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False, allow_null=True, default=None
    )
    currency = serializers.ChoiceField(
        choices=Project.Currency.choices, required=False, default=Project.Currency.USD
    )
    settings = ProjectSettingsSerializer(required=False, default=dict)


@extend_schema_serializer(component_name="Project")
class ProjectOutput(serializers.ModelSerializer):
    settings = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "name", "number", "address", "contractor", "client", "currency", "settings"]

    @extend_schema_field(ProjectSettingsSerializer)
    def get_settings(self, project: Project) -> dict[str, Any]:
        return {
            "overbilling": project.overbilling,
            "rounding": project.rounding,
            "move_stored_to_previous": project.move_stored_to_previous,
            "invite_message": project.invite_message,
            "reminder_days_before_due": project.reminder_days_before_due,
            "period_frequency": project.period_frequency,
            "due_days_after_period_end": project.due_days_after_period_end,
        }


@extend_schema_serializer(component_name="Membership")
class MembershipInput(InputSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    permission = serializers.ChoiceField(choices=Membership.Permission.choices)


@extend_schema_serializer(component_name="Membership")
class MembershipOutput(serializers.ModelSerializer):
    user = PersonOutput(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "permission"]


# --- Contracts: SOV, retainage rules, change orders ---------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "description": 'An amount like "20000.00" when `until` is "amount_held", otherwise a '
        f'percentage like "50.00" ({MONEY_PATTERN} or {PERCENT_PATTERN}).',
        "example": "50.00",
    }
)
class _RuleLimitField(serializers.Field):
    """The raw string of a rule's limit: whether it is an amount or a percentage depends on
    `until`, so `RetainageRuleSerializer.validate` parses it."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class RetainageRuleSerializer(InputSerializer):
    """`{"rate": "10.00", "until": "percent_complete", "limit": "50.00"}` (API.md)."""

    rate = PercentField()
    until = serializers.ChoiceField(choices=[(kind, kind) for kind in RETAINAGE_LIMITS])
    limit = _RuleLimitField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        is_amount = attrs["until"] == "amount_held"
        limit_field = MoneyField() if is_amount else PercentField()
        try:
            attrs["limit"] = limit_field.run_validation(attrs["limit"])
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"limit": error.detail}) from None
        return attrs

    def to_representation(self, instance: Any) -> dict[str, Any]:
        # Stored as JSON on the contract: `{"rate": "10.00", "until": ..., "limit": ...}`.
        limit_field = MoneyField() if instance["until"] == "amount_held" else PercentField()
        return {
            "rate": PercentField().to_representation(Decimal(str(instance["rate"]))),
            "until": instance["until"],
            "limit": limit_field.to_representation(Decimal(str(instance["limit"]))),
        }


@extend_schema_serializer(component_name="SOVLine")
class SOVLineInput(InputSerializer):
    item_number = serializers.CharField(max_length=30)
    description = serializers.CharField(max_length=300)
    cost_code = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    scheduled_value = MoneyField(
        required=False,
        help_text="Required on an amount-based contract; on a unit-based one it is quantity × "
        "unit price (rounded half up to the cent) and may be left out.",
    )
    quantity = QuantityField(required=False, allow_null=True)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    unit_price = QuantityField(required=False, allow_null=True)


@extend_schema_serializer(component_name="SOVLine")
class SOVLineOutput(serializers.ModelSerializer):
    scheduled_value = MoneyField()
    quantity = QuantityField(allow_null=True)
    unit_price = QuantityField(allow_null=True)

    class Meta:
        model = SOVLine
        fields = [
            "id",
            "item_number",
            "description",
            "cost_code",
            "scheduled_value",
            "quantity",
            "unit",
            "unit_price",
        ]


@extend_schema_serializer(component_name="ChangeOrderLine")
class ChangeOrderLineInput(InputSerializer):
    item_number = serializers.CharField(max_length=30)
    description = serializers.CharField(max_length=300)
    cost_code = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    amount = MoneyField(help_text="May be negative: a deductive change.")


@extend_schema_serializer(component_name="ChangeOrderLine")
class ChangeOrderLineOutput(serializers.ModelSerializer):
    amount = MoneyField()

    class Meta:
        model = ChangeOrderLine
        fields = ["id", "item_number", "description", "cost_code", "amount"]


@extend_schema_serializer(component_name="ChangeOrder")
class ChangeOrderInput(InputSerializer):
    number = serializers.CharField(max_length=30)
    title = serializers.CharField(max_length=200)
    status = serializers.ChoiceField(
        choices=ChangeOrder.Status.choices, required=False, default=ChangeOrder.Status.DRAFT
    )
    lines = ChangeOrderLineInput(many=True)


@extend_schema_serializer(component_name="ChangeOrderStatus")
class ChangeOrderStatusInput(InputSerializer):
    status = serializers.ChoiceField(choices=ChangeOrder.Status.choices)


@extend_schema_serializer(component_name="ChangeOrder")
class ChangeOrderOutput(serializers.ModelSerializer):
    lines = ChangeOrderLineOutput(many=True, read_only=True)

    class Meta:
        model = ChangeOrder
        fields = ["id", "number", "title", "status", "lines"]


@extend_schema_serializer(component_name="Contact")
class ContactInput(InputSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())


class _ContractInput(InputSerializer):
    """The fields commitments and client contracts share; the counterparty is named by each."""

    number = serializers.CharField(max_length=50)
    title = serializers.CharField(max_length=200)
    status = serializers.ChoiceField(
        choices=Contract.Status.choices, required=False, default=Contract.Status.DRAFT
    )
    executed = serializers.BooleanField(required=False, default=False)
    private = serializers.BooleanField(required=False, default=False)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    retainage_work_percent = PercentField(required=False, default=Decimal("0"))
    retainage_stored_percent = PercentField(required=False, default=Decimal("0"))
    retainage_rules = RetainageRuleSerializer(
        many=True,
        required=False,
        default=list,
        help_text=f"Sliding-scale retainage, at most {MAX_RETAINAGE_RULES} rules applied in "
        "order; empty: the flat rates.",
    )
    stored_materials_enabled = serializers.BooleanField(required=False, default=True)
    accounting_method = serializers.ChoiceField(
        choices=Contract.AccountingMethod.choices,
        required=False,
        default=Contract.AccountingMethod.AMOUNT,
    )
    lines = SOVLineInput(many=True, required=False, default=list)


@extend_schema_serializer(component_name="Commitment")
class CommitmentInput(_ContractInput):
    kind = serializers.ChoiceField(choices=COMMITMENT_KIND_CHOICES)
    vendor = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())

    field_order = ["kind", "number", "title", "vendor"]


@extend_schema_serializer(component_name="ClientContract")
class ClientContractInput(_ContractInput):
    client = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())


class _ContractOutput(serializers.ModelSerializer):
    retainage_work_percent = PercentField()
    retainage_stored_percent = PercentField()
    retainage_rules = RetainageRuleSerializer(many=True)
    contract_value = MoneyField(
        help_text="Σ original SOV lines + Σ lines of approved change orders (DOMAIN.md §5.3)."
    )
    lines = SOVLineOutput(many=True)

    class Meta:
        model = Contract
        fields: list[str] = []  # each subclass names its counterparty: `vendor` or `client`


def _contract_fields(counterparty: str) -> list[str]:
    return [
        "id",
        "project",
        "kind",
        "number",
        "title",
        counterparty,
        "status",
        "executed",
        "private",
        "description",
        "retainage_work_percent",
        "retainage_stored_percent",
        "retainage_rules",
        "stored_materials_enabled",
        "accounting_method",
        "contract_value",
        "lines",
    ]


@extend_schema_serializer(component_name="Commitment")
class CommitmentOutput(_ContractOutput):
    """A commitment as listed; `contract_value` comes from `contracts_with_values`."""

    kind = serializers.ChoiceField(choices=COMMITMENT_KIND_CHOICES, read_only=True)
    vendor: serializers.PrimaryKeyRelatedField[Company] = serializers.PrimaryKeyRelatedField(
        source="counterparty", read_only=True
    )

    class Meta(_ContractOutput.Meta):
        fields = _contract_fields("vendor")


@extend_schema_serializer(component_name="CommitmentDetail")
class CommitmentDetailOutput(CommitmentOutput):
    change_orders = ChangeOrderOutput(many=True)
    contacts = PersonOutput(many=True)

    class Meta(CommitmentOutput.Meta):
        fields = [*CommitmentOutput.Meta.fields, "change_orders", "contacts"]


@extend_schema_serializer(component_name="ClientContract")
class ClientContractOutput(_ContractOutput):
    kind = serializers.ChoiceField(choices=CLIENT_CONTRACT_KIND_CHOICES, read_only=True)
    client: serializers.PrimaryKeyRelatedField[Company] = serializers.PrimaryKeyRelatedField(
        source="counterparty", read_only=True
    )

    class Meta(_ContractOutput.Meta):
        fields = _contract_fields("client")


@extend_schema_serializer(component_name="ClientContractDetail")
class ClientContractDetailOutput(ClientContractOutput):
    change_orders = ChangeOrderOutput(many=True)

    class Meta(ClientContractOutput.Meta):
        fields = [*ClientContractOutput.Meta.fields, "change_orders"]


# --- Billing periods ---------------------------------------------------------------------------


@extend_schema_serializer(component_name="BillingPeriod")
class BillingPeriodInput(InputSerializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    due_date = serializers.DateField()


@extend_schema_serializer(component_name="BillingPeriod")
class BillingPeriodOutput(serializers.ModelSerializer):
    class Meta:
        model = BillingPeriod
        fields = ["id", "number", "start_date", "end_date", "due_date", "status"]
