"""Logging in and out, the page frame, and the project list."""

from __future__ import annotations

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sitebill.accounts.models import Membership
from tests import factories


def test_the_login_page_has_labelled_email_and_password_inputs(client, db):
    # when
    response = client.get("/login/")
    # then
    assert response.status_code == 200
    assertContains(response, '<label for="id_username">Email:</label>', html=True)
    assertContains(response, '<label for="id_password">Password:</label>', html=True)
    assertContains(response, 'type="email"')
    assertContains(
        response, '<a class="skip-link" href="#main">Skip to main content</a>', html=True
    )
    assertNotContains(response, "Log out")


def test_a_user_logs_in_with_email_and_password(client, world):
    # when
    response = client.post("/login/", {"username": "admin@summit.example", "password": "demo1234"})
    # then
    assertRedirects(response, "/")
    assert client.get("/").wsgi_request.user == world.admin


def test_a_wrong_password_is_refused_on_the_page(client, world):
    # when
    response = client.post("/login/", {"username": "admin@summit.example", "password": "wrong"})
    # then
    assert response.status_code == 200
    assertContains(response, "Please enter a correct email and password.")


def test_log_out_is_a_post_and_returns_to_the_login_page(login):
    # given
    client = login("admin")
    # when
    response = client.post("/logout/")
    # then
    assertRedirects(response, "/login/")
    assertRedirects(client.get("/"), "/login/?next=/")


def test_pages_need_a_login(client, world):
    assertRedirects(client.get("/"), "/login/?next=/")
    url = f"/projects/{world.project.pk}/"
    assertRedirects(client.get(url), f"/login/?next={url}")


def test_the_top_bar_shows_the_user_the_company_the_nav_and_log_out(login, world):
    # when
    response = login("admin").get("/")
    # then
    assertContains(response, f'<span class="topbar__name">{world.admin.name}</span>', html=True)
    assertContains(response, '<span class="topbar__company">Summit Builders</span>', html=True)
    assertContains(response, '<a href="/" aria-current="page">Projects</a>', html=True)
    assertContains(response, '<a href="/outbox/">Outbox</a>', html=True)
    assertContains(
        response, '<button type="submit" class="button button--on-dark">Log out</button>', html=True
    )
    assertContains(response, 'action="/logout/"')
    assertContains(response, '<main id="main" tabindex="-1" class="page">')
    assertContains(response, "/static/django_htmx/htmx-2.min.js")


@pytest.mark.parametrize(
    ("role", "label"),
    [
        ("admin", "Admin"),
        ("standard", "Standard"),
        ("read_only", "Read Only"),
        ("contact", "Payment Application Contact"),
        ("other_contact", "Payment Application Contact"),
    ],
)
def test_the_project_list_shows_each_project_with_the_users_role(login, world, role, label):
    # given
    world.project.client = factories.CompanyFactory(name="Riverside Health", kind="client")
    world.project.save(update_fields=["client"])
    # when
    response = login(role).get("/")
    # then
    assert response.status_code == 200
    assertContains(
        response,
        f"""<tr>
          <td>{world.project.number}</td>
          <td><a href="/projects/{world.project.pk}/">Riverside Clinic</a></td>
          <td>Summit Builders</td>
          <td>Riverside Health</td>
          <td>{label}</td>
        </tr>""",
        html=True,
    )


def test_a_user_sees_only_their_own_projects(login, world):
    # given another project the admin is not on
    other = factories.ProjectFactory(name="Harbor Tower")
    factories.MembershipFactory(project=other, permission=Membership.Permission.ADMIN)
    # when
    response = login("admin").get("/")
    # then
    assertContains(response, "Riverside Clinic")
    assertNotContains(response, "Harbor Tower")


def test_a_stranger_sees_the_empty_state(login):
    # when
    response = login("stranger").get("/")
    # then
    assertContains(response, "You are not on any project yet. Ask a project Admin to add you.")
    assertNotContains(response, "Riverside Clinic")
