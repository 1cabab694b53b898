"""`homeward migrate`: bring each service's database to a revision (head by default)."""

from __future__ import annotations

from dataclasses import dataclass

from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from homeward.admin.services import AdminError, load_settings, spec
from homeward.common.migrations import upgrade


@dataclass(frozen=True)
class Migrated:
    service: str
    revision: str


async def migrate(service: str, revision: str = "head") -> Migrated:
    settings = load_settings(service, secrets=False)
    try:
        await upgrade(settings.database_url, spec(service).migrations_package, revision)
    except CommandError as error:  # an unknown revision, say
        raise AdminError(f"{service}: {error}") from None
    except (SQLAlchemyError, OSError) as error:
        raise AdminError(
            f"{service}: cannot migrate ({type(error).__name__}): check "
            f"{spec(service).database_env} and that the database is up"
        ) from None
    return Migrated(service, revision)
