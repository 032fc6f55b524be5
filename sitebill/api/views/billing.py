"""Billing over the API: Invite to Bill, pay apps (G702/G703), their edits, review and history.

Every view is: load what it acts on through `sitebill.accounts.access` (404 for what the caller
may not see), parse the body, call one service of `sitebill.billing.services` (it refuses a
caller below the role it needs with 403, bad input with 400 and a state that moved on, such as a
stale `version`, with 409, saving nothing), then answer with the pay app as it now is.

The services name a line's field in error `lines.<line id>.<field>`; the API names it after
the request instead (`work_completed_this_period` on the one-line PATCH, `lines[0].status` in a
list), so a client can put the message next to what it sent.

A pay app and a page of pay apps are read in a fixed number of queries, and the figures of a
pay app are computed once per request (`selectors.figures_for_lines`): a read computes them
from the lines read as columns (`selectors.StoredLine`, no model instances); a write of lines
answers from the figures its service computed to check the edit. The one-line PATCH answers
only what the edit changed (`LineEditOutput`), not the whole pay app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from sitebill.accounts.access import (
    Role,
    access_contract,
    access_pay_app,
    access_project,
    contracts_for_user,
    pay_apps_for_user,
    projects_for_user,
    require_role,
)
from sitebill.accounts.models import User
from sitebill.api.serializers.billing import (
    ClientPayAppCreateInput,
    ClientPayAppDetailOutput,
    ClientPayAppOutput,
    EventOutput,
    InviteAnswerOutput,
    InviteBoardOutput,
    LineEditAnswer,
    LineEditOutput,
    LinesUpdateInput,
    LineUpdateInput,
    PayAppCreateInput,
    PayAppDetailOutput,
    PayAppFilters,
    PayAppOutput,
    PayAppUpdateInput,
    ReleaseRetainageInput,
    RetainageInput,
    ReviewInput,
    SendInvitesInput,
    SendInvitesOutput,
    StatusInput,
    SubmitInput,
    VersionQuery,
    invite_answer,
)
from sitebill.api.views import Endpoint, errors, paginated, parse
from sitebill.billing.models import BillingPeriod, Invite, PayApp, PayAppLine
from sitebill.billing.permissions import (
    pay_app_require_editor,
    pay_app_require_releaser,
    pay_app_require_role,
)
from sitebill.billing.selectors import Figures, figures_for_lines, stored_lines
from sitebill.billing.services.invites import (
    invite_accept,
    invite_board,
    invite_decline,
    invites_send,
)
from sitebill.billing.services.pay_apps import (
    LineChange,
    LineReview,
    NoSuchLine,
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
from sitebill.contracts.models import Contract
from sitebill.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from sitebill.upstream.selectors import client_pay_app_sources
from sitebill.upstream.services import client_pay_app_create

PAY_APP_TAG = "pay apps"
INVITE_TAG = "invites"


# --- Loading what a request names -----------------------------------------------------------------


def _period_for(user: Any, period_id: int) -> BillingPeriod:
    """A billing period of a project the user may see, or NotFound (missing or not theirs)."""
    try:
        return BillingPeriod.objects.select_related("project").get(
            pk=period_id, project__in=projects_for_user(user).values("pk")
        )
    except BillingPeriod.DoesNotExist:
        raise NotFound("Billing period not found.") from None


def _commitments(user: Any, period: BillingPeriod) -> QuerySet[Contract]:
    """The commitments of the period's project the user may see: an Admin all of them, a
    contact only its own."""
    return contracts_for_user(user).filter(
        project=period.project, kind__in=Contract.COMMITMENT_KINDS
    )


def _commitments_named(user: Any, period: BillingPeriod, ids: Sequence[int]) -> list[Contract]:
    """The commitments a body names, in its order; an id the user cannot see is bad input."""
    wanted = list(dict.fromkeys(ids))
    found = {contract.pk: contract for contract in _commitments(user, period).filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationFailed(
            "Commitment not found.",
            fields={
                "commitments": [f"No commitment {pk} on this project." for pk in missing],
            },
        )
    return [found[pk] for pk in wanted]


def _invite_for(user: Any, invite_id: int) -> Invite:
    """An invite on a commitment the user may see (404 otherwise, as for a missing invite).
    Only the commitment's contacts answer it: the service refuses members with 403."""
    try:
        return Invite.objects.select_related("contract", "contract__project", "billing_period").get(
            pk=invite_id, contract__in=contracts_for_user(user).values("pk")
        )
    except Invite.DoesNotExist:
        raise NotFound("Invite not found.") from None


