"""`python -m homeward.console serve|migrate`."""

from homeward.common.cli import run_service_cli
from homeward.console.app import MIGRATIONS, create_app
from homeward.console.settings import ConsoleSettings

if __name__ == "__main__":
    run_service_cli(
        settings_class=ConsoleSettings,
        create_app=create_app,
        migrations_package=MIGRATIONS,
        default_port=8405,
    )
