"""`python -m homeward.notifications serve|migrate`."""

from homeward.common.cli import run_service_cli
from homeward.notifications.app import MIGRATIONS, create_app
from homeward.notifications.settings import NotificationsSettings

if __name__ == "__main__":
    run_service_cli(
        settings_class=NotificationsSettings,
        create_app=create_app,
        migrations_package=MIGRATIONS,
        default_port=8404,
    )
