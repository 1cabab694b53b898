"""Event contracts: one frozen Pydantic model per event type, registered with its topic.

    @event_contract("homeward.referral.accepted.v1", topic="homeward.referrals.referrals")
    class ReferralAccepted(EventContract):
        referral_id: UUID
        case_code: str
        agency_id: UUID

Consumers ignore fields they do not know, so adding a field is compatible; removing or
changing one is a new version (`.v2`), registered next to the old one for as long as it is
published. Registration refuses contracts whose field names suggest personal data: events
carry ids, case codes, enums and dates, never a name, a date of birth, an ID number, an
address or free text. The guard works on names, so it cannot prove a contract clean; it stops
the obvious mistakes at import time, before anything reaches the bus.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar, get_args

from pydantic import BaseModel, ConfigDict

TYPE_NAME = re.compile(r"^homeward\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.v([1-9][0-9]*)$")
TOPIC_NAME = re.compile(r"^homeward\.[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")

# Past participles that do not end in -ed, as they appear in event names.
IRREGULAR_PAST = frozenset(
    "begun bound brought built chosen done drawn found given gone held kept known laid left "
    "lost made met overridden paid put read rebuilt reset run seen sent set shown shut split "
    "spent taken told undone upheld withdrawn withheld won written".split()
)

PARTICLES = frozenset({"up", "in", "out", "off", "over", "back", "down", "on"})

# Field names, split into lowercase words, that point at personal data. A field is refused
# when its words contain one of these word sequences ("home_address", "firstName", "notes").
PERSONAL_DATA_WORDS: tuple[tuple[str, ...], ...] = tuple(
    tuple(phrase.split())
    for phrase in (
        "name", "names", "firstname", "lastname", "fullname", "surname", "nickname", "maiden",
        "birth date", "date of birth", "birthdate", "birthday", "dob", "place of birth",
        "national id", "nationalid", "id number", "ssn", "social security", "passport number",
        "personal number", "tax id",
        "address", "street", "postcode", "postal code", "zip code",
        "phone", "telephone", "mobile", "email", "e mail",
        "note", "notes", "free text", "freetext", "comment", "comments", "remarks", "narrative",
    )
)  # fmt: skip

C = TypeVar("C", bound="type[EventContract]")


class ContractError(TypeError):
    """A contract that may not be registered (bad name, duplicate, personal data)."""


class EventContract(BaseModel):
    """Base of every event payload: immutable, tolerant of fields added by newer producers."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]


class ContractRegistry:
    """Event types, their models and topics; one module-level instance, `registry`."""

    def __init__(self) -> None:
        self._models: dict[str, type[EventContract]] = {}

    def register(self, model: type[EventContract], *, event_type: str, topic: str) -> None:
        check_type_name(event_type)
        if not TOPIC_NAME.match(topic):
            raise ContractError(f"topic {topic!r} must look like homeward.<service>.<name>")
        if event_type in self._models:
            existing = self._models[event_type]
            raise ContractError(
                f"event type {event_type!r} is already registered by "
                f"{existing.__module__}.{existing.__qualname__}"
            )
        if offending := personal_data_fields(model):
            raise ContractError(
                f"{model.__qualname__} ({event_type}) has fields that suggest personal data: "
                + ", ".join(repr(path) for path in offending)
                + ". Events carry ids, case codes, enums and dates only: refer to people by "
                "id or case code, and keep identities in the service that owns them."
            )
        model.event_type = event_type
        model.topic = topic
        self._models[event_type] = model

    def model_for(self, event_type: str) -> type[EventContract] | None:
        return self._models.get(event_type)

    def contracts(self) -> list[type[EventContract]]:
        return [self._models[name] for name in sorted(self._models)]

    def topics(self) -> list[str]:
        return sorted({model.topic for model in self._models.values()})

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._models


registry = ContractRegistry()


def event_contract(
    event_type: str, *, topic: str, registry: ContractRegistry = registry
) -> Callable[[C], C]:
    """Class decorator registering an `EventContract` under its type name and topic."""

    def register(model: C) -> C:
        if not (isinstance(model, type) and issubclass(model, EventContract)):
            raise ContractError(f"{model!r} must subclass EventContract")
        registry.register(model, event_type=event_type, topic=topic)
        return model

    return register


def check_type_name(event_type: str) -> None:
    match = TYPE_NAME.match(event_type)
    if not match:
        raise ContractError(
            f"event type {event_type!r} must look like homeward.<noun>.<past-tense>.v<N>, "
            "for example homeward.referral.accepted.v1"
        )
    words = match.group(2).split("_")
    # Phrasal verbs end in a particle: followed_up, checked_in, opted_out.
    while len(words) > 1 and words[-1] in PARTICLES:
        words.pop()
    verb = words[-1]
    if not (verb.endswith("ed") or verb in IRREGULAR_PAST):
        raise ContractError(
            f"event type {event_type!r}: {match.group(2)!r} is not past tense; events say "
            "what happened (accepted, sent, withdrawn)"
        )


def personal_data_fields(model: type[BaseModel]) -> list[str]:
    """Dotted paths of fields, nested models included, whose names suggest personal data."""
    return sorted(
        path
        for path, names in _field_names(model, prefix="", seen=set())
        if any(_suggests_personal_data(name) for name in names)
    )


def _field_names(
    model: type[BaseModel], *, prefix: str, seen: set[type[BaseModel]]
) -> Iterator[tuple[str, set[str]]]:
    seen.add(model)
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        aliases = {info.alias, info.serialization_alias, info.validation_alias}
        yield path, {name} | {alias for alias in aliases if isinstance(alias, str)}
        for nested in _models_in(info.annotation):
            if nested not in seen:
                yield from _field_names(nested, prefix=f"{path}.", seen=seen)


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """Models inside an annotation such as `Person`, `list[Person]` or `Person | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in get_args(annotation):
        yield from _models_in(argument)


def _suggests_personal_data(field_name: str) -> bool:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", field_name)
    words = tuple(word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word)
    return any(
        words[start : start + len(phrase)] == phrase
        for phrase in PERSONAL_DATA_WORDS
        for start in range(len(words) - len(phrase) + 1)
    )
