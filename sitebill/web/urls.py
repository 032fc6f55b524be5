from django.contrib.auth import views as auth_views
from django.urls import path, re_path, reverse_lazy

from sitebill.web.forms import EmailLoginForm
from sitebill.web.views import (
    contracts,
    dashboard,
    dashboard_project,
    documents,
    erp,
    home,
    invites,
    pay_app_lists,
    pay_apps,
    periods,
    progress_billings,
    projects,
)

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
    # Password change: Django's view keeps this session and ends the user's other sessions.
    path(
        "password-change/",
        auth_views.PasswordChangeView.as_view(
            template_name="web/registration/password_change_form.html",
            success_url=reverse_lazy("web:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password-change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="web/registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
    # Password reset ("Set or reset your password" on the login page): Django's views, our pages.
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="web/registration/password_reset_form.html",
            email_template_name="web/registration/password_reset_email.txt",
            subject_template_name="web/registration/password_reset_subject.txt",
            form_class=invites.SetOrResetPasswordForm,
            success_url=reverse_lazy("web:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="web/registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="web/registration/password_reset_confirm.html",
            success_url=reverse_lazy("web:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="web/registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
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
        "projects/<int:project_id>/progress-billings/",
        progress_billings.progress_billings,
        name="progress_billings",
    ),
    path(
        "projects/<int:project_id>/progress-billings/send-invites/",
        progress_billings.progress_billings_send_invites,
        name="progress_billings_send_invites",
    ),
    path(
        "client-contracts/<int:contract_id>/pay-apps/new/",
        progress_billings.client_pay_app_new,
        name="client_pay_app_new",
    ),
    path(
        "client-pay-apps/<int:pay_app_id>/sources/",
        progress_billings.client_pay_app_sources,
        name="client_pay_app_sources",
    ),
    path("projects/<int:project_id>/pay-apps/", pay_app_lists.pay_app_list, name="pay_apps"),
    # The project dashboard and its downloads (sitebill/web/views/dashboard_project.py)
    path(
        "projects/<int:project_id>/dashboard/",
        dashboard_project.project_dashboard_page,
        name="project_dashboard",
    ),
    path(
        "projects/<int:project_id>/dashboard.csv",
        dashboard_project.project_dashboard_csv,
        name="project_dashboard_csv",
    ),
    path(
        "projects/<int:project_id>/dashboard.xlsx",
        dashboard_project.project_dashboard_xlsx,
        name="project_dashboard_xlsx",
    ),
    path(
        "projects/<int:project_id>/dashboard.svg",
        dashboard_project.project_dashboard_svg,
        name="project_dashboard_svg",
    ),
    # Payments and the ERP export queue (sitebill/web/views/erp.py)
    path("projects/<int:project_id>/erp-exports/", erp.erp_exports, name="erp_exports"),
    path(
        "projects/<int:project_id>/erp-exports/send/",
        erp.erp_export_send,
        name="erp_export_send",
    ),
    path(
        "projects/<int:project_id>/erp-exports/<int:export_id>/accept/",
        erp.erp_export_accept,
        name="erp_export_accept",
    ),
    path(
        "projects/<int:project_id>/erp-exports/<int:export_id>/reject/",
        erp.erp_export_reject,
        name="erp_export_reject",
    ),
    path(
        "projects/<int:project_id>/erp-exports/<int:export_id>/file/",
        erp.erp_export_file,
        name="erp_export_file",
    ),
    path(
        "pay-apps/<int:pay_app_id>/payments/",
        erp.pay_app_payment_add,
        name="pay_app_payment_add",
    ),
    path("projects/<int:project_id>/pay-apps.csv", documents.pay_apps_csv, name="pay_apps_csv"),
    path("projects/<int:project_id>/pay-apps.xlsx", documents.pay_apps_xlsx, name="pay_apps_xlsx"),
    path("billing/", dashboard.contact_dashboard, name="contact_dashboard"),
    re_path(
        r"^invites/(?P<invite_id>[0-9]+)/(?P<action>accept|decline)/$",
        invites.invite_answer,
        name="invite_answer",
    ),
    re_path(
        r"^invites/(?P<action>accept|decline)/(?P<token>[^/]+)/$",
        invites.invite_respond,
        name="invite_respond",
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
    # Pay app pages (sitebill/web/views/pay_apps.py)
    path("commitments/<int:contract_id>/pay-apps/new/", pay_apps.pay_app_new, name="pay_app_new"),
    path("pay-apps/<int:pay_app_id>/", pay_apps.pay_app_detail, name="pay_app"),
    # Pay app documents (sitebill/web/views/documents.py)
    path("pay-apps/<int:pay_app_id>/pdf/", documents.pay_app_pdf, name="pay_app_pdf"),
    path("pay-apps/<int:pay_app_id>/csv/", documents.pay_app_csv, name="pay_app_csv"),
    path("pay-apps/<int:pay_app_id>/xlsx/", documents.pay_app_xlsx, name="pay_app_xlsx"),
    path(
        "pay-apps/<int:pay_app_id>/preview/",
        pay_apps.pay_app_preview_view,
        name="pay_app_preview",
    ),
    path("pay-apps/<int:pay_app_id>/submit/", pay_apps.pay_app_submit_view, name="pay_app_submit"),
    path("pay-apps/<int:pay_app_id>/delete/", pay_apps.pay_app_delete_view, name="pay_app_delete"),
    path("pay-apps/<int:pay_app_id>/review/", pay_apps.pay_app_review_view, name="pay_app_review"),
    path("pay-apps/<int:pay_app_id>/status/", pay_apps.pay_app_status, name="pay_app_status"),
    path(
        "pay-apps/<int:pay_app_id>/retainage/",
        pay_apps.pay_app_retainage,
        name="pay_app_retainage",
    ),
    path("pay-apps/<int:pay_app_id>/release/", pay_apps.pay_app_release, name="pay_app_release"),
    path("pay-apps/<int:pay_app_id>/details/", pay_apps.pay_app_details, name="pay_app_details"),
    path(
        "pay-apps/<int:pay_app_id>/attachments/",
        pay_apps.pay_app_attachment_add,
        name="pay_app_attachment_add",
    ),
    path(
        "pay-apps/<int:pay_app_id>/history/<int:event_id>/",
        pay_apps.pay_app_history_changes,
        name="pay_app_history_changes",
    ),
    path(
        "pay-apps/<int:pay_app_id>/attachments/<int:attachment_id>/",
        pay_apps.pay_app_attachment,
        name="pay_app_attachment",
    ),
    path(
        "pay-apps/<int:pay_app_id>/attachments/<int:attachment_id>/delete/",
        pay_apps.pay_app_attachment_delete,
        name="pay_app_attachment_delete",
    ),
]
