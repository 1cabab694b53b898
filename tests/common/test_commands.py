"""Request bodies are strict at the edge: a date is an ISO date string, a boolean a boolean,
and every body of every service is a `Command` using those types."""

from __future__ import annotations

import importlib
import typing
from datetime import date, datetime

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ValidationError

from homeward.common.commands import Command, IsoDate, StrictBool
from homeward.common.events import InMemoryBroker

SERVICES = ("intake", "referrals", "documents", "notifications")


class Probe(Command):
    on: IsoDate
    until: IsoDate | None = None
    flag: StrictBool = False


@pytest.mark.parametrize("lax", [0, 86400, 1.5, "86400", "20250331", "2025-03-31T00:00:00", True])
def test_a_date_is_an_iso_date_string_only(lax: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Probe.model_validate({"on": lax})
    assert refused.value.errors()[0]["loc"] == ("on",)
    with pytest.raises(ValidationError):
        Probe.model_validate({"on": "2025-03-31", "until": lax})


def test_iso_dates_and_real_booleans_pass() -> None:
    probe = Probe.model_validate({"on": "2025-03-31", "until": None, "flag": True})
    assert (probe.on, probe.until, probe.flag) == (date(2025, 3, 31), None, True)
    with pytest.raises(ValidationError):
        Probe.model_validate({"on": "2025-02-30"})


@pytest.mark.parametrize("lax", [0, 1, "true", "yes", "0"])
def test_a_boolean_is_a_boolean(lax: object) -> None:
    with pytest.raises(ValidationError):
        Probe.model_validate({"on": "2025-03-31", "flag": lax})


def _is_lax(field: typing.Any) -> bool:
    """A bare `date`, `datetime` or `bool` (lax), rather than the strict aliases."""
    lax_types = (date, datetime, bool)
    if field.annotation in lax_types:
        return not field.metadata  # the aliases' validator or Strict() land here
    return any(arg in lax_types for arg in typing.get_args(field.annotation))


def _models_in(model: type[BaseModel]) -> typing.Iterator[type[BaseModel]]:
    yield model
    for field in model.model_fields.values():
        pending = [field.annotation]
        while pending:
            annotation = pending.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                yield from _models_in(annotation)
            pending.extend(typing.get_args(annotation))


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_body_is_a_strict_command_with_an_example(service: str) -> None:
    create_app = importlib.import_module(f"homeward.{service}.app").create_app
    app = create_app(broker=InMemoryBroker(), token_validator=None)
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    top = [
        _body_model(route)
        for route in routes
        if isinstance(route, APIRoute) and route.body_field is not None
    ]
    assert top, f"{service} has request bodies"
    for model in top:  # each body shows a client what to send
        assert "example" in model.model_json_schema(), f"{model.__name__} has no example"
    bodies = [model for body in top for model in _models_in(body)]
    for model in bodies:
        assert issubclass(model, Command), model
        lax = [name for name, field in model.model_fields.items() if _is_lax(field)]
        assert not lax, f"{model.__name__}: {lax} accept lax input"


def _body_model(route: APIRoute) -> type[BaseModel]:
    assert route.body_field is not None
    annotation = route.body_field.field_info.annotation
    models = [a for a in (annotation, *typing.get_args(annotation)) if isinstance(a, type)]
    return next(m for m in models if issubclass(m, BaseModel))
