"""`python -m homeward.documents serve|migrate`."""

from homeward.common.cli import run_service_cli
from homeward.documents.app import MIGRATIONS, create_app
from homeward.documents.settings import DocumentsSettings

if __name__ == "__main__":
    run_service_cli(
        settings_class=DocumentsSettings,
        create_app=create_app,
        migrations_package=MIGRATIONS,
        default_port=8403,
    )
