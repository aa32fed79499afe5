"""Written reasons: cancel, stop, override, an addendum, ending the observation early."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from challenges.run.models import StopKind
from clinics.forms import (
    PlainTextForm,
    crispy_helper,
)

MAX_REASON = 2000  # characters: a written reason, not a document


class ReasonForm(PlainTextForm):
    """A written reason (cancel, stop, override): stripped, required, at most MAX_REASON characters."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        error_messages={"required": _("Give a written reason.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


class AddendumForm(ReasonForm):
    reason = forms.CharField(
        label=_("Addendum"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        error_messages={"required": _("Write the addendum.")},
    )


class ObservationEndForm(ReasonForm):
    """Ending the observation: no reason needed once the period has run; an allergist ending it early gives one."""

    reason = forms.CharField(
        label=_("Reason to end early"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON,
        required=False,
    )


class StopForm(ReasonForm):
    """Stop the challenge: why (a reaction, or refusal, time, illness: clinical review O2) and a written reason."""

    kind = forms.ChoiceField(label=_("Why"), choices=StopKind.choices, required=False)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or StopKind.REACTION
