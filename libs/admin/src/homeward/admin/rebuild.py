"""`homeward events rebuild SERVICE`: rebuild what a service derived from the events it
consumes (its read models) from the records its topics still retain, without applying any
event twice (see `homeward.common.events.rebuild`). The service may keep running."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

from homeward.admin.services import AdminError, load_settings, spec
from homeward.common.events import BrokerError
from homeward.common.events.rebuild import Rebuilt, rebuild
from homeward.common.service import ServiceParts, event_consumer


async def rebuild_read_models(
    service: str, *, progress: Callable[[str, int], None]
) -> list[Rebuilt]:
    found = spec(service)
    settings = load_settings(service)  # the handlers may need the service's secrets
    app = importlib.import_module(f"homeward.{found.name}.app").create_app(settings)
    parts: ServiceParts = app.state.parts
    done = []
    try:
        for consumer_spec in parts.consumers:
            consumer = event_consumer(parts, consumer_spec, replay=True)
            report = functools.partial(progress, consumer.group_id)
            done.append(await rebuild(consumer, progress=report))
    except (BrokerError, OSError) as error:
        raise AdminError(
            f"{service}: cannot read its topics ({type(error).__name__}): is the broker "
            f"reachable? (`homeward check {service}`)"
        ) from None
    finally:
        await parts.broker.close()
        await parts.database.dispose()
    return done
