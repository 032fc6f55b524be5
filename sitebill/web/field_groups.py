"""A form field's group (label, help text, errors, widget) drawn in Python.

`BoundField.as_field_group()` draws through five to eight of Django's form templates per
field; the pay app page has up to twelve such fields beside its grid (the review, the status
correction, the invoice details, the attachment, a payment), and drawing them took about 6 ms of the
page (measured here, on a pay app of one line or 2,000). `field_group` writes the same HTML
for the widgets those forms use: text, date and file inputs, a text area, a single select.
Any other widget, or anything drawn another way (a file input showing a stored file, a
fieldset, a hidden initial value, a form with CSS classes for required or erroneous rows,
another form renderer or template), is drawn by Django, as are the error lists.
`tests/web/test_field_groups.py` holds the two to the same HTML, each form on the page
unbound, bound and refused.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

_FIELD_TEMPLATE = "django/forms/field.html"
_LABEL_TEMPLATE = "django/forms/label.html"

#: The widgets drawn here, a subclass before its base.
_KINDS: tuple[type[forms.Widget], ...] = (
    forms.Select,
    forms.Textarea,
    forms.ClearableFileInput,
    forms.FileInput,
    forms.DateInput,
    forms.TextInput,
)


def _kind(widget: forms.Widget) -> type[forms.Widget] | None:
    """Which of `_KINDS` draws `widget`; None for another widget, or a subclass with its own
    template, context or value format (e.g. `sitebill.web.forms.DateInput` is a date input
    with a format: drawn here; a select of several values is Django's)."""
    for kind in _KINDS:
        if isinstance(widget, kind):
            own = type(widget)
            same = (
                widget.template_name == kind.template_name
                and own.get_context is kind.get_context
                and own.format_value is kind.format_value
            )
            multiple = getattr(widget, "allow_multiple_selected", False)
            return kind if same and not multiple else None
    return None


class _DrawnByDjango(Exception):
    """Met something not drawn here (after the checks of `field_group`)."""


def field_group(bound: BoundField) -> SafeString:
    """`bound.as_field_group()`, the same HTML (whitespace between the parts aside)."""
    widget = bound.field.widget
    kind = _kind(widget)
    form = bound.form
    value = bound.value()
    if (
        kind is None
        or bound.use_fieldset
        or bound.field.show_hidden_initial
        or hasattr(form, "required_css_class")
        or hasattr(form, "error_css_class")
        or type(form.renderer) is not DjangoTemplates
        or getattr(bound.field, "template_name", None) is not None
        or form.renderer.field_template_name != _FIELD_TEMPLATE
        or form.template_name_label != _LABEL_TEMPLATE
        or (kind is forms.ClearableFileInput and value)
    ):
        return bound.as_field_group()
    parts = [_label(bound)] if bound.label else []
    if bound.help_text:
        id_attr = f' id="{_e(bound.auto_id)}_helptext"' if bound.auto_id else ""
        parts.append(f'<div class="helptext"{id_attr}>{bound.help_text}</div>')
    if bound.errors:
        parts.append(str(bound.errors))
    try:
        parts.append(_widget(bound, widget, kind, value))
    except _DrawnByDjango:
        return bound.as_field_group()
    return mark_safe("".join(parts))  # every piece escaped (help text is HTML, as in Django)


def _label(bound: BoundField) -> str:
    field = bound.field
    label = str(bound.label)
    text = str(conditional_escape(label))
    suffix = field.label_suffix if field.label_suffix is not None else bound.form.label_suffix
    if suffix and label and label[-1] not in ":?.!":
        text += str(conditional_escape(suffix))
    id_ = field.widget.attrs.get("id") or bound.auto_id
    if not id_:
        return text
    for_ = field.widget.id_for_label(id_)
    return f'<label for="{_e(for_)}">{text}</label>' if for_ else f"<label>{text}</label>"


def _widget(bound: BoundField, widget: forms.Widget, kind: type, value: Any) -> str:
    """`bound.as_widget()`: the same attributes in the same order."""
    attrs = bound.build_widget_attrs({}, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    attrs = widget.build_attrs(widget.attrs, attrs)
    name = _e(bound.html_name)
    if isinstance(widget, forms.Select):
        if (
            widget.option_template_name != forms.Select.option_template_name
            or widget.option_inherits_attrs != forms.Select.option_inherits_attrs
        ):
            raise _DrawnByDjango  # options drawn another way
        options = []
        for group, choices, _index in widget.optgroups(bound.html_name, widget.format_value(value)):
            if group:
                raise _DrawnByDjango  # option groups
            for option in choices:
                options.append(
                    f'<option value="{_e(option["value"])}"{_attrs(option["attrs"])}>'
                    f"{_e(option['label'])}</option>"
                )
        return f'<select name="{name}"{_attrs(attrs)}>{"".join(options)}</select>'
    shown = widget.format_value(value)
    if kind is forms.Textarea:
        return f'<textarea name="{name}"{_attrs(attrs)}>\n{_e(shown) if shown else ""}</textarea>'
    input_type = getattr(widget, "input_type", "text")
    value_attr = f' value="{_e(shown)}"' if shown is not None else ""
    if kind is forms.ClearableFileInput:
        value_attr = ""  # its template never writes a value
    return f'<input type="{_e(input_type)}" name="{name}"{value_attr}{_attrs(attrs)}>'


def _e(value: Any) -> str:
    """What the template's autoescape writes of a value (text marked safe is kept)."""
    return str(conditional_escape(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_e(name)}" if value is True else f' {_e(name)}="{_e(value)}"'
        for name, value in attrs.items()
        if value is not False
    )
