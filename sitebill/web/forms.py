"""Forms of the pages. They parse and show input; every rule lives in the services they feed.

A service refuses with `ValidationFailed(message, fields={field: [msg]})`; `add_service_errors`
puts each message next to its field (or above the form when it names no field of this form), so
the page says exactly what the API says.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from sitebill.core.exceptions import ValidationFailed

SOV_IMPORT_MAX_BYTES = 2 * 1024 * 1024
SOV_IMPORT_EXTENSIONS = (".csv", ".xlsx")


def add_service_errors(form: forms.BaseForm, error: ValidationFailed) -> None:
    """Show a service's refusal on `form`: per-field messages next to their fields."""
    shown = False
    for field, messages in error.fields.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
            shown = True
    if not shown:
        form.add_error(None, error.message)


class EmailLoginForm(AuthenticationForm):
    """Django's login form, labelled for an email login."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "maxlength": 254}
        )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BillingPeriodForm(forms.Form):
    start_date = forms.DateField(label="Start date", widget=DateInput())
    end_date = forms.DateField(label="End date", widget=DateInput())
    due_date = forms.DateField(
        label="Due date",
        widget=DateInput(),
        help_text="Contacts submit their progress billings by this date.",
    )


class SOVImportForm(forms.Form):
    file = forms.FileField(
        label="SOV file (CSV or XLSX)",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SOV_IMPORT_EXTENSIONS)}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(SOV_IMPORT_EXTENSIONS):
            raise forms.ValidationError("Choose a .csv or .xlsx file.")
        if upload.size > SOV_IMPORT_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB.")
        return upload


class SOVImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput())
