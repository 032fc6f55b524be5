"""Backup and restore of one project: everything it holds, in one JSON document (FORMAT.md).

`export.project_export_to_file` writes it; `restore.project_import_from_file` reads it back into
a database that does not have the project, and the G702/G703 figures come back the same.

The lists below are the format: each names, in order, the model fields an entry carries under
the same key (references to other objects are added by natural key, see FORMAT.md). Export and
import both read them, so the two cannot disagree.
"""

from __future__ import annotations

FORMAT_NAME = "sitebill-project"
FORMAT_VERSION = 1

COMPANY_FIELDS = ("name", "kind", "created_at")
USER_FIELDS = ("email", "name", "is_company_admin", "is_active", "date_joined")
PROJECT_FIELDS = (
    "number",
    "name",
    "address",
    "currency",
    "overbilling",
    "rounding",
    "move_stored_to_previous",
    "invite_message",
    "reminder_days_before_due",
    "period_frequency",
    "due_days_after_period_end",
    "created_at",
)
MEMBERSHIP_FIELDS = ("permission",)
CONTRACT_FIELDS = (
    "number",
    "kind",
    "title",
    "status",
    "executed",
    "private",
    "description",
    "retainage_work_percent",
    "retainage_stored_percent",
    "retainage_rules",
    "stored_materials_enabled",
    "accounting_method",
    "created_at",
)
SOV_LINE_FIELDS = (
    "position",
    "item_number",
    "description",
    "cost_code",
    "scheduled_value",
    "quantity",
    "unit",
    "unit_price",
)
CHANGE_ORDER_FIELDS = ("number", "title", "status", "approved_at", "created_at")
CHANGE_ORDER_LINE_FIELDS = ("item_number", "description", "cost_code", "amount")
BILLING_PERIOD_FIELDS = ("number", "start_date", "end_date", "due_date", "status", "created_at")
INVITE_FIELDS = ("status", "invoice_type", "sent_at", "responded_at")
PAY_APP_FIELDS = (
    "number",
    "invoice_number",
    "billing_date",
    "invoice_type",
    "status",
    "version",
    "submitted_at",
    "review_comment",
    "less_previous_certificates",
    "certified_earned_less_retainage",
    "erp_status",
    "created_at",
    "updated_at",
)
PAY_APP_LINE_FIELDS = (
    "position",
    "item_number",
    "description",
    "cost_code",
    "scheduled_value",
    "is_new_change_order",
    "work_completed_previous",
    "work_completed_this_period",
    "materials_presently_stored",
    "retainage_work_percent",
    "retainage_stored_percent",
    "retainage_released_previous",
    "retainage_released_this_period",
    "previous_retainage_held",
    "unit_price",
    "quantity_this_period",
    "review_status",
    "review_reason",
    "claimed_work_this_period",
    "claimed_materials_presently_stored",
)
PAY_APP_SOURCE_FIELDS = ("source_version", "created_at")
PAYMENT_FIELDS = ("date", "amount", "method", "reference", "created_at")
ATTACHMENT_FIELDS = ("name", "created_at")
ERP_EXPORT_FIELDS = (
    "format",
    "status",
    "file_name",
    "content",
    "reason",
    "created_at",
    "decided_at",
)
EVENT_FIELDS = ("created_at", "action", "changes", "reason")

#: An Event's target by natural key: `{"type": <model name>, <key>: <value>, ...}` with these
#: keys. A target that is not in the backup (deleted before the export) is
#: `{"type": ..., "missing": true, "source_id": <its id in the exported database>}`.
TARGET_KEYS: dict[str, tuple[str, ...]] = {
    "company": ("name", "kind"),
    "user": ("email",),
    "project": (),
    "membership": ("user",),
    "contract": ("contract",),
    "sovline": ("contract", "item_number"),
    "changeorder": ("contract", "change_order"),
    "changeorderline": ("contract", "change_order", "line"),
    "billingperiod": ("billing_period",),
    "invite": ("contract", "billing_period"),
    "payapp": ("contract", "number"),
    "payappline": ("contract", "number", "line"),
    "payappsource": ("contract", "number", "source"),
    "payment": ("contract", "number", "payment"),
    "attachment": ("contract", "number", "attachment"),
    "erpexport": ("erp_export",),
}
