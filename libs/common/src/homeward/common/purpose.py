"""A stated purpose for reading identity-grade data, as every service asks for it: the
`X-Purpose` header (or `?purpose=`), one of `IdentityPurpose`, recorded in the read's audit
row. Unknown purposes are 422; free text never reaches the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query

from homeward.common.errors import Unprocessable
from homeward.common.vocabulary import IdentityPurpose

ALLOWED = ", ".join(p.value for p in IdentityPurpose)


def _purpose_if_stated(
    x_purpose: Annotated[
        str | None,
        Header(max_length=40, description=f"Why you read identity data: one of {ALLOWED}"),
    ] = None,
    purpose: Annotated[
        str | None, Query(max_length=40, description="Alternative to X-Purpose")
    ] = None,
) -> IdentityPurpose | None:
    stated = x_purpose or purpose
    if not stated:
        return None
    try:
        return IdentityPurpose(stated.strip().lower())
    except ValueError:
        raise Unprocessable(f"unknown purpose; use one of {ALLOWED}") from None


def _purpose_required(
    stated: Annotated[IdentityPurpose | None, Depends(_purpose_if_stated)],
) -> IdentityPurpose:
    if stated is None:
        raise Unprocessable(f"state why you read this identity: X-Purpose header, one of {ALLOWED}")
    return stated


# The read needs a purpose (422 without one).
StatedPurpose = Annotated[IdentityPurpose, Depends(_purpose_required)]
# Identity-grade fields are shown only when a purpose is stated; the rest is shown anyway.
PurposeIfStated = Annotated[IdentityPurpose | None, Depends(_purpose_if_stated)]