def _commitment_for(user: Any, commitment_id: int) -> Contract:
    """A commitment the user may see; a client contract is not found under /commitments/."""
    contract: Contract = access_contract(user, commitment_id)
    if not contract.is_commitment:
        raise NotFound("Commitment not found.")
    return contract


def _pay_apps(user: Any) -> QuerySet[PayApp]:
    """The pay apps the user may see, with what a row shows. No lines: a row's figures are the
    stored summaries (sitebill/billing/summaries.py), the stale ones computed for the page."""
    return pay_apps_for_user(user).select_related(
        "contract", "contract__project", "contract__counterparty", "billing_period"
    )


_PAY_APP_IN_FULL = (
    "contract",
    "contract__project",
    "contract__counterparty",
    "billing_period",
    "created_by",
    "on_behalf_of",
)


def _pay_app_in_full(pay_app: PayApp) -> PayApp:
    """The pay app `access_pay_app` allowed, with everything its detail shows, reloaded, its
    lines prefetched as model instances (what `upstream.selectors` reads them as)."""
    return (
        PayApp.objects.select_related(*_PAY_APP_IN_FULL)
        .prefetch_related(Prefetch("lines", queryset=PayAppLine.objects.order_by("position", "id")))
        .get(pk=pay_app.pk)
    )


def _pay_app_figures(pay_app: PayApp) -> Figures:
    """The pay app `access_pay_app` allowed, reloaded with what its detail shows, and its
    figures, computed from its lines read as `StoredLine`s: two queries."""
    full = PayApp.objects.select_related(*_PAY_APP_IN_FULL).get(pk=pay_app.pk)
    return figures_for_lines(full, stored_lines(full.pk))


def _detail(
    pay_app: PayApp, *, status_code: int = status.HTTP_200_OK, figures: Figures | None = None
) -> Response:
    """The pay app in full (`PayAppDetailOutput`) from its figures: those the service just
    computed with an edit (and the pay app it locked), else computed here, once."""
    if figures is None:
        figures = _pay_app_figures(pay_app)
    context = {"figures": figures}
    return Response(PayAppDetailOutput(figures.pay_app, context=context).data, status=status_code)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The validated query parameters, or a 400 naming each one in error."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- Naming the fields of line errors after the request -------------------------------------------

_LINE_KEY = re.compile(r"lines\.(?P<line>[^.]+)(?:\.(?P<field>\w+))?")


@contextmanager
def _fields_named(name: Callable[[str], str]) -> Iterator[None]:
    """Rename the fields of a service's ValidationFailed with `name(key)`, merging messages."""
    try:
        yield
    except ValidationFailed as error:
        renamed: dict[str, list[str]] = {}
        for key, messages in error.fields.items():
            bucket = renamed.setdefault(name(key), [])
            bucket.extend(message for message in messages if message not in bucket)
        error.fields = renamed
        raise


def _line_field(key: str) -> tuple[str, str] | None:
    """`lines.<line id>.<field>` -> (line id, field); field "" when the line itself is meant."""
    match = _LINE_KEY.fullmatch(key)
    return (match["line"], match["field"] or "") if match else None


def _one_line(key: str) -> str:
    """The one-line PATCH: `lines.<line id>.<field>` -> `<field>`."""
    line_field = _line_field(key)
    return (line_field[1] or "id") if line_field else key


def _in_list(ids: Sequence[int]) -> Callable[[str], str]:
    """A list of lines: `lines.<line id>.<field>` -> `lines[<index in the request>].<field>`."""
    index = {str(line_id): position for position, line_id in enumerate(ids)}

    def name(key: str) -> str:
        line_field = _line_field(key)
        if line_field is None or line_field[0] not in index:
            return key
        return f"lines[{index[line_field[0]]}].{line_field[1] or 'id'}"

    return name


