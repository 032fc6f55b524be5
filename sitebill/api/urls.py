"""REST API v1 routes (API.md), mounted at /api/v1/. One `path` per endpoint, grouped by area."""

from django.urls import path

from sitebill.api.auth import TokenObtain
from sitebill.api.views import billing, documents, erp, reports, setup, sov_import

app_name = "api"

urlpatterns = [
    # Auth
    path("auth/token/", TokenObtain.as_view(), name="auth-token"),
    # Companies and users
    path("companies/", setup.CompanyList.as_view(), name="companies"),
    path("users/", setup.UserList.as_view(), name="users"),
    # Projects and members
    path("projects/", setup.ProjectList.as_view(), name="projects"),
    path("projects/<int:project_id>/", setup.ProjectDetail.as_view(), name="project"),
    path(
        "projects/<int:project_id>/settings/",
        setup.ProjectSettings.as_view(),
        name="project-settings",
    ),
    path(
        "projects/<int:project_id>/members/",
        setup.ProjectMembers.as_view(),
        name="project-members",
    ),
    # The project dashboard (sitebill/api/views/reports.py)
    path(
        "projects/<int:project_id>/dashboard/",
        reports.ProjectDashboard.as_view(),
        name="project-dashboard",
    ),
    # Commitments (subcontracts, purchase orders) and their change orders
    path(
        "projects/<int:project_id>/commitments/",
        setup.ProjectCommitments.as_view(),
        name="project-commitments",
    ),
    path("commitments/<int:commitment_id>/", setup.CommitmentDetail.as_view(), name="commitment"),
    path(
        "commitments/<int:commitment_id>/contacts/",
        setup.CommitmentContacts.as_view(),
        name="commitment-contacts",
    ),
    path(
        "commitments/<int:commitment_id>/sov-import/",
        sov_import.CommitmentSOVImport.as_view(),
        name="commitment-sov-import",
    ),
    path(
        "commitments/<int:commitment_id>/change-orders/",
        setup.CommitmentChangeOrders.as_view(),
        name="commitment-change-orders",
    ),
    path(
        "change-orders/<int:change_order_id>/status/",
        setup.ChangeOrderStatus.as_view(),
        name="change-order-status",
    ),
    # Client contracts
    path(
        "projects/<int:project_id>/client-contracts/",
        setup.ProjectClientContracts.as_view(),
        name="project-client-contracts",
    ),
    path(
        "client-contracts/<int:client_contract_id>/",
        setup.ClientContractDetail.as_view(),
        name="client-contract",
    ),
    path(
        "client-contracts/<int:client_contract_id>/change-orders/",
        setup.ClientContractChangeOrders.as_view(),
        name="client-contract-change-orders",
    ),
    # MC/Client payment applications (upstream)
    path(
        "client-contracts/<int:client_contract_id>/pay-apps/",
        billing.ClientContractPayApps.as_view(),
        name="client-contract-pay-apps",
    ),
    path(
        "client-pay-apps/<int:pay_app_id>/",
        billing.ClientPayAppDetail.as_view(),
        name="client-pay-app",
    ),
    # Billing periods
    path(
        "projects/<int:project_id>/billing-periods/",
        setup.ProjectBillingPeriods.as_view(),
        name="project-billing-periods",
    ),
    # Billing: Invite to Bill, pay apps, their review and history
    path(
        "billing-periods/<int:period_id>/invites/",
        billing.PeriodInvites.as_view(),
        name="billing-period-invites",
    ),
    path(
        "billing-periods/<int:period_id>/send-invites/",
        billing.PeriodSendInvites.as_view(),
        name="billing-period-send-invites",
    ),
    path("invites/<int:invite_id>/accept/", billing.InviteAccept.as_view(), name="invite-accept"),
    path(
        "invites/<int:invite_id>/decline/", billing.InviteDecline.as_view(), name="invite-decline"
    ),
    path(
        "commitments/<int:commitment_id>/pay-apps/",
        billing.CommitmentPayApps.as_view(),
        name="commitment-pay-apps",
    ),
    path(
        "projects/<int:project_id>/pay-apps/",
        billing.ProjectPayApps.as_view(),
        name="project-pay-apps",
    ),
    path("pay-apps/<int:pay_app_id>/", billing.PayAppDetail.as_view(), name="pay-app"),
    path("pay-apps/<int:pay_app_id>/lines/", billing.PayAppLines.as_view(), name="pay-app-lines"),
    path(
        "pay-apps/<int:pay_app_id>/lines/<int:line_id>/",
        billing.PayAppLineDetail.as_view(),
        name="pay-app-line",
    ),
    path(
        "pay-apps/<int:pay_app_id>/retainage/",
        billing.PayAppRetainage.as_view(),
        name="pay-app-retainage",
    ),
    path(
        "pay-apps/<int:pay_app_id>/release-retainage/",
        billing.PayAppReleaseRetainage.as_view(),
        name="pay-app-release-retainage",
    ),
    path(
        "pay-apps/<int:pay_app_id>/submit/", billing.PayAppSubmit.as_view(), name="pay-app-submit"
    ),
    path(
        "pay-apps/<int:pay_app_id>/review/", billing.PayAppReview.as_view(), name="pay-app-review"
    ),
    path(
        "pay-apps/<int:pay_app_id>/status/", billing.PayAppStatus.as_view(), name="pay-app-status"
    ),
    path(
        "pay-apps/<int:pay_app_id>/history/",
        billing.PayAppHistory.as_view(),
        name="pay-app-history",
    ),
    # Pay app documents (sitebill/api/views/documents.py)
    path("pay-apps/<int:pay_app_id>/pdf/", documents.PayAppPdf.as_view(), name="pay-app-pdf"),
    path("pay-apps/<int:pay_app_id>/csv/", documents.PayAppCsv.as_view(), name="pay-app-csv"),
    path("pay-apps/<int:pay_app_id>/xlsx/", documents.PayAppXlsx.as_view(), name="pay-app-xlsx"),
    # Payments and the ERP export queue (sitebill/api/views/erp.py)
    path(
        "pay-apps/<int:pay_app_id>/payments/", erp.PayAppPayments.as_view(), name="pay-app-payments"
    ),
    path(
        "projects/<int:project_id>/erp-exports/",
        erp.ProjectErpExports.as_view(),
        name="project-erp-exports",
    ),
    path(
        "projects/<int:project_id>/erp-exports/<int:export_id>/",
        erp.ErpExportDetail.as_view(),
        name="erp-export",
    ),
    path(
        "projects/<int:project_id>/erp-exports/<int:export_id>/accept/",
        erp.ErpExportAccept.as_view(),
        name="erp-export-accept",
    ),
    path(
        "projects/<int:project_id>/erp-exports/<int:export_id>/reject/",
        erp.ErpExportReject.as_view(),
        name="erp-export-reject",
    ),
    path(
        "projects/<int:project_id>/erp-exports/<int:export_id>/file/",
        erp.ErpExportFile.as_view(),
        name="erp-export-file",
    ),
]
