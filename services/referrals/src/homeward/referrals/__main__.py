"""`python -m homeward.referrals serve|migrate`."""

from homeward.common.cli import run_service_cli
from homeward.referrals.app import MIGRATIONS, create_app
from homeward.referrals.settings import ReferralsSettings

if __name__ == "__main__":
    run_service_cli(
        settings_class=ReferralsSettings,
        create_app=create_app,
        migrations_package=MIGRATIONS,
        default_port=8402,
    )
