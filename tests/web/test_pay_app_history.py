"""The pay app's history: an edit of many lines is counted on the page and its changes drawn
only when someone opens them (htmx), or on a page of their own without script."""

from __future__ import annotations

from typing import Any

from django.test import Client

from sitebill.billing.models import PayApp
from sitebill.billing.services.pay_apps import (
    LineReview,
    pay_app_create,
    pay_app_review,
    pay_app_submit,
)
from sitebill.core.models import Event
from tests.web.test_pay_app_grid_speed import TRICKY, big_pay_app, lines_of, logged_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def _edit_event(pay_app: Any) -> Event:
    return Event.objects.get(target_type="payapp", target_id=pay_app.pk, action="lines_updated")


def test_an_edit_of_many_lines_is_counted_on_the_page_and_drawn_when_opened(world):
    # given the contact's edit of 40 lines (36 of them changed: every tenth line bills nothing)
    pay_app = big_pay_app(world, lines=40)
    event = _edit_event(pay_app)
    changed = len(event.change_list)
    url = f"/pay-apps/{pay_app.pk}/history/{event.pk}/"
    client = logged_in(world.contact)

    # when the page is opened
    page = client.get(f"/pay-apps/{pay_app.pk}/").content.decode()

    # then the edit shows its count and a way to open it, not its changes
    assert f"{changed} line changes</summary>" in page
    assert f'hx-get="{url}"' in page and 'hx-trigger="toggle once"' in page
    assert f'<a href="{url}">Show the {changed} changes</a>' in page
    assert "Line 2: E work this period" not in page

    # when it is opened (the page's htmx asks for the items)
    items = client.get(url, **HTMX)

    # then every change comes, in words, escaped, and nothing else
    assert items.status_code == 200
    assert "HX-Request" in items["Vary"]  # the page's fragment and the page are cached apart
    html = items.content.decode()
    assert html.count("<li>") == changed
    assert "<li>Line 2: E work this period: $0.00 → $1,003.72</li>" in html
    assert "<html" not in html


def test_without_script_the_link_opens_a_page_of_the_changes(world):
    # given
    pay_app = big_pay_app(world, lines=40)
    event = _edit_event(pay_app)

    # when the link is followed
    response = logged_in(world.contact).get(f"/pay-apps/{pay_app.pk}/history/{event.pk}/")

    # then a page of its own, with the way back to the pay app
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Amounts edited: {len(event.change_list)} line changes" in html
    assert f'<a href="/pay-apps/{pay_app.pk}/">Pay app #1 · SC-300</a>' in html
    assert "<li>Line 2: E work this period: $0.00 → $1,003.72</li>" in html


def test_a_short_edit_is_shown_whole_and_its_entry_folds_nothing(world):
    # given the pay app's creation (one change at most: shown on the page)
    pay_app = pay_app_create(
        actor=world.admin, contract=world.commitment, billing_period=world.period
    )
    created = Event.objects.get(target_type="payapp", target_id=pay_app.pk)

    # when its entry is asked for
    response = logged_in(world.admin).get(f"/pay-apps/{pay_app.pk}/history/{created.pk}/", **HTMX)

    # then there is nothing folded to draw
    assert response.status_code == 200
    assert response.content.decode() == ""


def test_an_entry_of_another_pay_app_is_not_found_through_this_one(world):
    # given a pay app the contact bills, and the other vendor's pay app with its history
    mine = big_pay_app(world, lines=8)
    theirs = pay_app_create(
        actor=world.admin, contract=world.other_commitment, billing_period=world.period
    )
    their_entry = Event.objects.get(target_type="payapp", target_id=theirs.pk)
    client: Client = logged_in(world.contact)

    # when the contact asks for the other entry through their own pay app, or directly
    through_mine = client.get(f"/pay-apps/{mine.pk}/history/{their_entry.pk}/", **HTMX)
    directly = client.get(f"/pay-apps/{theirs.pk}/history/{their_entry.pk}/", **HTMX)

    # then both are not found, and nothing of it is shown
    assert through_mine.status_code == 404
    assert directly.status_code == 404
    assert TRICKY not in through_mine.content.decode() + directly.content.decode()


def test_a_review_entry_shows_the_status_before_the_rejected_lines(world):
    # given a review that rejects two lines and sends the pay app back (the lines are
    # recorded before the status)
    pay_app = big_pay_app(world, lines=8)
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    second, third = lines_of(pay_app)[1:3]
    pay_app.refresh_from_db()
    pay_app_review(
        actor=world.admin,
        pay_app=pay_app,
        version=pay_app.version,
        status=PayApp.Status.REVISE_AND_RESUBMIT,
        lines=[
            LineReview(line_id=second.pk, status="rejected", reason="Not in place."),
            LineReview(line_id=third.pk, status="rejected", reason="Not in place."),
        ],
    )

    # when the page is opened
    page = logged_in(world.admin).get(f"/pay-apps/{pay_app.pk}/").content.decode()

    # then the Reviewed entry lists its status change first
    entry = page.split("<strong>Reviewed</strong>")[1].split("</li>\n")[0]
    items = entry.split("<li>")[1:]
    assert items[0].startswith("Status: Under Review → Revise &amp; Resubmit")
    assert items[1].startswith("Line 2: review: No action → Rejected: Not in place.")
