#!/usr/bin/env bash
# ./build.sh demo: the LDAP auth plugin working on localhost, with neither
# Docker nor a Tyk gateway. It
#   - starts the sample OpenLDAP directory (internal/slapdtest/cmd/devldap),
#   - builds ./plugin against the stand-in Tyk packages (testdata/tykstandin),
#   - serves it from the contract host (internal/tykhost/cmd/contracthost) in
#     front of a small echo upstream (testdata/demo/upstream),
#   - shows 200 (alice), 401 (wrong password) and 503 (LDAP unreachable),
#   - waits for Ctrl-C and stops everything it started.
#
# With DEMO_UI=1 the directory comes from internal/devdir/cmd/devdir
# instead: the same sample directory (without the user test and the
# posixGroup testgroup, unless DEVDIR_TUTORIAL=0) plus phpLDAPadmin on it,
# and the gateway serves two more APIs (/ldap-ui/, /ldap-testgroup/) that
# take users made in the UI at once. The script then prints the loop: create
# them in the UI, try them with curl.
#
# Settings: DEMO_PORT (default 8080), DEMO_WAIT=0 to exit after the checks,
# DEMO_UI=1, DEVDIR_PORT (the UI's port; default a free one).
# Needs: go, curl, slapd + ldap-utils (apt-get install slapd ldap-utils);
# with DEMO_UI=1 also php-cli, php-ldap, php-xml and phpldapadmin.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT
readonly PORT=${DEMO_PORT:-8080}
readonly WAIT=${DEMO_WAIT:-1}
readonly UI=${DEMO_UI:-0}
readonly BASE="http://127.0.0.1:${PORT}"

say() { printf 'demo: %s\n' "$*"; }
die() {
	printf 'demo: error: %s\n' "$*" >&2
	exit 1
}

command -v go >/dev/null || die "Go 1.23 or newer is needed and 'go' is not on PATH: install it from https://go.dev/dl/"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"
command -v slapd >/dev/null || [[ -x /usr/sbin/slapd ]] || die "slapd not found: apt-get install slapd ldap-utils"

# port_in_use PORT: something already accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Refuse a taken port before the build, naming the setting that moves it.
if port_in_use "$PORT"; then
	die "127.0.0.1:${PORT} is already in use: set DEMO_PORT to a free port (DEMO_PORT=18080 ./build.sh demo)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tyk-ldap-demo.XXXXXX")
PIDS=()

