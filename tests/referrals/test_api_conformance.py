"""The referrals API against its own OpenAPI document, by the standards' validators:
openapi-spec-validator on the document, schemathesis on every operation with the tokens of
two roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import settings
from openapi_spec_validator import validate

from homeward.common.events import InMemoryBroker
from homeward.common.testing.conformance import MAX_EXAMPLES, call_and_validate_as
from homeward.common.testing.live import LiveService, live_service
from homeward.referrals.app import create_app
from homeward.referrals.settings import ReferralsSettings

DOCUMENT = create_app(ReferralsSettings(), broker=InMemoryBroker(), token_validator=None).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    database = tmp_path_factory.mktemp("referrals") / "referrals.db"

    def settings_for(issuer: str) -> ReferralsSettings:
        return ReferralsSettings(database_url=f"sqlite+aiosqlite:///{database}", oidc_issuer=issuer)

    with live_service(create_app, settings_for) as service:
        yield service


def test_the_document_is_valid_openapi() -> None:
    validate(DOCUMENT)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None)
def test_every_operation_conforms(case: schemathesis.Case, live: LiveService) -> None:
    call_and_validate_as(case, live, ["coordinator.riverton", "school.riverton"])
