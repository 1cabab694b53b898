"""The base of every request body a service accepts (an imperative command: `SendReferral`),
and the strict types its fields use at the API edge.

Unknown fields are refused rather than ignored: a misspelt field silently dropped is a
decision a caller thinks they made and did not. Surrounding whitespace is not data. Neither
is a guess: pydantic's lax mode reads `0` as 1970-01-01 and as `false`; a date here is an
ISO 8601 date string and a boolean is a JSON boolean (tests/common/test_commands.py keeps
every command on these types). Nor is text the database cannot hold (NUL, unpaired
surrogates: see `storable`), refused anywhere in the body, nested or not.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from homeward.common.storable import ERROR_TYPE, MESSAGE, first_unstorable

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # built in Python (demo data, tests), not read from a request
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value  # pydantic still refuses 2025-02-30
    raise PydanticCustomError("date_type", "a date is an ISO 8601 string such as 2025-03-31")


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]

__all__ = ["Command", "IsoDate", "StrictBool"]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _storable_text_only(cls, data: Any) -> Any:
        if (where := first_unstorable(data)) is not None:
            at = ".".join(map(str, where)) or "body"
            context = {"message": MESSAGE, "at": at}
            raise PydanticCustomError(ERROR_TYPE, "{message} (at {at})", context)
        return data
