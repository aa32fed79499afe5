"""A refused save's problems as the lines the pages show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from challenges.library.services.protocols import ProtocolError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def error_messages(exc: Exception) -> list[str]:
    """The messages to show for a refused save: each blocking issue, else the error's own message."""
    if isinstance(exc, ProtocolError):
        return [issue.message for issue in exc.issues] or [exc.message]
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [getattr(exc, "message", str(exc))]


def error_lines(part: forms.Form | forms.BaseFormSet[Any], *, row_word: StrOrPromise | None = None) -> list[str]:
    """Every error of a validated form or formset as a line that names its field ("Step 2, Protein (mg): …")."""
    if isinstance(part, forms.BaseFormSet):
        row_word = row_word or _("Row")
        lines = [str(message) for message in part.non_form_errors()]
        for number, form in enumerate(part.forms, start=1):
            lines += _field_error_lines(form, prefix=f"{row_word} {number}, ")
        return lines
    return _field_error_lines(part)


def _field_error_lines(form: forms.Form, *, prefix: str = "") -> list[str]:
    lines = []
    for name, messages in form.errors.items():
        field = form.fields.get(name)
        label = f"{field.label}: " if field is not None and field.label else ""
        lines += [f"{prefix}{label}{message}" for message in messages]
    return lines
