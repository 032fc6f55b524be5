"""The permission matrix (DOMAIN.md §4): every page and API endpoint × every role.

Each route has an expectation per method and role: OK (allowed: 2xx/3xx, or for a write a
refusal of the body, 400/409), LOGIN (anonymous: 302 to the login page, or 401 from the API),
NF (404: the user may not see it) or FB (403: the user sees it but may not act). Every refused
write must leave the database exactly as it was. A route without an expectation fails the
completeness test, so a new route cannot slip past the matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from sitebill.core.models import Event
from tests.permissions.known_divergences import KNOWN_DIVERGENCES
from tests.permissions.scene import ROLES, Scene, build_scene, snapshot

OK, LOGIN, NF, FB = "OK", "LOGIN", "404", "403"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SKIPPED_PREFIXES = ("admin/", "api/schema/", "api/docs/", "static/", "media/")


def _roles(**by_role: str) -> dict[str, str]:
    return {**by_role, "anonymous": LOGIN}


# Who may do what (DOMAIN.md §4), by kind of object.
EVERYONE = dict.fromkeys(ROLES, OK)
LOGGED_IN = _roles(**{role: OK for role in ROLES if role != "anonymous"})
OUTSIDERS = {"stranger": NF, "other_project": NF}
SEE_PROJECT = _roles(admin=OK, standard=OK, read_only=OK, contact=OK, other_contact=OK, **OUTSIDERS)
MEMBERS_ONLY = _roles(
    admin=OK, standard=OK, read_only=OK, contact=FB, other_contact=FB, **OUTSIDERS
)
MEMBERS_ONLY_HIDDEN = _roles(
    admin=OK, standard=OK, read_only=OK, contact=NF, other_contact=NF, **OUTSIDERS
)
ADMIN_ON_PROJECT = _roles(
    admin=OK, standard=FB, read_only=FB, contact=FB, other_contact=FB, **OUTSIDERS
)
SEE_COMMITMENT = _roles(
    admin=OK, standard=OK, read_only=OK, contact=OK, other_contact=NF, **OUTSIDERS
)
EDIT_PAY_APP = _roles(
    admin=OK, standard=OK, read_only=FB, contact=OK, other_contact=NF, **OUTSIDERS
)
STANDARD_ON_COMMITMENT = _roles(
    admin=OK, standard=OK, read_only=FB, contact=FB, other_contact=NF, **OUTSIDERS
)
ADMIN_ON_COMMITMENT = _roles(
    admin=OK, standard=FB, read_only=FB, contact=FB, other_contact=NF, **OUTSIDERS
)
ANSWER_INVITE = _roles(
    admin=FB, standard=FB, read_only=FB, contact=OK, other_contact=NF, **OUTSIDERS
)
SEE_CLIENT = _roles(admin=OK, standard=OK, read_only=OK, contact=NF, other_contact=NF, **OUTSIDERS)
STANDARD_ON_CLIENT = _roles(
    admin=OK, standard=FB, read_only=FB, contact=NF, other_contact=NF, **OUTSIDERS
)
STANDARD_ON_CLIENT.update(standard=OK)
ADMIN_ON_CLIENT = _roles(
    admin=OK, standard=FB, read_only=FB, contact=NF, other_contact=NF, **OUTSIDERS
)
RECIPIENT_ONLY = _roles(
    admin=NF, standard=NF, read_only=NF, contact=OK, other_contact=NF, **OUTSIDERS
)
# Creating companies, users and projects belongs to company administrators: none here.
COMPANY_ADMINISTRATORS = _roles(**{r: FB for r in ROLES if r != "anonymous"})
# API.md: `POST /users/` is for "Admin of some project or superuser" (admins add their people).
PROJECT_ADMINS_ANYWHERE = _roles(
    **{r: (OK if r in ("admin", "other_project") else FB) for r in ROLES if r != "anonymous"}
)

MATRIX: dict[str, dict[str, dict[str, str]]] = {
    # --- Web: sign-in and passwords
    "web:login": {"GET": EVERYONE},
    "web:logout": {"POST": EVERYONE},
    "web:password_change": {"GET": LOGGED_IN},
    "web:password_change_done": {"GET": LOGGED_IN},
    "web:password_reset": {"GET": EVERYONE},
    "web:password_reset_done": {"GET": EVERYONE},
    "web:password_reset_confirm": {"GET": EVERYONE},
    "web:password_reset_complete": {"GET": EVERYONE},
    # --- Web: projects and their tools
    "web:home": {"GET": LOGGED_IN},
    "web:contact_dashboard": {"GET": LOGGED_IN},
    "web:project": {"GET": SEE_PROJECT},
    "web:project_client_contracts": {"GET": SEE_PROJECT},
    "web:billing_periods": {"GET": SEE_PROJECT, "POST": ADMIN_ON_PROJECT},
    "web:progress_billings": {"GET": SEE_PROJECT},
    "web:progress_billings_send_invites": {"POST": ADMIN_ON_PROJECT},
    "web:pay_apps": {"GET": SEE_PROJECT},
    "web:pay_apps_csv": {"GET": SEE_PROJECT},
    "web:pay_apps_xlsx": {"GET": SEE_PROJECT},
    "web:project_dashboard": {"GET": MEMBERS_ONLY_HIDDEN},
    "web:project_dashboard_csv": {"GET": MEMBERS_ONLY_HIDDEN},
    "web:project_dashboard_xlsx": {"GET": MEMBERS_ONLY_HIDDEN},
    "web:project_dashboard_svg": {"GET": MEMBERS_ONLY_HIDDEN},
    "web:erp_exports": {"GET": ADMIN_ON_PROJECT},
    "web:erp_export_send": {"POST": ADMIN_ON_PROJECT},
    "web:erp_export_accept": {"POST": ADMIN_ON_PROJECT},
    "web:erp_export_reject": {"POST": ADMIN_ON_PROJECT},
    "web:erp_export_file": {"GET": ADMIN_ON_PROJECT},
    # --- Web: invites
    "web:invite_answer": {"POST": ANSWER_INVITE},
    "web:invite_respond": {"GET": ANSWER_INVITE, "POST": ANSWER_INVITE},
    # --- Web: contracts
    "web:commitment": {"GET": SEE_COMMITMENT},
    "web:client_contract": {"GET": SEE_CLIENT},
    "web:sov_import": {"POST": ADMIN_ON_COMMITMENT},
    "web:sov_import_confirm": {"POST": ADMIN_ON_COMMITMENT},
    "web:sov_import_template": {"GET": LOGGED_IN},
    "web:client_pay_app_new": {"POST": STANDARD_ON_CLIENT},
    "web:client_pay_app_sources": {"GET": SEE_CLIENT},
    # --- Web: pay apps
    "web:pay_app_new": {"GET": EDIT_PAY_APP, "POST": EDIT_PAY_APP},
    "web:pay_app": {"GET": SEE_COMMITMENT, "POST": EDIT_PAY_APP},
    "web:pay_app_pdf": {"GET": SEE_COMMITMENT},
    "web:pay_app_csv": {"GET": SEE_COMMITMENT},
    "web:pay_app_xlsx": {"GET": SEE_COMMITMENT},
    "web:pay_app_preview": {"POST": EDIT_PAY_APP},
    "web:pay_app_submit": {"GET": EDIT_PAY_APP, "POST": EDIT_PAY_APP},
    "web:pay_app_delete": {"GET": EDIT_PAY_APP, "POST": EDIT_PAY_APP},
    "web:pay_app_review": {"POST": ADMIN_ON_COMMITMENT},
    "web:pay_app_status": {"POST": ADMIN_ON_COMMITMENT},
    "web:pay_app_retainage": {"POST": STANDARD_ON_COMMITMENT},
    "web:pay_app_release": {"POST": ADMIN_ON_COMMITMENT},
    "web:pay_app_details": {"POST": EDIT_PAY_APP},
    "web:pay_app_attachment_add": {"POST": EDIT_PAY_APP},
    "web:pay_app_attachment": {"GET": SEE_COMMITMENT},
    "web:pay_app_history_changes": {"GET": SEE_COMMITMENT},
    "web:pay_app_attachment_delete": {"POST": EDIT_PAY_APP},
    "web:pay_app_payment_add": {"POST": ADMIN_ON_COMMITMENT},
    # --- Outbox
    "notifications:outbox": {"GET": LOGGED_IN},
    "notifications:message": {"GET": RECIPIENT_ONLY},
    # --- API: auth, directory, projects
    "api:auth-token": {"POST": EVERYONE},
    "api:companies": {"GET": LOGGED_IN, "POST": COMPANY_ADMINISTRATORS},
    "api:users": {"GET": LOGGED_IN, "POST": PROJECT_ADMINS_ANYWHERE},
    "api:projects": {"GET": LOGGED_IN, "POST": COMPANY_ADMINISTRATORS},
    "api:project": {"GET": SEE_PROJECT},
    "api:project-settings": {"PATCH": ADMIN_ON_PROJECT},
    "api:project-members": {"GET": MEMBERS_ONLY, "POST": ADMIN_ON_PROJECT},
    "api:project-dashboard": {"GET": MEMBERS_ONLY_HIDDEN},
    # --- API: contracts
    "api:project-commitments": {"GET": SEE_PROJECT, "POST": ADMIN_ON_PROJECT},
    "api:commitment": {"GET": SEE_COMMITMENT},
    "api:commitment-contacts": {"POST": ADMIN_ON_COMMITMENT},
    "api:commitment-sov-import": {"POST": ADMIN_ON_COMMITMENT},
    "api:commitment-change-orders": {"POST": ADMIN_ON_COMMITMENT},
    "api:change-order-status": {"POST": ADMIN_ON_COMMITMENT},
    "api:project-client-contracts": {"GET": SEE_PROJECT, "POST": ADMIN_ON_PROJECT},
    "api:client-contract": {"GET": SEE_CLIENT},
    "api:client-contract-change-orders": {"POST": ADMIN_ON_CLIENT},
    "api:client-contract-pay-apps": {"GET": SEE_CLIENT, "POST": STANDARD_ON_CLIENT},
    "api:client-pay-app": {"GET": SEE_CLIENT},
    # --- API: periods and invites
    "api:project-billing-periods": {"GET": SEE_PROJECT, "POST": ADMIN_ON_PROJECT},
    "api:billing-period-invites": {"GET": SEE_PROJECT},
    "api:billing-period-send-invites": {"POST": ADMIN_ON_PROJECT},
    "api:invite-accept": {"POST": ANSWER_INVITE},
    "api:invite-decline": {"POST": ANSWER_INVITE},
    # --- API: pay apps
    "api:commitment-pay-apps": {"GET": SEE_COMMITMENT, "POST": EDIT_PAY_APP},
    "api:project-pay-apps": {"GET": SEE_PROJECT},
    "api:pay-app": {"GET": SEE_COMMITMENT, "PATCH": EDIT_PAY_APP, "DELETE": EDIT_PAY_APP},
    "api:pay-app-lines": {"POST": EDIT_PAY_APP},
    "api:pay-app-line": {"PATCH": EDIT_PAY_APP},
    "api:pay-app-retainage": {"POST": STANDARD_ON_COMMITMENT},
    "api:pay-app-release-retainage": {"POST": ADMIN_ON_COMMITMENT},
    "api:pay-app-submit": {"POST": EDIT_PAY_APP},
    "api:pay-app-review": {"POST": ADMIN_ON_COMMITMENT},
    "api:pay-app-status": {"POST": ADMIN_ON_COMMITMENT},
    "api:pay-app-history": {"GET": SEE_COMMITMENT},
    "api:pay-app-pdf": {"GET": SEE_COMMITMENT},
    "api:pay-app-csv": {"GET": SEE_COMMITMENT},
    "api:pay-app-xlsx": {"GET": SEE_COMMITMENT},
    # --- API: payments and the ERP queue
    "api:pay-app-payments": {"GET": SEE_COMMITMENT, "POST": ADMIN_ON_COMMITMENT},
    "api:project-erp-exports": {"GET": ADMIN_ON_PROJECT, "POST": ADMIN_ON_PROJECT},
    "api:erp-export": {"GET": ADMIN_ON_PROJECT},
    "api:erp-export-accept": {"POST": ADMIN_ON_PROJECT},
    "api:erp-export-reject": {"POST": ADMIN_ON_PROJECT},
    "api:erp-export-file": {"GET": ADMIN_ON_PROJECT},
}

# Routes whose pay app is not the Draft on the contact's commitment.
APPROVED_PAY_APP_ROUTES = {"web:pay_app_payment_add", "api:pay-app-payments"}
CLIENT_ROUTES = {
    "web:client_pay_app_new",
    "web:client_pay_app_sources",
    "web:client_contract",
    "api:client-pay-app",
}


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, Any]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            route = prefix + str(entry.pattern)
            if route.lstrip("^").startswith(SKIPPED_PREFIXES):
                continue
            if namespace in ("web", "api", "notifications"):
                yield f"{namespace}:{entry.name}", entry


def routes() -> dict[str, Any]:
    return dict(_walk(get_resolver(), "", ""))


def _kwargs(name: str, pattern: Any, scene: Scene) -> dict[str, Any]:
    world = scene.world
    pay_app = scene.draft
    if name in APPROVED_PAY_APP_ROUTES:
        pay_app = scene.approved
    if name in CLIENT_ROUTES:
        pay_app = scene.client_pay_app
    contract = scene.client_contract if name in CLIENT_ROUTES else world.commitment
    values: dict[str, Any] = {
        "project_id": world.project.pk,
        "contract_id": contract.pk,
        "commitment_id": world.commitment.pk,
        "client_contract_id": scene.client_contract.pk,
        "pay_app_id": pay_app.pk,
        "line_id": pay_app.lines.order_by("pk").values_list("pk", flat=True).first(),
        "period_id": world.period.pk,
        "invite_id": scene.invite.pk,
        "action": "accept",
        "token": scene.token,
        "export_id": scene.export.pk,
        "change_order_id": scene.change_order.pk,
        "attachment_id": scene.attachment.pk,
        "message_id": scene.message.pk,
        "event_id": Event.objects.filter(target_type="payapp", target_id=pay_app.pk)
        .values_list("pk", flat=True)
        .first(),
        "uidb64": "MQ",
    }
    if name == "web:password_reset_confirm":
        values["token"] = "not-a-token"
    names = set(pattern.pattern.regex.groupindex)
    return {key: value for key, value in values.items() if key in names}


def _marks(case_id: str) -> list[Any]:
    actual = KNOWN_DIVERGENCES.get(case_id)
    if actual is None:
        return []
    return [pytest.mark.xfail(strict=True, reason=f"code answers {actual}, DOMAIN.md §4 differs")]


CASES = [
    pytest.param(
        name, method, role, id=f"{name}-{method}-{role}", marks=_marks(f"{name}-{method}-{role}")
    )
    for name, methods in MATRIX.items()
    for method, by_role in methods.items()
    for role in by_role
]


@pytest.fixture(scope="module")
def scene(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Scene]:
    """Built once in an outer transaction; each case runs in a savepoint rolled back after it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_scene()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_every_route_has_an_expectation_for_every_method_and_role() -> None:
    # given every route the project serves
    found = routes()
    # then each is in the matrix, with every role, and nothing in the matrix is stale
    assert sorted(set(found) - set(MATRIX)) == [], "routes without expectations"
    assert sorted(set(MATRIX) - set(found)) == [], "expectations for routes that are gone"
    for name, methods in MATRIX.items():
        for method, by_role in methods.items():
            assert sorted(by_role) == sorted(ROLES), (name, method)
        view = getattr(found[name].callback, "cls", None)
        if view is not None:  # class-based (API): the methods it answers are exactly these
            answered = {m.upper() for m in view.http_method_names if hasattr(view, m)}
            assert answered - {"OPTIONS", "HEAD"} == set(methods), name


