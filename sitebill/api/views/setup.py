"""Setting a project up over the API: companies, users, projects, members, contracts, periods.

Every view is: load what it acts on through `sitebill.accounts.access` (404 for what the caller
may not see), parse the body, call the service (it refuses a caller below the role it needs with
403 and bad input with 400, saving nothing), shape the result. Lists are scoped and paginated
and cost the same number of queries however many rows they hold.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from sitebill.accounts.access import (
    Role,
    access_contract,
    access_project,
    contracts_for_user,
    projects_for_user,
    require_role,
    user_can_administer,
)
from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.accounts.services import (
    company_create,
    membership_set,
    project_create,
    project_update_settings,
    user_create,
)
from sitebill.api.serializers.setup import (
    BillingPeriodInput,
    BillingPeriodOutput,
    ChangeOrderInput,
    ChangeOrderOutput,
    ChangeOrderStatusInput,
    ClientContractDetailOutput,
    ClientContractInput,
    ClientContractOutput,
    CommitmentDetailOutput,
    CommitmentInput,
    CommitmentOutput,
    CompanyInput,
    CompanyOutput,
    ContactInput,
    MembershipInput,
    MembershipOutput,
    PersonOutput,
    ProjectInput,
    ProjectOutput,
    ProjectSettingsSerializer,
    UserInput,
    UserOutput,
)
from sitebill.api.views import Endpoint, errors, paginated, parse
from sitebill.billing.models import BillingPeriod
from sitebill.billing.services.periods import billing_period_create
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine
from sitebill.contracts.selectors import KIND_GROUPS, KindGroup, contracts_with_values
from sitebill.contracts.services import (
    change_order_create,
    change_order_set_status,
    contract_contact_add,
    contract_create,
)
from sitebill.core.exceptions import NotFound, PermissionDenied, ValidationFailed

# --- Reads that have no access helper of their own -----------------------------------------------


def _manages_directory(user: Any) -> bool:
    """Company administrators and project Admins pick companies and users when setting up."""
    return user_can_administer(user) or (
        Membership.objects.filter(user=user, permission=Membership.Permission.ADMIN).exists()
    )


def _companies_for(user: Any) -> QuerySet[Company]:
    """Everyone who sets projects up sees every company; anyone else only the companies of the
    projects and contracts they can see, and their own (no vendor sees the others)."""
    if _manages_directory(user):
        return Company.objects.all()
    projects = projects_for_user(user)
    return Company.objects.filter(
        Q(pk=user.company_id)
        | Q(pk__in=projects.values("contractor_id"))
        | Q(pk__in=projects.values("client_id"))
        | Q(pk__in=contracts_for_user(user).values("counterparty_id"))
    )


def _users_for(user: Any) -> QuerySet[User]:
    """Everyone who sets projects up sees every user; anyone else only their colleagues."""
    if _manages_directory(user):
        return User.objects.all()
    if user.company_id is None:
        return User.objects.filter(pk=user.pk)
    return User.objects.filter(company_id=user.company_id)


def _change_order_for(user: Any, change_order_id: int) -> ChangeOrder:
    """A change order on a contract the user can see, or NotFound (missing or not theirs)."""
    try:
        return ChangeOrder.objects.select_related("contract", "contract__project").get(
            pk=change_order_id, contract__in=contracts_for_user(user).values("pk")
        )
    except ChangeOrder.DoesNotExist:
        raise NotFound("Change order not found.") from None


_KIND_GROUP_NOT_FOUND = {
    "commitments": "Commitment not found.",
    "client_contracts": "Client contract not found.",
}


def _contracts(user: Any, project: Project, kind_group: KindGroup) -> QuerySet[Contract]:
    """The project's contracts of one kind the user may see, valued, with their SOV lines."""
    return contracts_with_values(
        user=user, project=project, kind_group=kind_group
    ).prefetch_related(Prefetch("lines", queryset=SOVLine.objects.order_by("position", "pk")))


