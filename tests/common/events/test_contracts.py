"""Contract registration: naming, uniqueness, the personal-data guard, tolerant reading;
and the AsyncAPI document generated from the registry."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel, Field, ValidationError

from homeward.common.events import (
    ContractError,
    ContractRegistry,
    EventContract,
    asyncapi_document,
    event_contract,
    registry,
)

TOPIC = "homeward.referrals.referrals"


@pytest.fixture
def contracts() -> ContractRegistry:
    return ContractRegistry()


def test_registration_stores_type_and_topic_on_the_class_and_in_the_registry(
    contracts: ContractRegistry,
) -> None:
    @event_contract("homeward.referral.accepted.v1", topic=TOPIC, registry=contracts)
    class ReferralAccepted(EventContract):
        referral_id: UUID

    assert ReferralAccepted.event_type == "homeward.referral.accepted.v1"
    assert ReferralAccepted.topic == TOPIC
    assert contracts.model_for("homeward.referral.accepted.v1") is ReferralAccepted
    assert contracts.model_for("homeward.referral.unknown.v1") is None
    assert contracts.contracts() == [ReferralAccepted]
    assert contracts.topics() == [TOPIC]
    assert "homeward.referral.accepted.v1" in contracts


@pytest.mark.parametrize(
    "name",
    [
        "homeward.referral.accepted.v1",
        "homeward.referral.sent.v2",
        "homeward.case.coordinator_assigned.v1",
        "homeward.needs_assessment.recorded.v10",
        "homeward.referral.withdrawn.v1",
        "homeward.referral.followed_up.v1",
        "homeward.consent.opted_out.v1",
    ],
)
def test_good_type_names(contracts: ContractRegistry, name: str) -> None:
    event_contract(name, topic=TOPIC, registry=contracts)(type("E", (EventContract,), {}))
    assert name in contracts


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("homeward.referral.accept.v1", "past tense"),
        ("homeward.referral.accepts.v1", "past tense"),
        ("homeward.referral.follow_up.v1", "past tense"),
        ("homeward.referral.accepted", "must look like"),
        ("homeward.referral.accepted.v0", "must look like"),
        ("homeward.referral.accepted.1", "must look like"),
        ("referral.accepted.v1", "must look like"),
        ("homeward.Referral.accepted.v1", "must look like"),
        ("homeward.referrals.referral.accepted.v1", "must look like"),
    ],
)
def test_bad_type_names_are_refused(contracts: ContractRegistry, name: str, problem: str) -> None:
    with pytest.raises(ContractError, match=problem):
        event_contract(name, topic=TOPIC, registry=contracts)(type("E", (EventContract,), {}))
    assert contracts.contracts() == []


def test_bad_topic_is_refused(contracts: ContractRegistry) -> None:
    with pytest.raises(ContractError, match="topic"):
        event_contract("homeward.referral.accepted.v1", topic="referrals", registry=contracts)(
            type("E", (EventContract,), {})
        )


def test_a_type_name_is_registered_once(contracts: ContractRegistry) -> None:
    @event_contract("homeward.referral.accepted.v1", topic=TOPIC, registry=contracts)
    class First(EventContract):
        referral_id: UUID

    with pytest.raises(ContractError, match=r"already registered by .*First"):

        @event_contract("homeward.referral.accepted.v1", topic=TOPIC, registry=contracts)
        class Second(EventContract):
            referral_id: UUID

    assert contracts.model_for("homeward.referral.accepted.v1") is First


def test_only_event_contracts_can_be_registered(contracts: ContractRegistry) -> None:
    with pytest.raises(ContractError, match="EventContract"):
        event_contract("homeward.referral.accepted.v1", topic=TOPIC, registry=contracts)(
            type("Plain", (BaseModel,), {})  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    "field",
    [
        "name", "first_name", "lastName", "full_name", "family_name", "birth_date",
        "date_of_birth", "dob", "national_id", "national_id_number", "id_number", "address",
        "home_address", "phone", "phone_number", "email", "note", "notes", "free_text",
        "comment", "passport_number",
    ],
)  # fmt: skip
def test_personal_data_fields_are_refused(contracts: ContractRegistry, field: str) -> None:
    model = type(
        "PersonMoved",
        (EventContract,),
        {"__annotations__": {"person_id": UUID, field: str}},
    )
    with pytest.raises(ContractError, match=f"suggest personal data: '{field}'"):
        event_contract("homeward.person.moved.v1", topic=TOPIC, registry=contracts)(model)
    assert "homeward.person.moved.v1" not in contracts


def test_the_guard_error_says_what_to_do(contracts: ContractRegistry) -> None:
    with pytest.raises(ContractError) as raised:

        @event_contract("homeward.person.moved.v1", topic=TOPIC, registry=contracts)
        class PersonMoved(EventContract):
            person_id: UUID
            address: str

    message = str(raised.value)
    assert "PersonMoved (homeward.person.moved.v1)" in message
    assert "'address'" in message
    assert "ids, case codes, enums and dates" in message


def test_the_guard_looks_into_nested_models_and_aliases(contracts: ContractRegistry) -> None:
    class Contact(BaseModel):
        channel: str
        phone: str

    class Household(BaseModel):
        size: int
        contacts: list[Contact]

    with pytest.raises(ContractError, match=r"'household\.contacts\.phone'"):

        @event_contract("homeward.household.recorded.v1", topic=TOPIC, registry=contracts)
        class HouseholdRecorded(EventContract):
            case_id: UUID
            household: Household | None = None

    with pytest.raises(ContractError, match="'label'"):

        @event_contract("homeward.person.labelled.v1", topic=TOPIC, registry=contracts)
        class PersonLabelled(EventContract):
            label: str = Field(alias="fullName")


@pytest.mark.parametrize(
    "field", ["case_id", "case_code", "birth_year", "municipality", "status", "agency_id"]
)
def test_ids_codes_and_enums_pass_the_guard(contracts: ContractRegistry, field: str) -> None:
    model = type("Fine", (EventContract,), {"__annotations__": {field: str}})
    event_contract("homeward.case.checked.v1", topic=TOPIC, registry=contracts)(model)
    assert contracts.model_for("homeward.case.checked.v1") is model


def test_consumers_ignore_unknown_fields_and_contracts_are_frozen(
    contracts: ContractRegistry,
) -> None:
    @event_contract("homeward.referral.accepted.v1", topic=TOPIC, registry=contracts)
    class ReferralAccepted(EventContract):
        referral_id: UUID

    referral_id = uuid4()
    event = ReferralAccepted.model_validate(
        {"referral_id": str(referral_id), "added_in_a_later_release": 3}
    )
    assert event.referral_id == referral_id
    assert "added_in_a_later_release" not in event.model_dump()
    with pytest.raises(ValidationError):
        event.referral_id = uuid4()  # type: ignore[misc]


def _resolve(document: dict[str, Any], pointer: str) -> Any:
    assert pointer.startswith("#/"), pointer
    node: Any = document
    for part in pointer[2:].split("/"):
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_asyncapi_document_has_a_channel_per_topic_and_a_message_per_type(
    contracts: ContractRegistry,
) -> None:
    class Window(BaseModel):
        starts_on: str
        ends_on: str

    @event_contract("homeward.referral.accepted.v1", topic=TOPIC, registry=contracts)
    class ReferralAccepted(EventContract):
        """An agency accepted a referral."""

        referral_id: UUID
        window: Window

    @event_contract(
        "homeward.readiness.changed.v1", topic="homeward.documents.records", registry=contracts
    )
    class ReadinessChanged(EventContract):
        person_id: UUID
        ready: bool

    document = asyncapi_document(contracts)

    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {TOPIC, "homeward.documents.records"}
    messages = document["components"]["messages"]
    assert {message["name"] for message in messages.values()} == {
        "homeward.referral.accepted.v1",
        "homeward.readiness.changed.v1",
    }
    accepted = messages["homeward_referral_accepted_v1"]
    assert accepted["summary"] == "An agency accepted a referral."
    assert accepted["headers"]["properties"]["ce_type"]["const"] == "homeward.referral.accepted.v1"
    assert {"ce_id", "ce_source", "ce_time", "ce_specversion"} <= set(
        accepted["headers"]["required"]
    )
    payload = _resolve(document, accepted["payload"]["$ref"])
    assert set(payload["properties"]) == {"referral_id", "window"}
    # Every reference, nested models included, points inside the document.
    for ref in _refs(document):
        assert _resolve(document, ref) is not None
    assert len(document["operations"]) == 2


def test_asyncapi_document_of_the_shared_registry_mentions_every_type() -> None:
    import homeward.common.contracts  # noqa: F401 (registers every service's contracts)

    assert registry.contracts(), "the services' contracts should be registered"
    document = asyncapi_document(registry)
    names = {message["name"] for message in document["components"]["messages"].values()}
    assert names == {model.event_type for model in registry.contracts()}
    channels = {channel["address"] for channel in document["channels"].values()}
    assert channels == set(registry.topics())