_RATE_FIELDS = {
    "retainage_work_percent": "work_percent",
    "retainage_stored_percent": "stored_percent",
}


def _rates(key: str) -> str:
    """Setting every line's rates: a line's rate in error is the rate that was sent."""
    line_field = _line_field(key)
    return _RATE_FIELDS.get(line_field[1], key) if line_field else key


def _release(sent: str) -> Callable[[str], str]:
    """A release: the service names `amount` either way, and the lines it spread over."""
    return lambda key: sent if key == "amount" or _line_field(key) else key


# --- Invite to Bill -----------------------------------------------------------------------------


class PeriodInvites(Endpoint):
    @extend_schema(tags=[INVITE_TAG], responses={200: InviteBoardOutput, **errors(401, 404)})
    def get(self, request: Request, period_id: int) -> Response:
        """The period's commitments you may see with their invite status, and the counts.

        An Admin sees every commitment of the project, a contact only its own. The rows are
        not paginated: the counts are over all of them. Status: no_contacts (invites are
        blocked, `blocked_reason` says why), not_invited, invited, accepted, declined.
        """
        period = _period_for(request.user, period_id)
        board = invite_board(
            period=period,
            contracts=list(_commitments(request.user, period).order_by("number", "pk")),
        )
        return Response(InviteBoardOutput(board).data)


