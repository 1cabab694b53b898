#!/usr/bin/env bash
# One database and one login role per Homeward service (and one for Keycloak), each role owning
# its database and nothing else: no service can read another's tables.
#
# Run once by the postgres image, from /docker-entrypoint-initdb.d, when it creates an empty
# data directory (see docker-compose.yml). Passwords come from the environment:
# INTAKE_DB_PASSWORD, REFERRALS_DB_PASSWORD, DOCUMENTS_DB_PASSWORD, NOTIFICATIONS_DB_PASSWORD,
# CONSOLE_DB_PASSWORD and KEYCLOAK_DB_PASSWORD; a missing one stops the initialisation. Changing a password later
# means ALTER ROLE (this script does not run again on an existing volume).
set -euo pipefail

create_database() {
    local name=$1 password=$2
    # psql variables (:"name" quotes an identifier, :'password' a literal): no value is pasted
    # into SQL text.
    psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set=name="$name" --set=password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
}

create_database intake "${INTAKE_DB_PASSWORD:?set INTAKE_DB_PASSWORD}"
create_database referrals "${REFERRALS_DB_PASSWORD:?set REFERRALS_DB_PASSWORD}"
create_database documents "${DOCUMENTS_DB_PASSWORD:?set DOCUMENTS_DB_PASSWORD}"
create_database notifications "${NOTIFICATIONS_DB_PASSWORD:?set NOTIFICATIONS_DB_PASSWORD}"
create_database console "${CONSOLE_DB_PASSWORD:?set CONSOLE_DB_PASSWORD}"
create_database keycloak "${KEYCLOAK_DB_PASSWORD:?set KEYCLOAK_DB_PASSWORD}"
