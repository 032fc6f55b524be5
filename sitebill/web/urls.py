from django.contrib.auth import views as auth_views
from django.urls import path

from sitebill.web.forms import EmailLoginForm
from sitebill.web.views import contracts, home, periods, projects

app_name = "web"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html",
            authentication_form=EmailLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
    path("projects/<int:project_id>/", projects.project_detail, name="project"),
    path(
        "projects/<int:project_id>/client-contracts/",
        projects.project_client_contracts,
        name="project_client_contracts",
    ),
    path(
        "projects/<int:project_id>/billing-periods/",
        periods.billing_periods,
        name="billing_periods",
    ),
    path(
        "commitments/<int:contract_id>/",
        contracts.contract_detail,
        {"kind_group": "commitments"},
        name="commitment",
    ),
    path(
        "client-contracts/<int:contract_id>/",
        contracts.contract_detail,
        {"kind_group": "client_contracts"},
        name="client_contract",
    ),
    path("contracts/<int:contract_id>/sov-import/", contracts.sov_import, name="sov_import"),
    path(
        "contracts/<int:contract_id>/sov-import/confirm/",
        contracts.sov_import_confirm,
        name="sov_import_confirm",
    ),
    path("sov-import-template.csv", contracts.sov_import_template, name="sov_import_template"),
]