def _call(name: str, method: str, role: str, scene: Scene) -> Any:
    url = reverse(name, kwargs=_kwargs(name, routes()[name], scene))
    user = scene.user(role)
    client: Any
    if name.startswith("api:"):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return getattr(client, method.lower())(url, {}, format="json")
    client = Client()
    if user is not None:
        client.force_login(user)
    return getattr(client, method.lower())(url, {})


def _verdict(response: Any, name: str, method: str) -> str:
    code = response.status_code
    if code == 401:
        return LOGIN
    if code == 302 and "/login/" in response.get("Location", "") and name != "web:logout":
        return LOGIN
    if code in (403, 404):
        return str(code)
    if code < 400 or (method in WRITES and code in (400, 409)):
        return OK
    return f"unexpected {code}"


@pytest.mark.parametrize(("name", "method", "role"), CASES)
def test_permission_matrix(name: str, method: str, role: str, scene: Scene, db: Any) -> None:
    # given the scene, and the expected answer for this role (DOMAIN.md §4)
    expected = MATRIX[name][method][role]
    before = snapshot()
    # when the role calls the route
    response = _call(name, method, role, scene)
    # then it gets the expected answer
    actual = _verdict(response, name, method)
    assert actual == expected, f"{name} {method} as {role}: {response.status_code}"
    # and a refused write changed nothing
    if method in WRITES and expected != OK:
        assert snapshot() == before
