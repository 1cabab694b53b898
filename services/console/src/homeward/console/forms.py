"""Form handling in the manner of the GOV.UK Design System: errors per field, a summary at
the top linking to each field, and the user's input kept on the page that answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from starlette.datastructures import FormData

from homeward.console.clients import ApiRefusal
from homeward.console.vocabulary import LABELS, N_

# What the page says about an API refusal (status -> message), field errors aside.
REFUSALS = {
    403: N_("You are not allowed to do this."),
    404: N_("This was not found, or you may not see it."),
    409: N_("This cannot be done now: it was changed in the meantime."),
    410: N_("The protected details of this case were erased; they cannot be shown or changed."),
    413: N_("What you sent is too large."),
    422: N_("The service could not accept these details. Check them and try again."),
    429: N_("Too many requests. Wait a minute and try again."),
}
# A field error from the API, by pydantic's error type.
FIELD_MESSAGES = {
    "missing": N_("Enter a value"),
    "string_too_short": N_("Enter a value"),
    "too_short": N_("Choose at least one"),
    "string_too_long": N_("This is too long"),
    "date_from_datetime_parsing": N_("Enter a real date"),
    "date_parsing": N_("Enter a real date"),
    "enum": N_("Choose one of the options"),
    "literal_error": N_("Choose one of the options"),
}
DEFAULT_FIELD_MESSAGE = N_("Check this value")


@dataclass
class FormState:
    """The values as typed and the errors to show, by field id."""

    values: dict[str, str | list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    allowed_next_states: list[str] = field(default_factory=list)
    refusal: ApiRefusal | None = None  # the API's, when it refused the form

    @classmethod
    def of(cls, form: FormData) -> FormState:
        values: dict[str, str | list[str]] = {}
        for key in form:
            if key == "csrf_token":
                continue
            items = [str(v) for v in form.getlist(key)]
            values[key] = items if len(items) > 1 or key.endswith("[]") else items[0]
        return cls(values=values)

    def text(self, name: str) -> str:
        value = self.values.get(name, "")
        return value[0] if isinstance(value, list) and value else str(value or "").strip()

    def many(self, name: str) -> list[str]:
        value = self.values.get(name, [])
        return value if isinstance(value, list) else [value] if value else []

    def require(self, name: str, message: str) -> str:
        value = self.text(name)
        if not value:
            self.errors.setdefault(name, message)
        return value

    def choice(self, name: str, kind: str, message: str, *, field: str | None = None) -> str:
        """A radio or select answer, which must be one of the vocabulary's `kind` codes;
        otherwise `message` is the error of `field` (the input's own name by default)."""
        value = self.text(name)
        if value not in LABELS[kind]:
            self.errors[field or name] = message
        return value

    def day(self, prefix: str, *, missing: str, invalid: str) -> date | None:
        """A GOV.UK date input: three boxes `<prefix>-day`, `-month`, `-year`."""
        parts = [self.text(f"{prefix}-{part}") for part in ("day", "month", "year")]
        if not any(parts):
            self.errors.setdefault(prefix, missing)
            return None
        try:
            d, m, y = (int(p) for p in parts)
            if y < 1900:
                raise ValueError
            return date(y, m, d)
        except ValueError:
            self.errors.setdefault(prefix, invalid)
            return None

    def refused(
        self,
        refusal: ApiRefusal,
        gettext: Callable[[str], str],
        fields: dict[str, str] | None = None,
    ) -> None:
        """Fold an API refusal into the form: its fields (API name -> form id) and a message."""
        for api_field, kind in refusal.field_errors.items():
            target = _form_field(api_field, fields or {})
            self.errors.setdefault(target, gettext(FIELD_MESSAGES.get(kind, DEFAULT_FIELD_MESSAGE)))
        self.refusal = refusal
        self.allowed_next_states = refusal.allowed_next_states
        self.message = gettext(REFUSALS.get(refusal.status, REFUSALS[422]))

    @property
    def status_code(self) -> int:
        """Of the page showing the form again after a refusal that says which states the
        object may move to now (it changed meanwhile): 409; else 422."""
        return 409 if self.allowed_next_states else 422

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.message)


def _form_field(api_field: str, fields: dict[str, str]) -> str:
    for prefix, target in fields.items():
        if api_field == prefix or api_field.startswith(prefix + "."):
            return target
    return "form"
