#!/bin/bash
# Runs once, when the MySQL volume is empty (docker-entrypoint-initdb.d). The entrypoint has
# already created $MYSQL_DATABASE (Dagster's storage) and $MYSQL_USER with rights on it; this
# adds the warehouse database, utf8mb4 like the server default, and the same user's rights on it.
set -euo pipefail
: "${WAREHOUSE_MYSQL_DB:?WAREHOUSE_MYSQL_DB is not set}"
mysql --protocol=socket -uroot -p"${MYSQL_ROOT_PASSWORD}" <<SQL
ALTER DATABASE \`${MYSQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci;
CREATE DATABASE IF NOT EXISTS \`${WAREHOUSE_MYSQL_DB}\`
  CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci;
GRANT ALL PRIVILEGES ON \`${WAREHOUSE_MYSQL_DB}\`.* TO '${MYSQL_USER}'@'%';
FLUSH PRIVILEGES;
SQL
