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
    # Typed as the vocabulary, so the OpenAPI document lists the purposes a client may state;
    # not `| None`: a parameter is absent or one of them, and the document should say just that.
    x_purpose: Annotated[
        IdentityPurpose, Header(description=f"Why you read identity data: one of {ALLOWED}")
    ] = None,  # type: ignore[assignment]
    purpose: Annotated[IdentityPurpose, Query(description="Alternative to X-Purpose")] = None,  # type: ignore[assignment]
) -> IdentityPurpose | None:
    return x_purpose or purpose


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