def _access_contract_of_kind(
    user: Any, contract_id: Any, kind_group: KindGroup, *, at_least: Role = Role.CONTACT
) -> Contract:
    """A contract the user may see, of the kind the path names (a client contract is not found
    under `/commitments/`, nor a commitment under `/client-contracts/`), on which the user has
    at least `at_least` (403 otherwise)."""
    contract: Contract = access_contract(user, contract_id)
    if contract.kind not in KIND_GROUPS[kind_group]:
        raise NotFound(_KIND_GROUP_NOT_FOUND[kind_group])
    require_role(user, contract, at_least)
    return contract


def _contract_in_full(user: Any, contract_id: Any, kind_group: KindGroup) -> Contract:
    """One contract of the kind the path names, with lines, change orders and contacts."""
    contract = _access_contract_of_kind(user, contract_id, kind_group)
    change_orders = ChangeOrder.objects.order_by("created_at", "pk").prefetch_related(
        Prefetch("lines", queryset=ChangeOrderLine.objects.order_by("pk"))
    )
    return (
        _contracts(user, contract.project, kind_group)
        .prefetch_related(
            Prefetch("change_orders", queryset=change_orders),
            Prefetch("contacts", queryset=User.objects.order_by("email")),
        )
        .get(pk=contract.pk)
    )


# --- Companies and users ---------------------------------------------------------------------


