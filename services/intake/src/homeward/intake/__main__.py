"""`python -m homeward.intake serve|migrate`."""

from homeward.common.cli import run_service_cli
from homeward.intake.app import MIGRATIONS, create_app
from homeward.intake.settings import IntakeSettings

if __name__ == "__main__":
    run_service_cli(
        settings_class=IntakeSettings,
        create_app=create_app,
        migrations_package=MIGRATIONS,
        default_port=8401,
    )
