"""The base of every request body a service accepts (an imperative command: `SendReferral`).

Unknown fields are refused rather than ignored: a misspelt field silently dropped is a
decision a caller thinks they made and did not. Surrounding whitespace is not data.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