class CompanyList(Endpoint):
    @extend_schema(tags=["setup"], responses={200: CompanyOutput(many=True), **errors(401)})
    def get(self, request: Request) -> Response:
        """The companies you may see: all of them if you set projects up."""
        return paginated(self, _companies_for(request.user).order_by("name", "pk"), CompanyOutput)

    @extend_schema(
        tags=["setup"],
        request=CompanyInput,
        responses={201: CompanyOutput, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        """Create a contractor, vendor or client company (company administrators)."""
        if not user_can_administer(request.user):
            raise PermissionDenied("Only a company administrator may create companies.")
        company = company_create(actor=request.user, **parse(CompanyInput, request))
        return Response(CompanyOutput(company).data, status=status.HTTP_201_CREATED)


class UserList(Endpoint):
    @extend_schema(tags=["setup"], responses={200: UserOutput(many=True), **errors(401)})
    def get(self, request: Request) -> Response:
        """The users you may see: all of them if you set projects up, else your colleagues."""
        return paginated(self, _users_for(request.user).order_by("email", "pk"), UserOutput)

    @extend_schema(
        tags=["setup"],
        request=UserInput,
        responses={201: UserOutput, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        """Create a login (company administrators, or an Admin of some project)."""
        if not _manages_directory(request.user):
            raise PermissionDenied(
                "Only a company administrator or a project Admin may create users."
            )
        user = user_create(actor=request.user, **parse(UserInput, request))
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


# --- Projects and members --------------------------------------------------------------------


class ProjectList(Endpoint):
    @extend_schema(tags=["setup"], responses={200: ProjectOutput(many=True), **errors(401)})
    def get(self, request: Request) -> Response:
        """The projects you are a member of, or hold a commitment on as a contact."""
        projects = projects_for_user(request.user).order_by("name", "pk")
        return paginated(self, projects, ProjectOutput)

    @extend_schema(
        tags=["setup"],
        request=ProjectInput,
        responses={201: ProjectOutput, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        """Create a project (company administrators); its creator becomes its first Admin."""
        if not user_can_administer(request.user):
            raise PermissionDenied("Only a company administrator may create projects.")
        project = project_create(actor=request.user, **parse(ProjectInput, request))
        return Response(ProjectOutput(project).data, status=status.HTTP_201_CREATED)


class ProjectDetail(Endpoint):
    @extend_schema(tags=["setup"], responses={200: ProjectOutput, **errors(401, 404)})
    def get(self, request: Request, project_id: int) -> Response:
        """A project you are a member of, or hold a commitment on as a contact."""
        project = access_project(request.user, project_id)
        return Response(ProjectOutput(project).data)


class ProjectSettings(Endpoint):
    @extend_schema(
        tags=["setup"],
        request=ProjectSettingsSerializer,
        responses={200: ProjectOutput, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, project_id: int) -> Response:
        """Change some of the project's settings (project Admins); leave out what stays."""
        project = access_project(request.user, project_id, at_least=Role.ADMIN)
        settings = parse(ProjectSettingsSerializer, request)
        project = project_update_settings(actor=request.user, project=project, **settings)
        return Response(ProjectOutput(project).data)


class ProjectMembers(Endpoint):
    @extend_schema(
        tags=["setup"], responses={200: MembershipOutput(many=True), **errors(401, 403, 404)}
    )
    def get(self, request: Request, project_id: int) -> Response:
        """Who has which permission level (members of the project; not vendors' contacts)."""
        project = access_project(request.user, project_id, at_least=Role.READ_ONLY)
        members = (
            Membership.objects.filter(project=project)
            .select_related("user")
            .order_by("user__email", "pk")
        )
        return paginated(self, members, MembershipOutput)

    @extend_schema(
        tags=["setup"],
        request=MembershipInput,
        responses={201: MembershipOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Give a user a permission level on the project, or change it (project Admins)."""
        project = access_project(request.user, project_id, at_least=Role.ADMIN)
        membership = membership_set(
            actor=request.user, project=project, **parse(MembershipInput, request)
        )
        return Response(MembershipOutput(membership).data, status=status.HTTP_201_CREATED)


# --- Commitments and client contracts ----------------------------------------------------------


def _create_contract(
    request: Request, project_id: int, kind_group: KindGroup, counterparty: str
) -> Contract:
    project = access_project(request.user, project_id, at_least=Role.ADMIN)
    serializer = CommitmentInput if kind_group == "commitments" else ClientContractInput
    data = parse(serializer, request)
    data.setdefault("kind", Contract.Kind.CLIENT)
    data["counterparty"] = data.pop(counterparty)
    try:
        contract = contract_create(actor=request.user, project=project, **data)
    except ValidationFailed as error:
        # The service speaks of the `counterparty`; the API calls it `vendor` or `client`.
        if "counterparty" in error.fields:
            error.fields = {
                counterparty if field == "counterparty" else field: messages
                for field, messages in error.fields.items()
            }
        raise
    return _contract_in_full(request.user, contract.pk, kind_group)


class ProjectCommitments(Endpoint):
    @extend_schema(
        tags=["commitments"],
        responses={200: CommitmentOutput(many=True), **errors(401, 404)},
    )
    def get(self, request: Request, project_id: int) -> Response:
        """The project's commitments you may see, with their SOV lines, by number."""
        project = access_project(request.user, project_id)
        return paginated(self, _contracts(request.user, project, "commitments"), CommitmentOutput)

    @extend_schema(
        tags=["commitments"],
        request=CommitmentInput,
        responses={201: CommitmentDetailOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Create a subcontract or purchase order with its SOV lines (project Admins)."""
        contract = _create_contract(request, project_id, "commitments", "vendor")
        return Response(CommitmentDetailOutput(contract).data, status=status.HTTP_201_CREATED)


class CommitmentDetail(Endpoint):
    @extend_schema(
        tags=["commitments"], responses={200: CommitmentDetailOutput, **errors(401, 404)}
    )
    def get(self, request: Request, commitment_id: int) -> Response:
        """A commitment with its SOV lines, change orders (with their lines) and contacts."""
        contract = _contract_in_full(request.user, commitment_id, "commitments")
        return Response(CommitmentDetailOutput(contract).data)


class CommitmentContacts(Endpoint):
    @extend_schema(
        tags=["commitments"],
        request=ContactInput,
        responses={201: PersonOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, commitment_id: int) -> Response:
        """Name a vendor's user as a payment application contact (project Admins)."""
        contract = _access_contract_of_kind(
            request.user, commitment_id, "commitments", at_least=Role.ADMIN
        )
        user = parse(ContactInput, request)["user"]
        contract_contact_add(actor=request.user, contract=contract, user=user)
        return Response(PersonOutput(user).data, status=status.HTTP_201_CREATED)


def _create_change_order(request: Request, contract_id: int, kind_group: KindGroup) -> Response:
    contract = _access_contract_of_kind(request.user, contract_id, kind_group, at_least=Role.ADMIN)
    change_order = change_order_create(
        actor=request.user, contract=contract, **parse(ChangeOrderInput, request)
    )
    change_order = ChangeOrder.objects.prefetch_related(
        Prefetch("lines", queryset=ChangeOrderLine.objects.order_by("pk"))
    ).get(pk=change_order.pk)
    return Response(ChangeOrderOutput(change_order).data, status=status.HTTP_201_CREATED)


class CommitmentChangeOrders(Endpoint):
    @extend_schema(
        tags=["commitments"],
        request=ChangeOrderInput,
        responses={201: ChangeOrderOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, commitment_id: int) -> Response:
        """Add a change order with its lines (project Admins); amounts may be negative."""
        return _create_change_order(request, commitment_id, "commitments")


class ChangeOrderStatus(Endpoint):
    @extend_schema(
        tags=["commitments"],
        request=ChangeOrderStatusInput,
        responses={200: ChangeOrderOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, change_order_id: int) -> Response:
        """Move a change order to draft, pending, approved or void (project Admins).

        An approved change order adds its lines to the contract value and to the next pay app.
        """
        change_order = _change_order_for(request.user, change_order_id)
        require_role(request.user, change_order.contract, Role.ADMIN)
        change_order = change_order_set_status(
            actor=request.user,
            change_order=change_order,
            **parse(ChangeOrderStatusInput, request),
        )
        change_order = ChangeOrder.objects.prefetch_related(
            Prefetch("lines", queryset=ChangeOrderLine.objects.order_by("pk"))
        ).get(pk=change_order.pk)
        return Response(ChangeOrderOutput(change_order).data)


class ProjectClientContracts(Endpoint):
    @extend_schema(
        tags=["client contracts"],
        responses={200: ClientContractOutput(many=True), **errors(401, 404)},
    )
    def get(self, request: Request, project_id: int) -> Response:
        """The project's client contracts you may see, with their SOV lines, by number."""
        project = access_project(request.user, project_id)
        contracts = _contracts(request.user, project, "client_contracts")
        return paginated(self, contracts, ClientContractOutput)

    @extend_schema(
        tags=["client contracts"],
        request=ClientContractInput,
        responses={201: ClientContractDetailOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Create the contract with the client, with its SOV lines (project Admins)."""
        contract = _create_contract(request, project_id, "client_contracts", "client")
        return Response(ClientContractDetailOutput(contract).data, status=status.HTTP_201_CREATED)


class ClientContractDetail(Endpoint):
    @extend_schema(
        tags=["client contracts"], responses={200: ClientContractDetailOutput, **errors(401, 404)}
    )
    def get(self, request: Request, client_contract_id: int) -> Response:
        """A client contract with its SOV lines and change orders (with their lines)."""
        contract = _contract_in_full(request.user, client_contract_id, "client_contracts")
        return Response(ClientContractDetailOutput(contract).data)


class ClientContractChangeOrders(Endpoint):
    @extend_schema(
        tags=["client contracts"],
        request=ChangeOrderInput,
        responses={201: ChangeOrderOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, client_contract_id: int) -> Response:
        """Add a change order to the client contract (project Admins)."""
        return _create_change_order(request, client_contract_id, "client_contracts")


# --- Billing periods -------------------------------------------------------------------------


class ProjectBillingPeriods(Endpoint):
    @extend_schema(
        tags=["billing periods"],
        responses={200: BillingPeriodOutput(many=True), **errors(401, 404)},
    )
    def get(self, request: Request, project_id: int) -> Response:
        """The project's billing periods, newest first."""
        project = access_project(request.user, project_id)
        periods = BillingPeriod.objects.filter(project=project).order_by("-number", "-pk")
        return paginated(self, periods, BillingPeriodOutput)

    @extend_schema(
        tags=["billing periods"],
        request=BillingPeriodInput,
        responses={201: BillingPeriodOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Open the next billing period; the open one closes (project Admins)."""
        project = access_project(request.user, project_id, at_least=Role.ADMIN)
        period = billing_period_create(
            actor=request.user, project=project, **parse(BillingPeriodInput, request)
        )
        return Response(BillingPeriodOutput(period).data, status=status.HTTP_201_CREATED)