class PeriodSendInvites(Endpoint):
    @extend_schema(
        tags=[INVITE_TAG],
        request=SendInvitesInput,
        responses={200: SendInvitesOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, period_id: int) -> Response:
        """Send an Invite to Bill to every contact of each commitment (project Admins).

        Each contact is emailed Accept and Decline links. A commitment that cannot be invited
        (already invited, no contact, billed to 100%, ...) is skipped with its reason; sending
        twice invites once. Refused after the period's due date (400) or when the period is
        closed (409).
        """
        period = _period_for(request.user, period_id)
        # Only Admins send invites (the service checks again). Checked before the body's ids
        # are looked up, so that a caller who may not send learns nothing about them.
        access_project(request.user, period.project_id, at_least=Role.ADMIN)
        data = parse(SendInvitesInput, request)
        contracts = _commitments_named(request.user, period, data["commitments"])
        result = invites_send(
            actor=request.user,
            period=period,
            contracts=contracts,
            invoice_type=data["invoice_type"],
        )
        invited = invite_board(period=period, contracts=[i.contract for i in result.invited])
        skipped = [
            {"commitment": contract.pk, "reason": result.skipped[contract.pk]}
            for contract in contracts
            if contract.pk in result.skipped
        ]
        body = {"message": result.message, "invited": invited.rows, "skipped": skipped}
        return Response(SendInvitesOutput(body).data)


def _answer(
    request: Request, invite_id: int, answer: Callable[..., tuple[Invite, bool]]
) -> Response:
    invite, changed = answer(actor=request.user, invite=_invite_for(request.user, invite_id))
    row = invite_board(period=invite.billing_period, contracts=[invite.contract]).rows[0]
    return Response(InviteAnswerOutput(invite_answer(row, changed)).data)


class InviteAccept(Endpoint):
    @extend_schema(
        tags=[INVITE_TAG],
        request=None,
        responses={200: InviteAnswerOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, invite_id: int) -> Response:
        """Accept an Invite to Bill (the commitment's contacts only: a project member gets
        403, anyone who may not see the commitment 404).

        Refused once the period's due date has passed (400): the contractor then creates the
        pay app on the contact's behalf. Answering again changes nothing: `changed` is false
        and `message` says so.
        """
        return _answer(request, invite_id, invite_accept)


class InviteDecline(Endpoint):
    @extend_schema(
        tags=[INVITE_TAG],
        request=None,
        responses={200: InviteAnswerOutput, **errors(401, 403, 404)},
    )
    def post(self, request: Request, invite_id: int) -> Response:
        """Decline an Invite to Bill: no pay app will be created for the period (contacts only).

        Answering again changes nothing: `changed` is false and `message` says so.
        """
        return _answer(request, invite_id, invite_decline)


# --- Pay apps: lists and creation ----------------------------------------------------------------


class CommitmentPayApps(Endpoint):
    @extend_schema(tags=[PAY_APP_TAG], responses={200: PayAppOutput(many=True), **errors(401, 404)})
    def get(self, request: Request, commitment_id: int) -> Response:
        """The commitment's pay apps, newest first."""
        contract = _commitment_for(request.user, commitment_id)
        pay_apps = _pay_apps(request.user).filter(contract=contract).order_by("-number", "-pk")
        return paginated(self, pay_apps, PayAppOutput)

    @extend_schema(
        tags=[PAY_APP_TAG],
        request=PayAppCreateInput,
        responses={201: PayAppDetailOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, commitment_id: int) -> Response:
        """Create the period's pay app: a Draft with its lines carried forward (D, F, rates).

        A contact creates its own before the due date (and so accepts a pending invite);
        Standard and Admin users create it on a contact's behalf at any time. Refused with 409
        when the invite was declined, the period already has one, or the latest pay app is not
        approved yet.
        """
        contract = _commitment_for(request.user, commitment_id)
        # Refuse Read Only users before the body is read (the service checks too).
        if require_role(request.user, contract, Role.CONTACT) == Role.READ_ONLY:
            raise PermissionDenied("Read Only users cannot create pay apps.")
        data = parse(PayAppCreateInput, request)
        period = BillingPeriod.objects.filter(
            pk=data.pop("billing_period"), project_id=contract.project_id
        ).first()
        if period is None:
            raise ValidationFailed(
                "Choose a billing period of this project.",
                fields={"billing_period": ["No such billing period on this project."]},
            )
        on_behalf_of = data.pop("on_behalf_of")
        if on_behalf_of is not None:
            on_behalf_of = User.objects.filter(pk=on_behalf_of).first()
            if on_behalf_of is None:
                raise ValidationFailed(
                    "Pay apps are created on behalf of a payment application contact of this "
                    "commitment.",
                    fields={
                        "on_behalf_of": ["Not a payment application contact of this commitment."]
                    },
                )
        pay_app = pay_app_create(
            actor=request.user,
            contract=contract,
            billing_period=period,
            on_behalf_of=on_behalf_of,
            **data,
        )
        return _detail(pay_app, status_code=status.HTTP_201_CREATED)


class ProjectPayApps(Endpoint):
    @extend_schema(
        tags=[PAY_APP_TAG],
        parameters=[PayAppFilters],
        responses={200: PayAppOutput(many=True), **errors(400, 401, 404)},
    )
    def get(self, request: Request, project_id: int) -> Response:
        """The project's pay apps you may see (a contact: its own), newest period first.

        Filter with `billing_period` (id), `status` and `vendor` (company id).
        """
        project = access_project(request.user, project_id)
        filters = _query(PayAppFilters, request)
        pay_apps = _pay_apps(request.user).filter(contract__project=project)
        if "billing_period" in filters:
            pay_apps = pay_apps.filter(billing_period_id=filters["billing_period"])
        if "status" in filters:
            pay_apps = pay_apps.filter(status=filters["status"])
        if "vendor" in filters:
            pay_apps = pay_apps.filter(contract__counterparty_id=filters["vendor"])
        pay_apps = pay_apps.order_by("-billing_period__number", "contract__number", "-number", "pk")
        return paginated(self, pay_apps, PayAppOutput)


# --- One pay app ---------------------------------------------------------------------------------


class PayAppDetail(Endpoint):
    @extend_schema(tags=[PAY_APP_TAG], responses={200: PayAppDetailOutput, **errors(401, 404)})
    def get(self, request: Request, pay_app_id: int) -> Response:
        """A pay app with its G702 summary, its G703 lines and the warnings of its figures."""
        return _detail(access_pay_app(request.user, pay_app_id))

    @extend_schema(
        tags=[PAY_APP_TAG],
        request=PayAppUpdateInput,
        responses={200: PayAppDetailOutput, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, pay_app_id: int) -> Response:
        """Change the invoice number or the billing date (whoever may edit the pay app)."""
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_editor(request.user, pay_app)
        data = parse(PayAppUpdateInput, request)
        pay_app_update_details(actor=request.user, pay_app=pay_app, **data)
        return _detail(pay_app)

    @extend_schema(
        tags=[PAY_APP_TAG],
        parameters=[VersionQuery],
        responses={
            204: OpenApiResponse(description="Deleted."),
            **errors(400, 401, 403, 404, 409),
        },
    )
    def delete(self, request: Request, pay_app_id: int) -> Response:
        """Delete the latest pay app of a commitment while it may still be edited.

        Send the `version` you last read as a query parameter: `?version=3`.
        """
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_editor(request.user, pay_app)
        version = _query(VersionQuery, request)["version"]
        pay_app_delete(actor=request.user, pay_app=pay_app, version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PayAppLineDetail(Endpoint):
    @extend_schema(
        tags=[PAY_APP_TAG],
        request=LineUpdateInput,
        responses={200: LineEditOutput, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, pay_app_id: int, line_id: int) -> Response:
        """Edit one G703 line; the answer is what the edit changed: the pay app's new
        `version`, its new G702 and warnings, and the edited line as a G703 row (every line
        when the commitment has sliding-scale retainage rules: the amount held is then spread
        over all of them). `GET /api/v1/pay-apps/{id}/` reads the whole pay app.

        Contacts and Standard users edit a Draft or a Revise & Resubmit; Admins any pay app
        not yet approved. Retainage rates are the contractor's (Standard, Admin); a release
        is an Admin's, or the vendor's on a retainage invoice. A field a caller may not
        change is refused with 400 naming it, and nothing is saved.
        """
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_editor(request.user, pay_app)
        data = parse(LineUpdateInput, request)
        version = data.pop("version")
        try:
            with _fields_named(_one_line):
                result = pay_app_lines_update(
                    actor=request.user,
                    pay_app=pay_app,
                    version=version,
                    changes=[LineChange(line_id=line_id, **data)],
                    all_rows=False,  # the answer shows the edited row and the G702
                )
        except NoSuchLine:
            raise NotFound("Line not found.") from None
        if result.figures is None:  # pragma: no cover (the service always computes them)
            raise AssertionError("pay_app_lines_update returned no figures")
        answer = LineEditAnswer(figures=result.figures, line_ids=[line_id])
        return Response(LineEditOutput(answer).data)


class PayAppLines(Endpoint):
    @extend_schema(
        tags=[PAY_APP_TAG],
        request=LinesUpdateInput,
        responses={200: PayAppDetailOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pay_app_id: int) -> Response:
        """Edit several lines at once, all or nothing (the web grid's Save).

        Each line takes the fields of the one-line PATCH plus its `id`; an error names the
        line by its place in `lines` (`lines[2].work_completed_this_period`).
        """
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_editor(request.user, pay_app)
        data = parse(LinesUpdateInput, request)
        edits = [dict(line) for line in data["lines"]]
        ids = [edit.pop("id") for edit in edits]
        with _fields_named(_in_list(ids)):
            result = pay_app_lines_update(
                actor=request.user,
                pay_app=pay_app,
                version=data["version"],
                changes=[LineChange(line_id=i, **edit) for i, edit in zip(ids, edits, strict=True)],
            )
        return _detail(pay_app, figures=result.figures)


class PayAppRetainage(Endpoint):
    @extend_schema(
        tags=[PAY_APP_TAG],
        request=RetainageInput,
        responses={200: PayAppDetailOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pay_app_id: int) -> Response:
        """Set the retainage rates of every line at once (Standard and Admin users)."""
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_role(
            request.user,
            pay_app,
            Role.STANDARD,
            refusal="Retainage rates are set by the contractor (Standard or Admin users).",
        )
        data = parse(RetainageInput, request)
        with _fields_named(_rates):
            result = pay_app_set_retainage_all(actor=request.user, pay_app=pay_app, **data)
        return _detail(pay_app, figures=result.figures)


class PayAppReleaseRetainage(Endpoint):
    @extend_schema(
        tags=[PAY_APP_TAG],
        request=ReleaseRetainageInput,
        responses={200: PayAppDetailOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pay_app_id: int) -> Response:
        """Release an `amount` or a `percent` of the retainage held, spread over the lines in
        proportion to their holding (an Admin, or the vendor on a retainage invoice)."""
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_releaser(request.user, pay_app)
        data = parse(ReleaseRetainageInput, request)
        sent = "percent" if "percent" in data and "amount" not in data else "amount"
        with _fields_named(_release(sent)):
            result = pay_app_release_retainage(actor=request.user, pay_app=pay_app, **data)
        return _detail(pay_app, figures=result.figures)


# --- Submit, review, correct ---------------------------------------------------------------------


class PayAppSubmit(Endpoint):
    @extend_schema(
        tags=[PAY_APP_TAG],
        request=SubmitInput,
        responses={200: PayAppDetailOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pay_app_id: int) -> Response:
        """Submit a Draft, or resubmit a Revise & Resubmit: it goes Under Review and the
        distribution list is emailed. A contact submits a Draft only before the due date."""
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_editor(request.user, pay_app)
        data = parse(SubmitInput, request)
        pay_app_submit(actor=request.user, pay_app=pay_app, version=data["version"])
        return _detail(pay_app)


class PayAppReview(Endpoint):
    @extend_schema(
        tags=[PAY_APP_TAG],
        request=ReviewInput,
        responses={200: PayAppDetailOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pay_app_id: int) -> Response:
        """Review a pay app Under Review or Pending Owner Approval (project Admins).

        Mark lines approved or rejected (a rejection needs a `reason`) and set the outcome;
        Revise & Resubmit needs a rejected line or a `comment`, and emails the contacts. The
        vendor's amounts are never changed by a review. A second reviewer working from the
        same `version` gets 409.
        """
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_role(
            request.user, pay_app, Role.ADMIN, refusal="Only an Admin can review a pay app."
        )
        data = parse(ReviewInput, request)
        reviews = [
            LineReview(line_id=line["id"], status=line["status"], reason=line["reason"])
            for line in data["lines"]
        ]
        with _fields_named(_in_list([review.line_id for review in reviews])):
            pay_app_review(
                actor=request.user,
                pay_app=pay_app,
                version=data["version"],
                status=data["status"],
                comment=data["comment"],
                lines=reviews,
            )
        return _detail(pay_app)


class PayAppStatus(Endpoint):
    @extend_schema(
        tags=[PAY_APP_TAG],
        request=StatusInput,
        responses={200: PayAppDetailOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pay_app_id: int) -> Response:
        """Correct a pay app's status to any status, with a reason kept in the history
        (project Admins)."""
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_role(
            request.user,
            pay_app,
            Role.ADMIN,
            refusal="Only an Admin can correct a pay app's status.",
        )
        pay_app_set_status(actor=request.user, pay_app=pay_app, **parse(StatusInput, request))
        return _detail(pay_app)


class PayAppHistory(Endpoint):
    @extend_schema(tags=[PAY_APP_TAG], responses={200: EventOutput(many=True), **errors(401, 404)})
    def get(self, request: Request, pay_app_id: int) -> Response:
        """Every step of the pay app, oldest first: who did what, when, from what to what."""
        pay_app = access_pay_app(request.user, pay_app_id)
        events = (
            Event.objects.filter(target_type=PayApp._meta.model_name, target_id=pay_app.pk)
            .select_related("actor")
            .order_by("created_at", "id")
        )
        return paginated(self, events, EventOutput)


# --- MC/Client payment applications (upstream, DOMAIN.md §5.5) ----------------------------------

CLIENT_PAY_APP_TAG = "client pay apps"


def _client_contract_for(user: Any, client_contract_id: int) -> Contract:
    """A client contract the user may see; a commitment is not found under /client-contracts/,
    and contacts never see client contracts."""
    contract: Contract = access_contract(user, client_contract_id)
    if contract.kind != Contract.Kind.CLIENT:
        raise NotFound("Client contract not found.")
    return contract


def _client_detail(
    request: Request, pay_app: PayApp, *, status_code: int = status.HTTP_200_OK
) -> Response:
    full = _pay_app_in_full(pay_app)
    visible = set(
        contracts_for_user(request.user)
        .filter(project_id=full.contract.project_id)
        .values_list("pk", flat=True)
    )
    context = {"sources": client_pay_app_sources(full), "visible": visible}
    return Response(ClientPayAppDetailOutput(full, context=context).data, status=status_code)


class ClientContractPayApps(Endpoint):
    @extend_schema(
        tags=[CLIENT_PAY_APP_TAG],
        responses={200: ClientPayAppOutput(many=True), **errors(401, 404)},
    )
    def get(self, request: Request, client_contract_id: int) -> Response:
        """The client contract's MC/Client payment applications, newest first."""
        contract = _client_contract_for(request.user, client_contract_id)
        pay_apps = _pay_apps(request.user).filter(contract=contract).order_by("-number", "-pk")
        return paginated(self, pay_apps, ClientPayAppOutput)

    @extend_schema(
        tags=[CLIENT_PAY_APP_TAG],
        request=ClientPayAppCreateInput,
        responses={201: ClientPayAppDetailOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, client_contract_id: int) -> Response:
        """Create the period's MC/Client payment application (Standard and Admin users): a
        Draft, optionally prefilled from the period's progress billings.

        With `prefill`, each client line's E and F are the sums of E and F of the sub lines
        its cost code takes, over the period's Approved, Approved as Noted and Pending Owner
        Approval progress billings; the sources are recorded with their version, and the sub
        lines no client line takes are listed in `unmatched`. The amounts are written as an
        edit would write them: where the project blocks overbilling, a prefill above a line's
        scheduled value is refused (400, `fields.prefill`) and nothing is created. 409 when
        the period already has one or the previous one is not approved yet.

        The client pay app is then edited, submitted and reviewed with the pay app endpoints:
        `PATCH /api/v1/pay-apps/{id}/lines/{line_id}/`, `POST /api/v1/pay-apps/{id}/lines/`,
        `POST /api/v1/pay-apps/{id}/submit/`, `POST /api/v1/pay-apps/{id}/review/`.
        """
        contract = _client_contract_for(request.user, client_contract_id)
        # Refuse Read Only users before the body's ids are looked up (the service checks too).
        require_role(request.user, contract, Role.STANDARD)
        data = parse(ClientPayAppCreateInput, request)
        period = BillingPeriod.objects.filter(
            pk=data.pop("billing_period"), project_id=contract.project_id
        ).first()
        if period is None:
            raise ValidationFailed(
                "Choose a billing period of this project.",
                fields={"billing_period": ["No such billing period on this project."]},
            )
        pay_app = client_pay_app_create(
            actor=request.user, contract=contract, billing_period=period, **data
        )
        return _client_detail(request, pay_app, status_code=status.HTTP_201_CREATED)


class ClientPayAppDetail(Endpoint):
    @extend_schema(
        tags=[CLIENT_PAY_APP_TAG], responses={200: ClientPayAppDetailOutput, **errors(401, 404)}
    )
    def get(self, request: Request, pay_app_id: int) -> Response:
        """An MC/Client payment application: the pay app detail (G702, G703 lines), plus
        `sources` (the progress billings it was prefilled from, each `changed` when its
        version moved on since), `line_sources` (per client line, the source lines its cost
        code takes, as they are now) and `unmatched` (source lines no client line takes).

        Contacts never see client pay apps (404), nor does anyone see a progress billing
        here (404: read it at `/api/v1/pay-apps/{id}/`). Edit, submit and review it with the
        `/api/v1/pay-apps/{id}/...` endpoints.
        """
        pay_app = access_pay_app(request.user, pay_app_id)
        if pay_app.contract.kind != Contract.Kind.CLIENT:
            raise NotFound("Client pay app not found.")
        return _client_detail(request, pay_app)
