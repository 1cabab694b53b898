"""Schemathesis against a live service, with real tokens of several roles.

Every built-in check runs, with one refinement: a schema-valid request may still break a
domain rule no schema can express (a guardian from another case, a referral to an agency that
does not serve the person's municipality): that 422 is a `RuleViolation` problem, which has
no `errors` member. Nor can a schema say that a string may hold any character but NUL (and
unpaired surrogates), which no database column stores (`homeward.common.storable`): that
422 names only `text_unstorable` errors. Any other 422 *with* `errors` means the request
validation and the document disagree, and still fails.
"""

from __future__ import annotations

from collections.abc import Iterable

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from homeward.common.storable import ERROR_TYPE
from homeward.common.testing.live import LiveService

MAX_EXAMPLES = 5  # per operation and role: the suite stays within minutes on 2 cores


@schemathesis.check
def positive_data_acceptance_but_domain_rules(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    if response.status_code == 422:
        errors = response.json().get("errors")
        if errors is None or {error["type"] for error in errors} == {ERROR_TYPE}:
            return None
    return positive_data_acceptance(ctx, response, case)


def call_and_validate_as(case: schemathesis.Case, live: LiveService, users: Iterable[str]) -> None:
    """The case with each user's real token in place of the generated one; a case generated
    without the `Authorization` header (a negative case about it) goes as it is."""
    generated = {name.lower() for name in case.headers or {}}
    tokens = [live.auth(user) for user in users] if "authorization" in generated else [None]
    for headers in tokens:
        case.call_and_validate(
            base_url=live.base_url,
            headers=headers,
            excluded_checks=[positive_data_acceptance],
            additional_checks=[positive_data_acceptance_but_domain_rules],
        )