# stop ends exactly the processes this script started, by pid: TERM first
# (devldap then stops its slapd), KILL after 5 s.
stop() {
	local pid i
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap stop EXIT
trap 'echo; say "stopping"; exit 0' INT TERM HUP

# wait_for PID DESCRIPTION COMMAND...: polls COMMAND for up to 30 s while
# PID is alive.
wait_for() {
	local pid=$1 what=$2 i
	shift 2
	for ((i = 0; i < 300; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || die "${what} exited; its log: $(tail -n 20 "$WORK/${what}.log" 2>/dev/null)"
		sleep 0.1
	done
	die "${what} not ready after 30 s; its log: $(tail -n 20 "$WORK/${what}.log" 2>/dev/null)"
}

# wait_for_quiet PID DESCRIPTION COMMAND...: wait_for that returns 1
# instead of dying, so the caller can explain the failure.
wait_for_quiet() {
	local pid=$1 i
	shift 2
	for ((i = 0; i < 300; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

say "building in ${WORK} (Go workspace with the stand-in Tyk packages; -trimpath -tags=goplugin, as the gateway)"
(
	cd "$ROOT"
	export GOWORK="$ROOT/testdata/tykstandin/go.work" GOFLAGS=''
	if [[ $UI == 1 ]]; then
		go build -trimpath -tags=goplugin -o "$WORK/devdir" ./internal/devdir/cmd/devdir
	else
		go build -trimpath -tags=goplugin -o "$WORK/devldap" ./internal/slapdtest/cmd/devldap
	fi
	go build -trimpath -tags=goplugin -o "$WORK/contracthost" ./internal/tykhost/cmd/contracthost
	go build -trimpath -tags=goplugin -buildmode=plugin -o "$WORK/ldapauth.so" ./plugin
	go build -trimpath -o "$WORK/upstream" ./testdata/demo/upstream
	GOWORK=off go build -o "$WORK/depcheck" ./internal/depcheck/cmd/depcheck
)
# The same check build.sh runs against a real gateway, here against the
# contract host that will load the plugin.
"$WORK/depcheck" -plugin "$WORK/ldapauth.so" -gateway "$WORK/contracthost"

"$WORK/upstream" -listen 127.0.0.1:0 -addr-file "$WORK/upstream.addr" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
wait_for "$!" upstream test -s "$WORK/upstream.addr"
UPSTREAM="http://$(cat "$WORK/upstream.addr")/"

UI_APIS=()
if [[ $UI == 1 ]]; then
	say "starting the sample LDAP directory and phpLDAPadmin"
	devdir_args=(-info "$WORK/ldap.env" -gateway-apis "$WORK/ui-apis" -upstream "$UPSTREAM")
	if [[ ${DEVDIR_TUTORIAL:-1} == 0 ]]; then
		devdir_args+=(-tutorial=false)
	fi
	# From the repository root: devdir loads testdata/ldap from there.
	(cd "$ROOT" && exec "$WORK/devdir" "${devdir_args[@]}") >"$WORK/devdir.log" 2>&1 &
	PIDS+=($!)
	wait_for "$!" devdir test -s "$WORK/ldap.env"
	UI_APIS=(-api "$WORK/ui-apis/ldap-ui.json" -api "$WORK/ui-apis/ldap-testgroup.json")
else
	say "starting the sample LDAP directory"
	"$WORK/devldap" -info "$WORK/ldap.env" >"$WORK/devldap.log" 2>&1 &
	PIDS+=($!)
	wait_for "$!" devldap test -s "$WORK/ldap.env"
fi
# shellcheck source=/dev/null # written by devldap or devdir at run time
. "$WORK/ldap.env"
say "LDAP: ${LDAPS_URL} (CA ${LDAP_CA_FILE}), base ${LDAP_BASE_DN}"

# Two APIs: one on the sample directory over LDAPS with its CA, one whose
# LDAP server does not exist (port 1 refuses connections).
write_api() {
	local file=$1 id=$2 listen=$3 url=$4
	cat >"$file" <<EOF
{
  "name": "${id}", "api_id": "${id}", "org_id": "default", "active": true,
  "use_keyless": false, "use_standard_auth": false, "use_basic_auth": false,
  "custom_plugin_auth_enabled": true, "strip_auth_data": true,
  "definition": {"location": "header", "key": "x-api-version"},
  "version_data": {"not_versioned": true, "default_version": "Default",
    "versions": {"Default": {"name": "Default", "use_extended_paths": true}}},
  "proxy": {"listen_path": "${listen}", "target_url": "${UPSTREAM}", "strip_listen_path": true},
  "custom_middleware": {"driver": "goplugin",
    "auth_check": {"name": "LDAPAuth", "path": "/opt/tyk-gateway/middleware/ldapauth.so"}},
  "config_data_disabled": false,
  "config_data": {
    "urls": ["${url}"],
    "tls_ca_file": "${LDAP_CA_FILE}",
    "dial_timeout": "1s",
    "request_timeout": "2s",
    "user_dn_template": "uid={username},${LDAP_PEOPLE_DN}",
    "realm": "LDAP demo",
    "cache_ttl": "30s"
  }
}
EOF
}
write_api "$WORK/api-ldap.json" ldap-demo /ldap/ "$LDAPS_URL"
write_api "$WORK/api-ldap-down.json" ldap-demo-down /ldap-down/ "ldaps://127.0.0.1:1"

say "starting the contract host on ${BASE}"
"$WORK/contracthost" -listen "127.0.0.1:${PORT}" -plugin "$WORK/ldapauth.so" \
	-api "$WORK/api-ldap.json" -api "$WORK/api-ldap-down.json" "${UI_APIS[@]+"${UI_APIS[@]}"}" >"$WORK/contracthost.log" 2>&1 &
PIDS+=($!)
if ! wait_for_quiet "$!" contracthost curl -fsS "${BASE}/hello"; then
	if grep -q 'address already in use' "$WORK/contracthost.log" 2>/dev/null; then
		die "127.0.0.1:${PORT} was taken while the demo was building: set DEMO_PORT to a free port (DEMO_PORT=18080 ./build.sh demo)"
	fi
	die "contracthost not ready; its log: $(tail -n 20 "$WORK/contracthost.log" 2>/dev/null)"
fi

failed=0
# show WANT DESCRIPTION CURL-ARGS...: prints the command, runs it, compares
# the status code.
show() {
	local want=$1 what=$2 code
	shift 2
	printf '\n# %s: expect %s\n$ curl -i %s\n' "$what" "$want" "$*"
	code=$(curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$@") || code=000
	sed -n '1p;/^[Ww][Ww][Ww]-[Aa]uthenticate/p;/^[Rr]etry-[Aa]fter/p' "$WORK/headers"
	head -c 600 "$WORK/body"
	echo
	if [[ $code == "$want" ]]; then
		say "got ${code} as expected"
	else
		say "got ${code}, expected ${want}"
		failed=1
	fi
}
show 200 "alice with her password (the upstream sees X-Authenticated-User, not Authorization)" \
	-u "alice:${LDAP_USER_ALICE_PASSWORD}" "${BASE}/ldap/anything"
show 401 "alice with a wrong password" -u "alice:not-her-password" "${BASE}/ldap/anything"
show 503 "an API whose LDAP server is down" -u "alice:${LDAP_USER_ALICE_PASSWORD}" "${BASE}/ldap-down/anything"
if [[ $UI == 1 ]]; then
	show 200 "alice on the API for users made in the UI (search, then bind)" \
		-u "alice:${LDAP_USER_ALICE_PASSWORD}" "${BASE}/ldap-ui/anything"
	if [[ $LDAP_TUTORIAL == 1 ]]; then
		show 401 "test, who is not in the directory yet" -u "test:test123" "${BASE}/ldap-ui/anything"
	fi
fi

if ((failed)); then
	say "contract host log:"
	tail -n 30 "$WORK/contracthost.log" >&2
	die "the demo did not behave as expected"
fi
echo
say "all answers as expected"
if [[ $UI == 1 ]]; then
	cat <<EOF

phpLDAPadmin: ${LDAP_UI_URL}
  login DN ${LDAP_UI_LOGIN_DN}, password ${LDAP_ROOT_PASSWORD}
The loop (docs/development-directory.md has it step by step):
  1. Log in. Under ou=groups, "Create new entry here", "Generic: Posix Group": Group testgroup.
  2. Under ou=people, "Create new entry here", "Generic: User Account": First name Test,
     Last name User, User ID test, Password test123 (twice), GID Number testgroup.
  3. curl -u test:test123 ${BASE}/ldap-ui/anything         # 200 at once: any user under ou=people
     curl -u test:test123 ${BASE}/ldap-testgroup/anything  # 403: a primary group is no membership
  4. On cn=testgroup: "Add new attribute", memberUid, test, "Update Object" (twice).
     curl -u test:test123 ${BASE}/ldap-testgroup/anything  # 200, X-Authenticated-Groups: testgroup
  Nothing is cached: deleting the user, changing its password or the group counts from the next request.
EOF
fi
if [[ $WAIT == 0 ]]; then
	exit 0
fi
say "still serving on ${BASE}: try other users from ${WORK}/ldap.env; Ctrl-C stops everything"
while true; do
	for pid in "${PIDS[@]}"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$WORK"/*.log >&2
			die "a demo process (pid ${pid}) exited"
		fi
	done
	sleep 1
done
