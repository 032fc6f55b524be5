"""`field_group` draws a form field as Django's `as_field_group()` does, without its templates.

Every form of the pay app page is drawn both ways, unbound, bound and refused, and the two
must be the same HTML (Django's `assertHTMLEqual`: the same elements, attributes and text;
the blank lines between Django's parts aside). Text drawn from Hypothesis goes through the
text inputs, the text area and the labels.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st
from pytest_django.asserts import assertHTMLEqual

from sitebill.billing.models import PayApp
from sitebill.web.field_groups import field_group
from sitebill.web.forms import DateInput
from sitebill.web.forms_pay_app import (
    AttachmentForm,
    DetailsForm,
    ReviewForm,
    StatusCorrectionForm,
)
from sitebill.web.views.erp import PaymentForm


def assert_drawn_as_django_draws(form: forms.Form) -> None:
    for bound in form:
        assertHTMLEqual(str(field_group(bound)), str(bound.as_field_group()))


def the_page_forms() -> list[tuple[str, forms.Form]]:
    long_text = "x" * 600
    upload = SimpleUploadedFile("site walk.pdf", b"%PDF-1.4", content_type="application/pdf")
    return [
        # unbound, as the page first draws them
        (
            "details",
            DetailsForm(initial={"invoice_number": "INV-7", "billing_date": dt.date(2026, 11, 23)}),
        ),
        ("details, empty", DetailsForm()),
        ("review", ReviewForm(current_status=PayApp.Status.UNDER_REVIEW, initial={"comment": ""})),
        (
            "review, a comment",
            ReviewForm(
                current_status=PayApp.Status.UNDER_REVIEW,
                initial={"comment": 'Fix "line 4" & <retainage>'},
            ),
        ),
        ("status", StatusCorrectionForm(initial={"status": PayApp.Status.APPROVED})),
        ("attachment", AttachmentForm()),
        # bound and valid (re-drawn beside another form's refusal)
        ("details, bound", DetailsForm({"invoice_number": "INV-8", "billing_date": "2026-11-30"})),
        (
            "review, bound",
            ReviewForm(
                {"status": "approved", "comment": "Looks right.\nThanks"},
                current_status=PayApp.Status.UNDER_REVIEW,
            ),
        ),
        ("attachment, bound", AttachmentForm({"name": "Walk"}, {"file": upload})),
        # refused: missing, too long, not a choice, not a date
        (
            "details, refused",
            DetailsForm({"invoice_number": long_text, "billing_date": "30/11/2026"}),
        ),
        (
            "review, refused",
            ReviewForm(
                {"status": "paid", "comment": ""}, current_status=PayApp.Status.UNDER_REVIEW
            ),
        ),
        ("status, refused", StatusCorrectionForm({"status": "", "reason": ""})),
        ("attachment, refused", AttachmentForm({"name": long_text})),
        # the payments card of an approved pay app, on the same page
        ("payment", PaymentForm(initial={"date": dt.date(2026, 11, 23), "amount": "1,250.00"})),
        ("payment, refused", PaymentForm({"date": "", "amount": "1.2.3", "method": "barter"})),
    ]


STATES = [state for state, _ in the_page_forms()]


@pytest.mark.parametrize("state", STATES)
def test_each_field_of_the_pay_app_page_is_drawn_as_django_draws_it(state):
    form = dict(the_page_forms())[state]
    if form.is_bound:
        form.is_valid()  # a bound form shows its errors once validated
    assert_drawn_as_django_draws(form)


class Texts(forms.Form):
    name = forms.CharField(label="Name", max_length=80, help_text="As <b>printed</b>.")
    note = forms.CharField(label="Note?", required=False, widget=forms.Textarea)
    when = forms.DateField(label="When", widget=DateInput(), required=False)
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "A & B"), ("c", '"C"'), ("<d>", "<i>D</i>")]
    )


@given(st.text(max_size=40), st.text(max_size=40), st.text(min_size=1, max_size=20))
def test_any_text_is_drawn_as_django_draws_it(name, note, label):
    form = Texts({"name": name, "note": note, "when": "", "kind": "c"})
    form.fields["note"].label = label
    form.is_valid()
    assert_drawn_as_django_draws(form)
    assert_drawn_as_django_draws(Texts(initial={"name": name, "note": note}))


class Others(forms.Form):
    agree = forms.BooleanField(label="Agree")
    many = forms.MultipleChoiceField(label="Many", choices=[("a", "A"), ("b", "B")])
    grouped = forms.ChoiceField(label="Grouped", choices=[("G", [("a", "A")]), ("b", "B")])
    radio = forms.ChoiceField(label="Radio", choices=[("a", "A")], widget=forms.RadioSelect)


@pytest.mark.parametrize("name", ["agree", "many", "grouped", "radio"])
def test_a_widget_not_drawn_here_is_drawn_by_django_itself(name):
    bound = Others()[name]
    assert str(field_group(bound)) == str(bound.as_field_group())


class Styled(forms.Form):
    required_css_class = "is-required"
    name = forms.CharField(label="Name")


def test_a_form_with_css_classes_for_its_rows_is_drawn_by_django_itself():
    bound = Styled()["name"]
    assert str(field_group(bound)) == str(bound.as_field_group())


def test_a_field_without_an_id_or_a_label_suffix_is_drawn_as_django_draws_it():
    form: Any = Texts(auto_id=False, label_suffix="")
    assert_drawn_as_django_draws(form)


class Unusual(forms.Form):
    hidden_initial = forms.CharField(label="Hidden initial", show_hidden_initial=True, initial="x")
    localized = forms.DecimalField(label="Localized", localize=True, widget=forms.TextInput)
    safe_choice = forms.ChoiceField(label="Safe choice", choices=[("a", mark_safe("<b>A</b>"))])
    safe_initial = forms.CharField(label="Safe initial", initial=mark_safe("a&amp;b"))
    safe_text = forms.CharField(
        label="Safe text", widget=forms.Textarea, initial=mark_safe("a&amp;b")
    )
    own_template = forms.CharField(label="Own template", template_name="django/forms/div.html")
    html_help = forms.CharField(label="Help", help_text="<b>x</b> & y")
    disabled = forms.CharField(label="Disabled", disabled=True, initial="z")
    typed = forms.TypedChoiceField(label="Typed", choices=[("", "---"), (1, "one")], coerce=int)
    null_boolean = forms.NullBooleanField(label="Null boolean")


@pytest.mark.parametrize("prefix", [None, 'p"x'])
def test_safe_text_hidden_initials_own_templates_and_a_quoted_prefix_are_drawn_as_django(prefix):
    # a prefix with a quote must not break out of an id attribute; text marked safe is not
    # escaped twice; a hidden initial value and a field's own template are Django's to draw
    form = Unusual(prefix=prefix, initial={"localized": Decimal("1234567.5")})
    assert_drawn_as_django_draws(form)
