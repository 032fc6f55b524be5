"""The pay app pages: create, the G703 grid with live totals, submit, review, corrections,
attachments and history.

One page (`pay_app_detail`) shows a pay app in one of three modes:
- **edit**: the user may edit it (`transitions.can_edit`, latest pay app): the grid's inputs;
  every `change` posts the grid to `pay_app_preview` (htmx), which answers only computed cells
  (out-of-band swaps) and the values of sibling inputs (the `paygrid:sync` event), saving
  nothing. Save posts the grid with the `version` the page was rendered with.
- **review**: an Admin, status Under Review or Pending Owner Approval: the vendor's amounts as
  text, a decision and reason per line, the outcome. `?edit=1` switches an Admin to edit mode.
- **view**: everyone else who may see it.

Every refusal re-renders the page with what the person typed kept (400 for bad input, 409 for a
conflict), so nothing typed is lost; a success redirects (post/redirect/get). Views parse and
show; the rules are the services'.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from sitebill.accounts.access import Role, access_contract, access_pay_app, contract_role
from sitebill.billing import transitions
from sitebill.billing.models import (
    Attachment,
    BillingPeriod,
    Invite,
    InvoiceType,
    PayApp,
    PayAppLine,
)
from sitebill.billing.permissions import (
    pay_app_require_editor,
    pay_app_require_releaser,
    pay_app_require_role,
)
from sitebill.billing.selectors import (
    Figures,
    StoredLine,
    figures_for_lines,
    pay_app_preview,
)
from sitebill.billing.services.attachments import (
    attachment_add,
    attachment_content_type,
    attachment_delete,
)
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_create,
    pay_app_delete,
    pay_app_lines_update,
    pay_app_release_retainage,
    pay_app_review,
    pay_app_set_retainage_all,
    pay_app_set_status,
    pay_app_submit,
    pay_app_update_details,
)
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from sitebill.web.forms import add_service_errors
from sitebill.web.forms_pay_app import (
    AttachmentForm,
    DetailsForm,
    GridColumns,
    LineGrid,
    PayAppCreateForm,
    ReleaseRetainageForm,
    RetainageAllForm,
    ReviewForm,
    StatusCorrectionForm,
    line_reviews,
    percent_text,
)
from sitebill.web.pay_app_grid import (
    GridRenderer,
    GridView,
    ReviewState,
    escape,
    lines_to_show,
    money_cell,
)
from sitebill.web.templatetags.sitebill import percent
from sitebill.web.views._access import access_errors

S = PayApp.Status
REVIEW_STATUSES = (S.UNDER_REVIEW, S.PENDING_OWNER_APPROVAL)
RETAINAGE_INVOICES = (InvoiceType.WORK_MATERIALS_AND_RETAINAGE, InvoiceType.RETAINAGE_RELEASE)
KEPT_VALUES = "Your values are kept below: check them and save again."
NOT_SAVED = "Nothing was saved: correct the cells marked below."


def pay_app_url(pay_app: PayApp) -> str:
    return reverse("web:pay_app", args=[pay_app.pk])


# --------------------------------------------------------------------------------------------
# Create


@require_http_methods(["GET", "POST"])
@login_required
@access_errors
def pay_app_new(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Create the period's pay app: a contact for itself, Standard or Admin for a contact."""
    contract = access_contract(request.user, contract_id)
    if not contract.is_commitment:
        raise NotFound("Contract not found.")
    role = contract_role(request.user, contract)
    if role == Role.READ_ONLY:
        raise PermissionDenied("Read Only users cannot create pay apps.")
    periods = BillingPeriod.objects.filter(project=contract.project).order_by("-number")
    open_period = periods.filter(status=BillingPeriod.Status.OPEN).first()
    contacts = None if role == Role.CONTACT else contract.contacts.order_by("name", "email")
    invite = (
        Invite.objects.filter(contract=contract, billing_period=open_period).first()
        if open_period
        else None
    )
    initial: dict[str, Any] = {
        "billing_period": open_period,
        "billing_date": timezone.localdate(),
        "invoice_type": invite.invoice_type if invite else InvoiceType.WORK_AND_MATERIALS,
    }
    if contacts is not None and len(contacts) == 1:
        initial["on_behalf_of"] = contacts[0]
    form = PayAppCreateForm(
        request.POST if request.method == "POST" else None,
        periods=periods,
        contacts=contacts,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                pay_app = pay_app_create(
                    actor=request.user,
                    contract=contract,
                    billing_period=data["billing_period"],
                    invoice_number=data["invoice_number"],
                    billing_date=data["billing_date"],
                    invoice_type=data["invoice_type"],
                    on_behalf_of=data.get("on_behalf_of"),
                )
            except ValidationFailed as error:
                add_service_errors(form, error)
            except Conflict as error:
                form.add_error(None, error.message)
                status = 409
            else:
                messages.success(request, f"Pay app #{pay_app.number} created as a Draft.")
                return redirect(pay_app_url(pay_app))
    return render(
        request,
        "web/pay_apps/new.html",
        {
            "contract": contract,
            "project": contract.project,
            "nav": "projects",
            "form": form,
            "open_period": open_period,
            "invite": invite,
        },
        status=status,
    )


# --------------------------------------------------------------------------------------------
# The page


@dataclass
class HistoryItem:
    """One Event in words: the changes that matter first; the rest (an edit's many cells, a
    review's approvals) only counted here, drawn when someone opens them
    (`pay_app_history_changes`: an edit of 2,000 lines would otherwise draw 2,000 items)."""

    event_id: int
    when: dt.datetime
    who: str
    what: str
    changes: list[tuple[str, str, str]]
    more_count: int
    reason: str

    @property
    def changes_html(self) -> SafeString:
        return _change_items(self.changes)


def _change_items(changes: list[tuple[str, str, str]]) -> SafeString:
    """`<li>label: old → new</li>` of each change, escaped (an edit of 2,000 lines has 2,000:
    one join here instead of a template loop)."""
    return mark_safe(  # every piece escaped here
        "".join([f"<li>{escape(f'{label}: {old} → {new}')}</li>" for label, old, new in changes])
    )


@dataclass
class PageState:
    """What a re-rendered page keeps from the request that failed."""

    grid_data: QueryDict | None = None
    grid_errors: dict[str, list[str]] = field(default_factory=dict)
    review_data: QueryDict | None = None
    review_errors: dict[str, list[str]] = field(default_factory=dict)
    alerts: list[tuple[str, str]] = field(default_factory=list)
    forms: dict[str, Any] = field(default_factory=dict)
    mode: str = ""
    #: The posted grid, already parsed (`grid_data` is its data): not parsed twice.
    grid: LineGrid | None = None


def _load(request: HttpRequest, pay_app_id: int) -> tuple[PayApp, Role, list[PayAppLine]]:
    """The pay app the user may see, their role, and its lines as `StoredLine`s: the views only
    read them (about half the cost of model instances); the services that change lines read
    their own, and a preview gets model instances of the lines it edits (`_editable`)."""
    pay_app = access_pay_app(request.user, pay_app_id, related=_PAGE_RELATED)
    role = contract_role(request.user, pay_app.contract)
    return pay_app, role, lines_to_show(pay_app)


#: What the page shows of the pay app's people, read with it.
_PAGE_RELATED = ("created_by", "on_behalf_of")


def _is_latest(pay_app: PayApp) -> bool:
    latest = pay_app.contract.pay_apps.order_by("-number").values_list("pk", flat=True).first()
    return latest == pay_app.pk


def _columns(pay_app: PayApp, role: Role) -> GridColumns:
    """The inputs a user who may edit gets (DOMAIN.md §4, services/pay_apps.py choices)."""
    return GridColumns(
        work=True,
        stored=pay_app.contract.stored_materials_enabled,
        rates=role >= Role.STANDARD,
        release=role == Role.ADMIN or pay_app.invoice_type in RETAINAGE_INVOICES,
    )


def _past_due_for_vendor(pay_app: PayApp, role: Role) -> bool:
    """A contact's Draft after the due date is the contractor's to finish (DOMAIN.md §4)."""
    return (
        role == Role.CONTACT
        and pay_app.status == S.DRAFT
        and timezone.localdate() > pay_app.billing_period.due_date
    )


def _version(data: QueryDict) -> int:
    """The version the page was rendered with; a missing one is stale, never "skip the check"."""
    try:
        return int(str(data.get("version", "")))
    except ValueError:
        return 0


@require_http_methods(["GET", "POST"])
@login_required
@access_errors
def pay_app_detail(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    """GET: the page. POST: save the grid (then, for "Save and submit", the confirm step)."""
    if request.method == "GET":
        pay_app, role, lines = _load(request, pay_app_id)
        mode = "edit" if request.GET.get("edit") == "1" else ""
        return _render_page(request, pay_app, role, lines, PageState(mode=mode))
    pay_app, role, lines = _load(request, pay_app_id)
    try:
        transitions.check_edit(role, pay_app.status)
    except Conflict as error:
        state = PageState(alerts=[("error", error.message)])
        return _render_page(request, pay_app, role, lines, state, status=409)
    grid = LineGrid(
        lines=lines,
        columns=_columns(pay_app, role),
        rounding=pay_app.contract.project.rounding,
        data=request.POST,
    )
    edit = PageState(grid_data=request.POST, mode="edit", grid=grid)
    parsed = grid.parse()
    lines = _editable(grid)
    if not parsed:
        edit.grid_errors = grid.errors
        edit.alerts.append(("error", NOT_SAVED))
        return _render_page(request, pay_app, role, lines, edit, status=400)
    submit_next = request.POST.get("action") == "submit"
    if not grid.changes:
        if not submit_next:
            messages.info(request, "Nothing to save: no value changed.")
        return redirect(_after_save(pay_app, submit_next))
    refusals = _refusals(pay_app, lines, grid.changes)
    if refusals:
        edit.grid_errors = refusals
        edit.alerts.append(("error", NOT_SAVED))
        return _render_page(request, pay_app, role, lines, edit, status=400)
    try:
        pay_app_lines_update(
            actor=request.user,
            pay_app=pay_app,
            version=_version(request.POST),
            changes=grid.changes,
            all_rows=False,  # the page is drawn again after the redirect
        )
    except ValidationFailed as error:
        edit.grid_errors = error.fields
        if error.code == "overbilling":
            heading = "Not saved: this project does not allow billing above the scheduled value."
        else:
            heading = NOT_SAVED if error.fields else f"Nothing was saved: {error.message}"
        edit.alerts.append(("error", heading))
        return _render_page(request, pay_app, role, lines, edit, status=400)
    except Conflict as error:
        # Someone else saved first: show their figures under the person's typed values.
        pay_app, role, lines = _load(request, pay_app.pk)
        edit.grid = None  # parsed against the lines as they were
        edit.alerts.append(("error", f"{error.message} {KEPT_VALUES}"))
        return _render_page(request, pay_app, role, lines, edit, status=409)
    # Overbilling warnings (result.warnings) show on the page itself, in its banner.
    messages.success(request, f"Pay app #{pay_app.number} saved.")
    return redirect(_after_save(pay_app, submit_next))


def _editable(grid: LineGrid) -> list[PayAppLine]:
    """The grid's lines (read to show, as `StoredLine`s) with those its changes edit as model
    instances, which the preview applies the edits to (copies of them); no query. Sets and
    returns `grid.lines`."""
    changed = {int(change.line_id) for change in grid.changes}
    if changed:
        grid.lines = [
            line.as_model() if isinstance(line, StoredLine) and line.pk in changed else line
            for line in grid.lines
        ]
    return grid.lines


def _refusals(
    pay_app: PayApp, lines: list[PayAppLine], changes: list[LineChange]
) -> dict[str, list[str]]:
    """What the preview refuses in `changes` (keyed like the service's errors), before saving.

    Worked out on the changed lines alone: a line's checks depend on that line only, so the
    figures of the 2,000 lines are not computed here and again by the service. Under a sliding
    scale, where retainage depends on every line, on all of them."""
    if not pay_app.contract.retainage_rules:
        changed = {int(change.line_id) for change in changes}
        lines = [line for line in lines if line.pk in changed]
    return pay_app_preview(pay_app, lines, changes).errors


def _after_save(pay_app: PayApp, submit_next: bool) -> str:
    if submit_next:
        return reverse("web:pay_app_submit", args=[pay_app.pk])
    return pay_app_url(pay_app)


@require_POST
@login_required
@access_errors
def pay_app_preview_view(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    """The live totals: computed cells of the posted grid, nothing saved (htmx, OOB swaps)."""
    pay_app, role, lines = _load(request, pay_app_id)
    try:
        transitions.check_edit(role, pay_app.status)
    except Conflict:
        return HttpResponse(status=204)
    grid = LineGrid(
        lines=lines,
        columns=_columns(pay_app, role),
        rounding=pay_app.contract.project.rounding,
        data=request.POST,
    )
    grid.parse()
    preview = pay_app_preview(pay_app, _editable(grid), grid.changes)
    errors = {**grid.errors, **preview.errors}
    view = GridView(
        mode="edit",
        columns=grid.columns,
        show_quantity=False,
        show_release=_show_release(grid.columns, lines),
        show_stored_rate=False,
    )
    renderer = GridRenderer(view=view, grid=grid, errors=errors)
    rows = preview.figures.rows
    if not pay_app.contract.retainage_rules:
        # A line's figures depend on its own inputs only: answer the rows that were posted
        # (the page script posts the rows someone touched). Under a sliding scale, retainage
        # held depends on the whole pay app: every row.
        rows = [row for row in rows if row.line.pk in renderer.posted]
    cells, sync = renderer.preview(rows)
    response = render(
        request,
        "web/pay_apps/_preview.html",
        {
            "pay_app": pay_app,
            "project": pay_app.contract.project,
            "cells": cells,
            "figures": preview.figures,
            "g702": preview.figures.g702,
            "totals": preview.figures.totals,
            "warnings": preview.figures.warnings,
            "error_summary": _messages_of(errors),
            "show_release": _show_release(grid.columns, lines),
            "preview": True,
        },
    )
    return trigger_client_event(response, "paygrid:sync", {"lines": sync})


def _render_page(
    request: HttpRequest,
    pay_app: PayApp,
    role: Role,
    lines: list[PayAppLine],
    state: PageState,
    *,
    status: int = 200,
) -> HttpResponse:
    is_latest = _is_latest(pay_app)
    may_edit = transitions.can_edit(role, pay_app.status) and is_latest
    if may_edit and _past_due_for_vendor(pay_app, role):
        may_edit = False
        due = pay_app.billing_period.due_date
        state.alerts.append(
            (
                "info",
                f"The due date ({due:%b %-d, %Y}) has passed: this Draft can no longer be "
                "changed or submitted by the vendor. Ask the contractor.",
            )
        )
    review_open = role == Role.ADMIN and pay_app.status in REVIEW_STATUSES
    if state.mode == "edit" and may_edit:
        mode = "edit"
    elif review_open:
        mode = "review"
    elif may_edit:
        mode = "edit"
    else:
        mode = "view"
    columns = _columns(pay_app, role) if mode == "edit" else GridColumns()
    rounding = pay_app.contract.project.rounding
    grid = state.grid if state.grid is not None and state.grid.lines is lines else None
    if grid is None or grid.columns != columns:
        grid = LineGrid(lines=lines, columns=columns, rounding=rounding, data=state.grid_data)
    figures: Figures
    if mode == "edit" and state.grid_data is not None:
        if grid is not state.grid:
            grid.parse()
            lines = _editable(grid)
        preview = pay_app_preview(pay_app, lines, grid.changes)
        figures = preview.figures
    else:
        figures = figures_for_lines(pay_app, lines)
    grid_errors = dict(state.grid_errors)
    view = GridView(
        mode=mode,
        columns=columns,
        show_quantity=any(line.unit_price is not None for line in lines),
        show_release=_show_release(columns, lines),
        show_stored_rate=pay_app.contract.stored_materials_enabled,
    )
    review = ReviewState(
        data=state.review_data,
        errors=state.review_errors,
        fresh=pay_app.status == PayApp.Status.UNDER_REVIEW,
    )
    renderer = GridRenderer(view=view, grid=grid, errors=grid_errors, review=review)
    forms: dict[str, Any] = {
        "retainage_form": RetainageAllForm(
            initial={
                "work_percent": percent_text(pay_app.contract.retainage_work_percent),
                "stored_percent": percent_text(pay_app.contract.retainage_stored_percent),
            }
        ),
        "release_form": ReleaseRetainageForm(),
        "details_form": DetailsForm(
            initial={"invoice_number": pay_app.invoice_number, "billing_date": pay_app.billing_date}
        ),
        "review_form": ReviewForm(
            state.review_data,
            current_status=pay_app.status,
            initial={
                "comment": ""
                if pay_app.status == PayApp.Status.UNDER_REVIEW
                else pay_app.review_comment
            },
        ),
        "status_form": StatusCorrectionForm(initial={"status": pay_app.status}),
        "attachment_form": AttachmentForm(),
        **state.forms,
    }
    if state.review_data is not None:
        forms["review_form"].is_valid()
        for key, messages_ in state.review_errors.items():
            if key in forms["review_form"].fields:
                for message in messages_:
                    forms["review_form"].add_error(key, message)
    contract = pay_app.contract
    context = {
        "pay_app": pay_app,
        "contract": contract,
        "project": contract.project,
        "period": pay_app.billing_period,
        "nav": "projects",
        "role": role,
        "is_admin": role == Role.ADMIN,
        "mode": mode,
        "columns": columns,
        "grid_rows": ROWS_MARK,
        "has_rows": bool(figures.rows),
        "figures": figures,
        "g702": figures.g702,
        "totals": figures.totals,
        "warnings": figures.warnings,
        "alerts": state.alerts,
        "error_summary": _messages_of(grid_errors),
        "show_quantity": view.show_quantity,
        "show_release": view.show_release,
        "show_stored_rate": view.show_stored_rate,
        "review_open": review_open,
        "can_submit": may_edit and pay_app.status in transitions.SUBMITTABLE,
        "can_delete": may_edit and pay_app.status == S.DRAFT,
        "may_edit": may_edit,
        "attachments": list(pay_app.attachments.select_related("uploaded_by").order_by("id")),
        "history": _history_html(pay_app, _history(pay_app)),
        "version": pay_app.version,
        **forms,
    }
    response = render(request, "web/pay_apps/detail.html", context, status=status)
    return _with_rows(response, renderer.rows_html(figures.rows))


#: Where the G703 rows go in the rendered page (`_grid.html`'s tbody).
ROWS_MARK = mark_safe("<!-- g703 rows -->")


def _with_rows(response: HttpResponse, rows: str) -> HttpResponse:
    """The page with the G703 rows in place of `ROWS_MARK`, joined as bytes.

    The rows of a 2,000-line pay app are megabytes: passed through the template they were
    copied at each level of it (include, block, extends), as 2-byte text once the page holds
    any non-Latin-1 character ("→", "…"); here they are encoded once and joined once. The
    mark cannot come from people's text: the template escapes its "<" to "&lt;"."""
    head, mark, tail = response.content.partition(ROWS_MARK.encode())
    if not mark:  # pragma: no cover (the grid template always draws the mark)
        raise AssertionError("the pay app page has no place for the G703 rows")
    response.content = b"".join([head, rows.encode(), tail])
    return response


def _show_release(columns: GridColumns, lines: list[PayAppLine]) -> bool:
    """The release column: for those who may release, or once anything was released."""
    return columns.release or any(
        line.retainage_released_this_period or line.retainage_released_previous for line in lines
    )


def _messages_of(errors: dict[str, list[str]]) -> list[str]:
    return [message for messages_ in errors.values() for message in messages_]


# --------------------------------------------------------------------------------------------
# History

_ACTIONS = {
    "pay_app_created": "Created",
    "lines_updated": "Amounts edited",
    "details_updated": "Details edited",
    "submitted": "Submitted",
    "resubmitted": "Resubmitted",
    "reviewed": "Reviewed",
    "status_corrected": "Status corrected",
    "attachment_added": "Attachment added",
    "attachment_deleted": "Attachment removed",
}
_LINE_FIELDS = {
    "work_completed_this_period": ("E work this period", "money"),
    "materials_presently_stored": ("F materials stored", "money"),
    "retainage_work_percent": ("retainage % on work", "percent"),
    "retainage_stored_percent": ("retainage % on stored materials", "percent"),
    "retainage_released_this_period": ("retainage released", "money"),
    "quantity_this_period": ("quantity this period", "text"),
    "review": ("review", "review"),
}
_TOP_FIELDS = {
    "status": ("Status", "status"),
    "current_payment_due": ("Current payment due", "money"),
    "invoice_number": ("Invoice number", "text"),
    "billing_date": ("Billing date", "date"),
    "attachment": ("Attachment", "text"),
    "number": ("Number", "text"),
}
HISTORY_SHOWN = 6
_LINE_KEY = re.compile(r"line (?P<item>.+) (?P<field>[a-z_]+)")


def _history(pay_app: PayApp) -> list[HistoryItem]:
    """The pay app's Events, oldest first, in words (the folded changes counted, not drawn)."""
    events = Event.objects.filter(target_type="payapp", target_id=pay_app.pk).select_related(
        "actor"
    )
    items = []
    for event in events.order_by("created_at", "id"):
        main, more = _split_changes(event)
        main.sort(key=lambda change: change[0] != "status")  # the status change first
        items.append(
            HistoryItem(
                event_id=event.pk,
                when=event.created_at,
                who=event.actor.display_name if event.actor else "sitebill",
                what=_ACTIONS.get(event.action, event.action.replace("_", " ").capitalize()),
                changes=[_change_in_words(*change) for change in main],
                more_count=len(more),
                reason=event.reason,
            )
        )
    return items


def _history_html(pay_app: PayApp, items: list[HistoryItem]) -> SafeString:
    """The `<li>` of each history entry (`_history.html` puts them in its list), every piece
    escaped here: a long-lived pay app has dozens of entries, drawn on every view of it
    (a template loop costs a few ms more)."""
    parts = []
    for item in items:
        when = timezone.localtime(item.when)
        parts.append(
            '<li class="history__item"><p class="history__head">'
            f"<strong>{escape(item.what)}</strong> · {escape(item.who)} · "
            f'<time datetime="{when.isoformat()}">{escape(dateformat.format(when, "M j, Y g:i A"))}'
            "</time></p>"
        )
        if item.changes:
            parts.append(f'<ul class="history__changes">{item.changes_html}</ul>')
        if item.more_count:
            url = reverse("web:pay_app_history_changes", args=[pay_app.pk, item.event_id])
            count = item.more_count
            plural = "" if count == 1 else "s"
            parts.append(
                f'<details class="history__more" hx-get="{url}" hx-trigger="toggle once" '
                'hx-target="find ul" hx-swap="innerHTML">'
                f"<summary>{count} line change{plural}</summary>"
                '<ul class="history__changes" aria-live="polite">'
                f'<li><a href="{url}">Show the {count} change{plural}</a></li></ul></details>'
            )
        if item.reason:
            parts.append(f'<p class="history__reason">Reason: {escape(item.reason)}</p>')
        parts.append("</li>")
    return mark_safe("".join(parts))  # every piece escaped above


Change = tuple[str, Any, Any]


def _split_changes(event: Event) -> tuple[list[Change], list[Change]]:
    """An Event's changes as (shown, folded): a review's approvals and an edit's many cells
    are detail; status, money due and rejections (with their reasons) are what a reader
    looks for. Up to `HISTORY_SHOWN` changes are all shown."""
    main: list[Change] = []
    more: list[Change] = []
    for change in event.change_list:
        key, _, new = change
        if key.startswith("line ") and not (isinstance(new, str) and new.startswith("rejected")):
            more.append(change)
        else:
            main.append(change)
    if len(main) + len(more) <= HISTORY_SHOWN:
        return [*main, *more], []
    return main, more


def _change_in_words(key: str, old: Any, new: Any) -> tuple[str, str, str]:
    match = _LINE_KEY.fullmatch(key)
    if key in _TOP_FIELDS:
        label, kind = _TOP_FIELDS[key]
    elif match and match["field"] in _LINE_FIELDS:
        name, kind = _LINE_FIELDS[match["field"]]
        label = f"Line {match['item']}: {name}"
    else:
        label, kind = key.replace("_", " ").capitalize(), "text"
    return label, _value_in_words(old, kind), _value_in_words(new, kind)


def _value_in_words(value: Any, kind: str) -> str:
    if value is None or value == "":
        return "—"
    text = str(value)
    try:
        if kind == "money":
            return money_cell(Decimal(text))
        if kind == "percent":
            return percent(Decimal(text))
    except InvalidOperation:
        return text
    if kind == "status":
        return transitions.label(text) if text in S.values else text
    if kind == "review":
        status, _, reason = text.partition(": ")
        status_label = (
            str(PayAppLine.ReviewStatus(status).label)
            if status in PayAppLine.ReviewStatus.values
            else status
        )
        return f"{status_label}: {reason}" if reason else status_label
    if kind == "date":
        try:
            return f"{dt.date.fromisoformat(text):%b %-d, %Y}"
        except ValueError:
            return text
    return text


# --------------------------------------------------------------------------------------------
# Submit and delete (confirm steps)


@require_http_methods(["GET", "POST"])
@login_required
@access_errors
def pay_app_submit_view(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    pay_app, role, lines = _load(request, pay_app_id)
    if role == Role.READ_ONLY:
        raise PermissionDenied("Read Only users cannot submit pay apps.")
    error_message = ""
    status = 200
    if request.method == "POST":
        try:
            pay_app_submit(actor=request.user, pay_app=pay_app, version=_version(request.POST))
        except ValidationFailed as error:
            error_message, status = _joined(error), 400
        except Conflict as error:
            error_message, status = error.message, 409
        else:
            messages.success(request, f"Pay app #{pay_app.number} submitted for review.")
            return redirect(pay_app_url(pay_app))
        pay_app, role, lines = _load(request, pay_app.pk)
    figures = figures_for_lines(pay_app, lines)
    submittable = pay_app.status in transitions.SUBMITTABLE
    return render(
        request,
        "web/pay_apps/submit.html",
        {
            "pay_app": pay_app,
            "contract": pay_app.contract,
            "project": pay_app.contract.project,
            "nav": "projects",
            "g702": figures.g702,
            "warnings": figures.warnings,
            "line_count": len(lines),
            "error_message": error_message,
            "submittable": submittable,
            "version": pay_app.version,
        },
        status=status,
    )


def _joined(error: ValidationFailed) -> str:
    found = _messages_of(error.fields)
    return " ".join(found) if found else error.message


@require_http_methods(["GET", "POST"])
@login_required
@access_errors
def pay_app_delete_view(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    pay_app, role, _lines = _load(request, pay_app_id)
    if role == Role.READ_ONLY:
        raise PermissionDenied("Read Only users cannot delete pay apps.")
    error_message = ""
    status = 200
    if request.method == "POST":
        contract = pay_app.contract
        try:
            pay_app_delete(actor=request.user, pay_app=pay_app, version=_version(request.POST))
        except Conflict as error:
            error_message, status = error.message, 409
        else:
            messages.success(request, f"Pay app #{pay_app.number} deleted.")
            page = "web:commitment" if contract.is_commitment else "web:client_contract"
            return redirect(page, contract_id=contract.pk)
    return render(
        request,
        "web/pay_apps/delete.html",
        {
            "pay_app": pay_app,
            "contract": pay_app.contract,
            "project": pay_app.contract.project,
            "nav": "projects",
            "error_message": error_message,
            "version": pay_app.version,
        },
        status=status,
    )


# --------------------------------------------------------------------------------------------
# The small forms of the page: each re-renders the page with its errors, or redirects.


def _small_form(
    request: HttpRequest,
    pay_app_id: int,
    *,
    form_key: str,
    form: Any,
    apply: Any,
    success: str,
    require: Callable[[Any, PayApp], Role],
) -> HttpResponse:
    """Check the caller's role with `require(user, pay_app)` (403 before the form is read),
    validate `form`, call `apply(pay_app, cleaned_data)`; on a refusal show the page."""
    pay_app, role, lines = _load(request, pay_app_id)
    require(request.user, pay_app)
    status = 400
    alerts: list[tuple[str, str]] = []
    if form.is_valid():
        try:
            apply(pay_app, form.cleaned_data)
        except ValidationFailed as error:
            add_service_errors(form, error)
        except Conflict as error:
            alerts.append(("error", error.message))
            status = 409
            pay_app, role, lines = _load(request, pay_app.pk)
        else:
            messages.success(request, success)
            return redirect(pay_app_url(pay_app))
    state = PageState(forms={form_key: form}, alerts=alerts)
    return _render_page(request, pay_app, role, lines, state, status=status)


@require_POST
@login_required
@access_errors
def pay_app_retainage(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    def apply(pay_app: PayApp, data: dict[str, Any]) -> None:
        pay_app_set_retainage_all(
            actor=request.user,
            pay_app=pay_app,
            version=_version(request.POST),
            work_percent=data["work_percent"],
            stored_percent=data["stored_percent"],
        )

    return _small_form(
        request,
        pay_app_id,
        form_key="retainage_form",
        form=RetainageAllForm(request.POST),
        apply=apply,
        success="Retainage rates set on every line.",
        require=lambda user, pay_app: pay_app_require_role(
            user,
            pay_app,
            Role.STANDARD,
            refusal="Retainage rates are set by the contractor (Standard or Admin users).",
        ),
    )


@require_POST
@login_required
@access_errors
def pay_app_release(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    def apply(pay_app: PayApp, data: dict[str, Any]) -> None:
        pay_app_release_retainage(
            actor=request.user,
            pay_app=pay_app,
            version=_version(request.POST),
            amount=data["amount"],
            percent=data["percent"],
        )

    return _small_form(
        request,
        pay_app_id,
        form_key="release_form",
        form=ReleaseRetainageForm(request.POST),
        apply=apply,
        success="Retainage released over the lines.",
        require=pay_app_require_releaser,
    )


@require_POST
@login_required
@access_errors
def pay_app_details(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    def apply(pay_app: PayApp, data: dict[str, Any]) -> None:
        pay_app_update_details(
            actor=request.user,
            pay_app=pay_app,
            version=_version(request.POST),
            invoice_number=data["invoice_number"],
            billing_date=data["billing_date"],
        )

    return _small_form(
        request,
        pay_app_id,
        form_key="details_form",
        form=DetailsForm(request.POST),
        apply=apply,
        success="Invoice details saved.",
        require=pay_app_require_editor,
    )


@require_POST
@login_required
@access_errors
def pay_app_status(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    def apply(pay_app: PayApp, data: dict[str, Any]) -> None:
        pay_app_set_status(
            actor=request.user,
            pay_app=pay_app,
            version=_version(request.POST),
            status=data["status"],
            reason=data["reason"],
        )

    return _small_form(
        request,
        pay_app_id,
        form_key="status_form",
        form=StatusCorrectionForm(request.POST),
        apply=apply,
        success="Status corrected.",
        require=lambda user, pay_app: pay_app_require_role(
            user, pay_app, Role.ADMIN, refusal="Only an Admin can correct a pay app's status."
        ),
    )


@require_POST
@login_required
@access_errors
def pay_app_review_view(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    """An Admin's review: line decisions with reasons, a comment, the outcome."""
    pay_app, role, lines = _load(request, pay_app_id)
    if role != Role.ADMIN:
        raise PermissionDenied("Only an Admin can review a pay app.")
    form = ReviewForm(request.POST, current_status=pay_app.status)
    state = PageState(review_data=request.POST)
    status = 400
    if form.is_valid():
        try:
            reviewed = pay_app_review(
                actor=request.user,
                pay_app=pay_app,
                version=_version(request.POST),
                status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
                lines=line_reviews(lines, request.POST),
            )
        except ValidationFailed as error:
            state.review_errors = error.fields
            state.alerts.append(("error", f"The review was not recorded: {error.message}"))
        except Conflict as error:
            status = 409
            state.alerts.append(("error", error.message))
            pay_app, role, lines = _load(request, pay_app.pk)
        else:
            messages.success(request, f"Review recorded: {transitions.label(reviewed.status)}.")
            return redirect(pay_app_url(reviewed))
    else:
        state.alerts.append(("error", "The review was not recorded: choose an outcome."))
    return _render_page(request, pay_app, role, lines, state, status=status)


# --------------------------------------------------------------------------------------------
# Attachments


@require_POST
@login_required
@access_errors
def pay_app_attachment_add(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    def apply(pay_app: PayApp, data: dict[str, Any]) -> None:
        attachment_add(actor=request.user, pay_app=pay_app, file=data["file"], name=data["name"])

    return _small_form(
        request,
        pay_app_id,
        form_key="attachment_form",
        form=AttachmentForm(request.POST, request.FILES),
        apply=apply,
        success="File attached.",
        require=pay_app_require_editor,
    )


@require_GET
@login_required
def pay_app_attachment(
    request: HttpRequest, pay_app_id: int, attachment_id: int
) -> HttpResponseBase:
    """Download an attachment: only through the pay app's access check, never /media/."""
    try:
        pay_app = access_pay_app(request.user, pay_app_id)
        attachment = _attachment_of(pay_app, attachment_id)
    except NotFound as error:
        return render(request, "web/404.html", {"message": error.message}, status=404)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=_download_name(attachment),
        content_type=attachment_content_type(attachment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
@access_errors
def pay_app_history_changes(request: HttpRequest, pay_app_id: int, event_id: int) -> HttpResponse:
    """The folded changes of one history entry: the `<li>` items for the page's htmx (opening
    "N line changes"), or a page of their own when the link is followed without it."""
    pay_app = access_pay_app(request.user, pay_app_id)
    event = (
        Event.objects.filter(pk=event_id, target_type="payapp", target_id=pay_app.pk)
        .select_related("actor")
        .first()
    )
    if event is None:
        raise NotFound("No such entry in this pay app's history.")
    _, more = _split_changes(event)
    items = _change_items([_change_in_words(*change) for change in more])
    if getattr(request, "htmx", False):  # django-htmx: an htmx request
        response = HttpResponse(items)
    else:
        response = render(
            request,
            "web/pay_apps/history_changes.html",
            {
                "pay_app": pay_app,
                "what": _ACTIONS.get(event.action, event.action.replace("_", " ").capitalize()),
                "who": event.actor.display_name if event.actor else "sitebill",
                "when": event.created_at,
                "items": items,
                "count": len(more),
            },
        )
    patch_vary_headers(response, ["HX-Request"])  # one URL, two answers: caches keep both
    return response


@require_POST
@login_required
@access_errors
def pay_app_attachment_delete(
    request: HttpRequest, pay_app_id: int, attachment_id: int
) -> HttpResponse:
    pay_app = access_pay_app(request.user, pay_app_id)
    attachment = _attachment_of(pay_app, attachment_id)
    try:
        attachment_delete(actor=request.user, attachment=attachment)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{attachment.name} removed.")
    return redirect(pay_app_url(pay_app))


def _attachment_of(pay_app: PayApp, attachment_id: int) -> Attachment:
    attachment = pay_app.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("Attachment not found.")
    return attachment


def _download_name(attachment: Attachment) -> str:
    """The display name, with the stored file's extension when the name has none."""
    stored_ext = (attachment.file.name or "").rpartition(".")[2]
    name = attachment.name
    if stored_ext and not name.lower().endswith(f".{stored_ext.lower()}"):
        name = f"{name}.{stored_ext}"
    return name
