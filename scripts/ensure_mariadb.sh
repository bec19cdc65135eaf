#!/usr/bin/env bash
# Make sure a MariaDB server answers on 127.0.0.1:3306 and holds the test
# database and user. Starts the server if it is down; installs it with
# apt-get if it is missing. Idempotent.
set -euo pipefail

DB="${TOUCHLINE_TEST_MYSQL_DB:-touchline_test}"
USER_NAME="${TOUCHLINE_TEST_MYSQL_USER:-touchline}"
PASSWORD="${TOUCHLINE_TEST_MYSQL_PASSWORD:-tl-test-pw-4d1c}"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

ping_server() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1 \
  || mariadb-admin ping >/dev/null 2>&1; }

if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "[mariadb] not installed: installing mariadb-server with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mariadb-server mariadb-client >/dev/null
fi

if ! ping_server; then
  echo "[mariadb] not running: starting it"
  $SUDO service mariadb start >/dev/null 2>&1 || {
    $SUDO install -d -o mysql -g mysql /run/mysqld
    $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  }
  for _ in $(seq 1 60); do ping_server && break; sleep 1; done
fi
ping_server || { echo "[mariadb] server did not come up" >&2; exit 1; }

run_sql() {
  mariadb -u root -e "$1" 2>/dev/null || mariadb --protocol=tcp -h 127.0.0.1 -u root -e "$1"
}
run_sql "CREATE DATABASE IF NOT EXISTS \`${DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '${USER_NAME}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}';
CREATE USER IF NOT EXISTS '${USER_NAME}'@'localhost' IDENTIFIED BY '${PASSWORD}';
ALTER USER '${USER_NAME}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}';
ALTER USER '${USER_NAME}'@'localhost' IDENTIFIED BY '${PASSWORD}';
GRANT ALL PRIVILEGES ON \`${DB}\`.* TO '${USER_NAME}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`${DB}\`.* TO '${USER_NAME}'@'localhost';
GRANT ALL PRIVILEGES ON \`${DB}_%\`.* TO '${USER_NAME}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`${DB}_%\`.* TO '${USER_NAME}'@'localhost';
SET GLOBAL local_infile = 1;
FLUSH PRIVILEGES;"
echo "[mariadb] ready: mysql+pymysql://${USER_NAME}:***@127.0.0.1:3306/${DB}"
