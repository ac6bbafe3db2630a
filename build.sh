#!/usr/bin/env bash
# build.sh: build, check, bundle, test and demo the tyk-ldap-auth Go plugin.
# Run ./build.sh help for the modes and settings.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly ROOT
readonly PLUGIN_NAME=ldapauth
readonly SYMBOL=LDAPAuth
readonly DEFAULT_TYK_VERSION=v5.8.15
DIST_DIR=${DIST_DIR:-$ROOT/dist}

usage() {
	cat <<EOF
Usage: ./build.sh [plugin|bundle|release|depcheck [GATEWAY_GO_MOD...]|check FILE USERNAME [flags]|test|bench|demo|devdir|workspace|help]

Needs Go ${GO_MIN} or newer (https://go.dev/dl/); a plugin for a real gateway needs the Go release
that built it.

  plugin (default)  Build ${PLUGIN_NAME}_<version>_linux_amd64.so into dist/ for one Tyk gateway
                    version, then check it against that gateway (every shared module, the Go
                    release, the build flags) and load it with the gateway's own
                    'tyk plugin load -s ${SYMBOL}'. With neither a Docker engine nor TYK_SRC
                    it runs the demo instead.
  bundle            Build the plugin with a new build id, write its manifest.json and run Tyk's
                    bundler: dist/${PLUGIN_NAME}-<id>.zip (inputs kept in dist/${PLUGIN_NAME}-<id>/).
  release           For one gateway version (TYK_SRC or Docker, as plugin): the .so, its bundle,
                    a static ldapauth-check and SHA256SUMS in dist/tyk-ldap-auth-<version>-<id>/,
                    stamped with the version (CHANGELOG.md's newest entry), the build id and the
                    gateway version. Exit 3: everything but the bundle (no Tyk bundler: TYK_BIN).
  depcheck [FILE...]
                    Check this module's go line and every module of its requirement graph
                    ('go list -m all') against gateway go.mod files, without building: each
                    shared module must be at or below the gateway's version, the go line at or
                    below the gateway's. FILE is a gateway source's go.mod or a file of
                    internal/depcheck/testdata/gateways/; none: \$TYK_SRC/go.mod when TYK_SRC is
                    set, else every supported release stored there. plugin and bundle run the
                    same check against the gateway source before they build.
  check FILE USERNAME [flags]
                    Run FILE's LDAP configuration (a classic or Tyk OAS API definition, or a
                    bare plugin configuration) against the real directory with USERNAME's
                    password, and show every step the gateway would take and its answer
                    (docs/check.md). The password is read from the terminal without echo, from
                    the first line of stdin, or from -password-env NAME. Flags: -json,
                    -url URL (repeatable), -ca-file FILE, -version. The command is built once
                    into .work/bin/ and rebuilt when a source file changes. Exit status: 0 let in (200),
                    1 refused (401/403/429), 2 usage or invalid configuration, 3 directory
                    unusable (500/503).
  test              The project's test suite: go vet, race tests, fuzz targets, benchmarks,
                    checks of testdata/.
  bench             The benchmarks at full length, printed as docs/performance.md's table: each result
                    as a ratio of its baseline measured in the same run.
  demo              Run the plugin on localhost against the sample LDAP directory, through the
                    contract host (no Docker, no Tyk needed), and show 200, 401 and 503.
                    DEMO_UI=1: phpLDAPadmin on the same directory too, and two more APIs for
                    the users and groups you create in it (docs/development-directory.md).
  devdir            A directory to develop against: the sample OpenLDAP directory (TLS on) and
                    phpLDAPadmin on loopback, with no Docker; prints the UI's address and admin
                    login, the LDAP URLs and CA file, and the sample users. Ctrl-C stops both.
  workspace         Write go.work at the repository root over the module and the stand-in Tyk
                    packages, so go build ./..., go vet ./... and gopls work from the root.

Where the gateway comes from (plugin and bundle):
  default           Docker: the official image tykio/tyk-plugin-compiler:\$TYK_VERSION, through
                    Dockerfile.plugin-compiler (needs a running Docker engine).
  TYK_SRC=DIR       A local checkout of github.com/TykTechnologies/tyk at the gateway's exact
                    version; built through a temporary Go workspace with the local Go toolchain,
                    which must be the Go release that built the gateway.

Settings (environment):
  TYK_VERSION         Gateway version (default ${DEFAULT_TYK_VERSION}; with TYK_SRC: the checkout's tag).
  TYK_EDITION         ee or fips: use tykio/tyk-plugin-compiler-ee or -fips (from Tyk 5.13) and
                      the matching tags (the gateway binary's own tags win when it records them).
  BUILD_ID            Unique id ([A-Za-z0-9_-], max 40): the module becomes tyk.internal/tyk_plugin<id>
                      and the file ${PLUGIN_NAME}-<id>_<version>_linux_amd64.so (API path
                      .../${PLUGIN_NAME}-<id>.so), so it loads into a running gateway beside older
                      builds. bundle makes a new id when unset.
  TYK_BIN             A gateway binary of the same version and edition: used for the dependency
                      check and 'tyk plugin load' with TYK_SRC, and as the bundler.
  BUNDLE_SIGNING_KEY  RSA private key (PEM) to sign the bundle; unset: unsigned.
  SO_PATH             bundle: bundle this already-built .so instead of building one.
  DIST_DIR            Output directory (default ./dist).
  TYK_CHARTS          test: a TykTechnologies/tyk-charts clone or bare git directory holding the commit of
                      internal/helmtest/charts-commit.txt, for the Kubernetes recipe tests (default:
                      /work/.mirror/TykTechnologies+tyk-charts/repo).
  FUZZTIME, BENCHTIME test: time per fuzz target (default 5s), iterations per benchmark (200x);
                      bench: time per benchmark (default 2s), BENCHCOUNT runs each (default 3).
  LDAPAUTH_VERSION    The version stamped into the build (default: CHANGELOG.md's newest "## vX.Y.Z").
  DEMO_PORT           demo: the gateway's port on 127.0.0.1 (default 8080; ./build.sh test uses 18080).
  DEMO_UI             demo: 1 adds phpLDAPadmin and the APIs for users made in it.
  DEMO_WAIT           demo: 0 exits after showing 200, 401 and 503 instead of waiting for Ctrl-C.
  DEVDIR_PORT         devdir, DEMO_UI=1 demo: phpLDAPadmin's port on 127.0.0.1 (default: a free one).
  DEVDIR_TUTORIAL     devdir: 0 loads the whole sample directory; by default the user test and the
                      posixGroup testgroup are left out, for you to create in the UI.

Exit status: 0 done, 1 failure, 2 usage, 3 bundle: manifest written but no bundler found;
check: the codes given above.
EOF
}

say() { printf 'build.sh: %s\n' "$*"; }
warn() { printf 'build.sh: warning: %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }
header() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# The oldest Go that builds this module (its go.mod go line). A plugin for a
# real gateway needs exactly the Go release that built that gateway.
readonly GO_MIN=1.23

# need_go PURPOSE dies with where to get Go when it is missing or too old.
need_go() {
	local v
	have go || die "Go ${GO_MIN} or newer is needed (${1}), and 'go' is not on PATH: install it from https://go.dev/dl/ (Debian's golang package is older than ${GO_MIN} on bookworm)"
	v=$(go env GOVERSION 2>/dev/null) || v=''
	if [[ $v =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] < ${GO_MIN#1.})); then
		die "Go ${GO_MIN} or newer is needed (${1}); 'go' on PATH is ${v}: install a newer one from https://go.dev/dl/"
	fi
}

TMP_DIRS=()
cleanup() {
	local d
	for d in "${TMP_DIRS[@]+"${TMP_DIRS[@]}"}"; do
		rm -rf "$d"
	done
}
trap cleanup EXIT
# A dropped terminal (SIGHUP) must clean up like Ctrl-C: temporary
# directories can hold keys.
trap 'exit 129' HUP

# new_tmp_dir sets NEW_TMP to a fresh directory removed on exit. It must run
# in the main shell (not in $(...)), or the cleanup list would not see it.
new_tmp_dir() {
	NEW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tyk-ldap-auth.XXXXXX")
	TMP_DIRS+=("$NEW_TMP")
}

# normalize_version turns v5.8.12, 5.8.12 or v5.8.12-rc3 into v5.8.12: the
# form the gateway puts into the plugin file names it looks for.
normalize_version() {
	if [[ $1 =~ ^v?([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
		printf 'v%s.%s.%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
	else
		return 1
	fi
}

# edition_settings sets COMPILER_IMAGE and BUILD_TAGS for TYK_EDITION. The
# tags must be those of the gateway binary, or shared packages differ.
edition_settings() {
	case ${TYK_EDITION:-} in
	"" | std) COMPILER_IMAGE=tykio/tyk-plugin-compiler BUILD_TAGS=goplugin ;;
	ee) COMPILER_IMAGE=tykio/tyk-plugin-compiler-ee BUILD_TAGS=goplugin,ee ;;
	fips) COMPILER_IMAGE=tykio/tyk-plugin-compiler-fips BUILD_TAGS=goplugin,ee,fips ;;
	*) die "TYK_EDITION must be empty, ee or fips (got '${TYK_EDITION}')" ;;
	esac
}

check_build_id() {
	[[ -z ${BUILD_ID:-} || ${BUILD_ID} =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$ ]] ||
		die "BUILD_ID must be 1-40 characters of A-Z a-z 0-9 _ - (got '${BUILD_ID}')"
}

# new_build_id is unique per second and per source commit, which is what a
# gateway needs to tell two builds apart.
new_build_id() {
	local id rev
	id=$(date -u +%Y%m%d%H%M%S)
	if rev=$(git -C "$ROOT" rev-parse --short=8 HEAD 2>/dev/null); then
		id="${id}-${rev}"
	fi
	printf '%s\n' "$id"
}

# release_version prints LDAPAUTH_VERSION, else the newest release named in
# CHANGELOG.md (its first "## vX.Y.Z" heading), else "dev".
release_version() {
	local v=${LDAPAUTH_VERSION:-}
	if [[ -z $v && -f $ROOT/CHANGELOG.md ]]; then
		v=$(awk '/^## v[0-9]+\.[0-9]+\.[0-9]+/ { print $2; exit }' "$ROOT/CHANGELOG.md")
	fi
	printf '%s\n' "${v:-dev}"
}

module_path() {
	awk '$1 == "module" { print $2; exit }' "$1/go.mod"
}

# find_image_tyk_bin prints the gateway binary in the compiler image.
find_image_tyk_bin() {
	local c
	for c in "$(command -v tyk || true)" /usr/local/bin/tyk /go/bin/tyk "$(go env GOPATH)/bin/tyk"; do
		if [[ -n $c && -x $c ]]; then
			printf '%s\n' "$c"
			return 0
		fi
	done
	return 1
}

# mirror_gateway_settings BIN TAGS: the plugin must be compiled exactly like
# the gateway binary it will be loaded into, so its build tags and the Go
# settings that change compiled code (GOAMD64, GOEXPERIMENT, GOFIPS140) are
# taken from that binary's build information when it records them. Sets
# GW_TAGS (TAGS when the binary records none) and exports the settings.
mirror_gateway_settings() {
	local bin=$1 key value
	GW_TAGS=$2
	while read -r key value; do
		case $key in
		-tags)
			if [[ $value != "$GW_TAGS" ]]; then
				warn "the gateway binary was built with -tags=${value}, not ${GW_TAGS}: using its tags"
			fi
			GW_TAGS=$value
			;;
		GOAMD64 | GOEXPERIMENT | GOFIPS140)
			export "${key}=${value}"
			;;
		esac
	done < <(go version -m "$bin" | awk '$1 == "build" { split($2, kv, "="); k = kv[1]; sub(/^[^=]*=/, "", $2); print k, $2 }')
}

docker_ready() {
	have docker && docker info >/dev/null 2>&1
}

# ensure_packages installs the Debian packages the tests and the demo need
# (slapd and ldap-utils serve the real LDAP directory; no system slapd is
# started; curl drives the demo) when they are missing and apt-get can run;
# otherwise it says what to install. Leading --require=package:check
# arguments add required packages; the other arguments name optional extras
# (package:check) that are installed when possible and skipped otherwise.
# See missing_packages for what a check is.
ensure_packages() {
	local required=() optional=() extra=()
	while [[ ${1:-} == --require=* ]]; do
		extra+=("${1#--require=}")
		shift
	done
	missing_packages slapd:slapd ldap-utils:ldapsearch redis-server:redis-server curl:curl "${extra[@]+"${extra[@]}"}"
	required=("${MISSING[@]+"${MISSING[@]}"}")
	missing_packages "$@"
	optional=("${MISSING[@]+"${MISSING[@]}"}")
	((${#required[@]} + ${#optional[@]} == 0)) && return 0
	if [[ $(id -u) -ne 0 ]] || ! have apt-get; then
		((${#required[@]} == 0)) && return 0
		die "missing ${required[*]}: install them with: sudo apt-get install -y --no-install-recommends ${required[*]}"
	fi
	say "installing ${required[*]} ${optional[*]} (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${required[@]}" "${optional[@]}"; then
		apt-get update
		apt-get install -y --no-install-recommends "${required[@]}" "${optional[@]}" ||
			apt-get install -y --no-install-recommends "${required[@]}"
	fi
}

# missing_packages sets MISSING to the packages (of package:check pairs)
# that are not installed. A check is a command name, or an absolute path
# pattern (for packages without a command: a PHP extension, a web
# application) that must match a file.
missing_packages() {
	local pkg_cmd cmd
	MISSING=()
	for pkg_cmd in "$@"; do
		cmd=${pkg_cmd#*:}
		if [[ $cmd == /* ]]; then
			compgen -G "$cmd" >/dev/null || MISSING+=("${pkg_cmd%%:*}")
		else
			have "$cmd" || [[ -x /usr/sbin/$cmd ]] || MISSING+=("${pkg_cmd%%:*}")
		fi
	done
}

# The packages of the Active Directory tests: Samba's AD DC (samba), the
# data samba-tool provisions a domain from, and ldbmodify, which loads the
# sample domain.
readonly AD_PACKAGES=(
	--require=samba-ad-dc:samba
	--require=samba-ad-provision:/usr/share/samba/setup/provision.ldif
	--require=ldb-tools:ldbmodify
)

# The packages of the development directory's web UI: PHP's command-line
# interpreter (its built-in web server serves the UI), the LDAP and XML
# extensions, and phpLDAPadmin itself.
readonly DEVDIR_PACKAGES=(
	--require=php-cli:php
	'--require=php-ldap:/usr/lib/php/*/ldap.so'
	'--require=php-xml:/usr/lib/php/*/xml.so'
	--require=phpldapadmin:/usr/share/phpldapadmin/htdocs/index.php
)

# ---------------------------------------------------------------------------
# Building the .so: the same steps in the compiler image and with TYK_SRC.
# ---------------------------------------------------------------------------

# build_so SRC_ROOT GATEWAY_SRC VERSION TAGS BUILD_ID OUT_DIR SO_BASE
# Copies the source (renaming the module when there is a build id), builds
# ./plugin inside a Go workspace with the gateway source, and sets BUILT_SO
# to the path of the .so. The working tree is never touched.
build_so() {
	local src_root=$1 gw_src=$2 version=$3 tags=$4 build_id=$5 out_dir=$6 so_base=$7
	local work copy goos goarch so_file old_module new_module

	new_tmp_dir
	work=$NEW_TMP
	copy="$work/plugin_${PLUGIN_NAME}${build_id}"
	mkdir -p "$copy" "$out_dir"
	# testdata holds the stand-in Tyk module: never part of a real build.
	tar -C "$src_root" --exclude=./.git --exclude=./dist --exclude=./testdata -cf - . | tar -C "$copy" -xf -

	old_module=$(module_path "$copy")
	if [[ -n $build_id ]]; then
		new_module="tyk.internal/tyk_plugin${build_id}"
		# A new module path gives every package, the plugin's main package
		# included, a new import path: the gateway can then load this build
		# beside an older one instead of failing with "plugin already loaded".
		(cd "$copy" && GOWORK=off go mod edit -module "$new_module")
		local old_re=${old_module//./\\.}
		find "$copy" -type f -name '*.go' -exec sed -i -E "s#\"${old_re}(/|\")#\"${new_module}\\1#g" {} +
		if grep -rqE --include='*.go' "\"${old_re}(/|\")" "$copy"; then
			die "module rename to ${new_module} left imports of ${old_module} behind"
		fi
	fi

	# The workspace is how the official compiler works too: imports of
	# github.com/TykTechnologies/tyk/... resolve to the gateway's own source,
	# and the gateway's replace directives and versions apply.
	(cd "$work" && GOWORK=off go work init "$gw_src" "$copy")

	goos=$(go env GOOS)
	goarch=$(go env GOARCH)
	so_file="${out_dir}/${so_base}_${version}_${goos}_${goarch}.so"
	# The build names itself in the gateway log (ldapauth/version).
	local stamp="${new_module:-$old_module}/ldapauth/version"
	local ldflags rel
	rel=$(release_version)
	ldflags="-X ${stamp}.Version=${rel} -X ${stamp}.Gateway=${version}${build_id:+ -X ${stamp}.BuildID=${build_id}}"
	header "build ${so_file##*/}"
	say "module ${new_module:-$old_module}, tags ${tags}, $(go env GOVERSION), gateway source ${gw_src}, tyk-ldap-auth ${rel}"
	(cd "$copy" && GOWORK="$work/go.work" GOFLAGS='' GOTOOLCHAIN=local CGO_ENABLED=1 \
		go build -buildmode=plugin -trimpath -tags="$tags" -ldflags="$ldflags" -o "$so_file" ./plugin)
	BUILT_SO=$so_file
}

# build_depcheck sets DEPCHECK to the dependency check command, built once
# from this checkout.
build_depcheck() {
	[[ -n ${DEPCHECK:-} ]] && return 0
	new_tmp_dir
	(cd "$ROOT" && GOWORK=off GOFLAGS='' go build -o "$NEW_TMP/depcheck" ./internal/depcheck/cmd/depcheck)
	DEPCHECK=$NEW_TMP/depcheck
}

# check_requirements GATEWAY_FILE...: this module's go line and requirement
# graph against gateway go.mod files (or stored facts), before any build. In
# the compiler's workspace a newer version asked for here would win over
# the gateway's and the gateway would refuse the plugin.
check_requirements() {
	local modules_args=()
	build_depcheck
	new_tmp_dir
	if (cd "$ROOT" && GOWORK=off GOFLAGS='' go list -m all) >"$NEW_TMP/modules.txt"; then
		modules_args=(-modules "$NEW_TMP/modules.txt")
	else
		warn "'go list -m all' failed (output above): checking only the modules go.mod lists"
	fi
	"$DEPCHECK" -requirements "$ROOT/go.mod" "${modules_args[@]+"${modules_args[@]}"}" "$@" ||
		die "this module's go.mod does not fit the gateway (see above); nothing was built"
}

# check_so SO TAGS BUILD_ID GATEWAY_BIN GATEWAY_SRC
# The dependency check, then the gateway's own load test when a gateway
# binary exists.
check_so() {
	local so=$1 tags=$2 build_id=$3 gw_bin=$4 gw_src=$5
	local depcheck_args

	header "dependency check: ${so##*/}"
	build_depcheck
	depcheck_args=(-plugin "$so")
	if [[ -n $build_id ]]; then
		depcheck_args+=(-module "tyk.internal/tyk_plugin${build_id}")
	fi
	if [[ -n $gw_bin ]]; then
		"$DEPCHECK" "${depcheck_args[@]}" -gateway "$gw_bin"
	else
		warn "no gateway binary (set TYK_BIN): checking modules against ${gw_src}/go.mod; the Go release cannot be checked: it must be the one that built your gateway ('go version /opt/tyk-gateway/tyk')"
		"$DEPCHECK" "${depcheck_args[@]}" -gateway-gomod "$gw_src/go.mod" -tags "$tags"
	fi

	if [[ -n $gw_bin ]]; then
		header "load test: ${gw_bin} plugin load -f ${so##*/} -s ${SYMBOL}"
		local out
		out=$("$gw_bin" plugin load -f "$so" -s "$SYMBOL" 2>&1) || true
		printf '%s\n' "$out"
		[[ $out == *"loaded ok"* ]] || die "the gateway could not load ${so}"
	fi
}

# write_manifest SO: manifest.json next to the .so, in the gateway's format.
write_manifest() {
	(cd "$ROOT" && GOWORK=off GOFLAGS='' go run ./internal/bundle/cmd/manifest -so "$1" -symbol "$SYMBOL")
}

# in_image runs inside Dockerfile.plugin-compiler, on the official image.
in_image() {
	local version gw_bin so out_dir so_base tags=${BUILD_TAGS:-goplugin}
	: "${TYK_GW_PATH:?the compiler image sets TYK_GW_PATH}"
	# GITHUB_TAG is the gateway version the image was built from.
	version=$(normalize_version "${GITHUB_TAG:-${TYK_VERSION:-}}") ||
		die "cannot tell the gateway version: the image has no GITHUB_TAG and TYK_VERSION is '${TYK_VERSION:-}'"
	gw_bin=$(find_image_tyk_bin) || die "no tyk binary in the compiler image"
	mirror_gateway_settings "$gw_bin" "$tags"
	tags=$GW_TAGS
	check_build_id
	out_dir=${OUT_DIR:-/out}
	if [[ ${MODE:-plugin} == bundle ]]; then
		[[ -n ${BUILD_ID:-} ]] || die "bundle builds need a BUILD_ID"
		out_dir="${out_dir}/${PLUGIN_NAME}-${BUILD_ID}"
		so_base=$PLUGIN_NAME
	else
		so_base=${PLUGIN_NAME}${BUILD_ID:+-$BUILD_ID}
	fi
	header "requirements check against ${TYK_GW_PATH}/go.mod"
	check_requirements "$TYK_GW_PATH/go.mod"
	build_so "$ROOT" "$TYK_GW_PATH" "$version" "$tags" "${BUILD_ID:-}" "$out_dir" "$so_base"
	so=$BUILT_SO
	check_so "$so" "$tags" "${BUILD_ID:-}" "$gw_bin" "$TYK_GW_PATH"
	if [[ ${MODE:-plugin} == bundle ]]; then
		write_manifest "$so"
	fi
}

# docker_build MODE OUT_DIR: runs Dockerfile.plugin-compiler and copies /out
# into OUT_DIR. Prints nothing on stdout.
docker_build() {
	local mode=$1 out_dir=$2 version image cid
	have docker || die "docker not found. Install Docker, or build against a gateway checkout: TYK_SRC=/path/to/tyk ./build.sh (or try ./build.sh demo)"
	docker info >/dev/null 2>&1 || die "no Docker engine is reachable ('docker info' failed). Start Docker, or build against a gateway checkout: TYK_SRC=/path/to/tyk ./build.sh (or try ./build.sh demo)"
	version=$(normalize_version "${TYK_VERSION:-$DEFAULT_TYK_VERSION}") || die "TYK_VERSION '${TYK_VERSION}' is not vX.Y.Z"
	DOCKER_VERSION=$version
	image="tyk-ldap-auth-build:${version}${TYK_EDITION:+-$TYK_EDITION}"
	say "docker build on ${COMPILER_IMAGE}:${version} (tags ${BUILD_TAGS})"
	docker build -f "$ROOT/Dockerfile.plugin-compiler" --target build \
		--build-arg "TYK_VERSION=${version}" --build-arg "COMPILER_IMAGE=${COMPILER_IMAGE}" \
		--build-arg "BUILD_ID=${BUILD_ID:-}" --build-arg "BUILD_TAGS=${BUILD_TAGS}" --build-arg "MODE=${mode}" \
		--build-arg "LDAPAUTH_VERSION=$(release_version)" \
		-t "$image" "$ROOT" >&2
	mkdir -p "$out_dir"
	cid=$(docker create "$image" true)
	docker cp "${cid}:/out/." "$out_dir/" >&2
	docker rm "$cid" >/dev/null
}

# gateway_src_version prints the version of a gateway checkout.
gateway_src_version() {
	local tag
	if [[ -n ${TYK_VERSION:-} ]]; then
		normalize_version "$TYK_VERSION" || die "TYK_VERSION '${TYK_VERSION}' is not vX.Y.Z"
		return
	fi
	if tag=$(git -C "$TYK_SRC" describe --tags --exact-match 2>/dev/null); then
		normalize_version "$tag" || die "the tag '${tag}' of ${TYK_SRC} is not vX.Y.Z; set TYK_VERSION"
		return
	fi
	die "${TYK_SRC} is not checked out at a release tag; set TYK_VERSION to the gateway's version (the plugin file name must carry it)"
}

local_gateway_bin() {
	if [[ -n ${TYK_BIN:-} ]]; then
		[[ -x $TYK_BIN ]] || die "TYK_BIN=${TYK_BIN} is not an executable file"
		printf '%s\n' "$TYK_BIN"
	fi
}

check_tyk_src() {
	[[ -f ${TYK_SRC}/go.mod ]] || die "TYK_SRC=${TYK_SRC} has no go.mod"
	[[ $(module_path "$TYK_SRC") == github.com/TykTechnologies/tyk ]] ||
		die "TYK_SRC=${TYK_SRC} is not the github.com/TykTechnologies/tyk module"
	need_go "building with TYK_SRC needs the Go release that built the gateway"
}

print_plugin_use() {
	local so=$1 base=${1##*/}
	base=${base%%_v[0-9]*}
	say "done: ${so}"
	cat <<EOF

Install: copy ${so##*/} into /opt/tyk-gateway/middleware/ on every gateway node, then use in the
API definition (classic):
  "custom_plugin_auth_enabled": true, "use_keyless": false,
  "custom_middleware": {"driver": "goplugin",
    "auth_check": {"name": "${SYMBOL}", "path": "/opt/tyk-gateway/middleware/${base}.so"}}
The gateway finds ${so##*/} for that path by itself (it adds _<version>_<os>_<arch>).
EOF
}

mode_plugin() {
	local so out_dir=$DIST_DIR base
	edition_settings
	check_build_id
	base=${PLUGIN_NAME}${BUILD_ID:+-$BUILD_ID}
	if [[ -z ${TYK_SRC:-} ]]; then
		docker_build plugin "$out_dir"
		# The compiler image is linux/amd64 only.
		so="${out_dir}/${base}_${DOCKER_VERSION}_linux_amd64.so"
		[[ -f $so ]] || die "the docker build wrote no ${so}"
		print_plugin_use "$so"
		return
	fi
	build_local "$out_dir" "$base"
	print_plugin_use "$BUILT_SO"
}

# build_local OUT_DIR SO_BASE builds against TYK_SRC (and TYK_BIN when set)
# and runs the dependency check; BUILT_SO is the .so.
build_local() {
	local out_dir=$1 base=$2 version gw_bin
	check_tyk_src
	version=$(gateway_src_version)
	gw_bin=$(local_gateway_bin)
	if [[ -n $gw_bin ]]; then
		mirror_gateway_settings "$gw_bin" "$BUILD_TAGS"
		BUILD_TAGS=$GW_TAGS
	fi
	header "requirements check against ${TYK_SRC}/go.mod"
	check_requirements "$TYK_SRC/go.mod"
	build_so "$ROOT" "$(cd "$TYK_SRC" && pwd)" "$version" "$BUILD_TAGS" "${BUILD_ID:-}" "$out_dir" "$base"
	check_so "$BUILT_SO" "$BUILD_TAGS" "${BUILD_ID:-}" "$gw_bin" "$TYK_SRC"
}

# find_bundler sets BUNDLER to the command that runs 'tyk bundle build' in
# the stage directory: a local tyk binary, or the compiler image.
find_bundler() {
	BUNDLER=()
	if [[ -n ${TYK_BIN:-} ]]; then
		[[ -x $TYK_BIN ]] || die "TYK_BIN=${TYK_BIN} is not an executable file"
		BUNDLER=("$TYK_BIN")
	elif have tyk; then
		BUNDLER=("$(command -v tyk)")
	elif docker_ready; then
		local version
		version=$(normalize_version "${TYK_VERSION:-$DEFAULT_TYK_VERSION}") || die "TYK_VERSION is not vX.Y.Z"
		BUNDLER=(docker_tyk "${COMPILER_IMAGE}:${version}")
	else
		return 1
	fi
}

# docker_tyk IMAGE ARGS...: the bundler from the compiler image, on the
# current directory; the signing key is mounted read-only, never copied.
docker_tyk() {
	local image=$1
	shift
	local args=(run --rm --user "$(id -u):$(id -g)" -v "$PWD:/bundle" -w /bundle --entrypoint sh)
	if [[ -n ${BUNDLE_SIGNING_KEY:-} ]]; then
		args+=(-v "${BUNDLE_SIGNING_KEY}:/run/secrets/bundle_key:ro")
	fi
	# The image's gateway binary is on PATH or in /usr/local/bin.
	# shellcheck disable=SC2016 # expanded by the container's shell
	docker "${args[@]}" "$image" -c 'exec "$(command -v tyk || echo /usr/local/bin/tyk)" "$@"' tyk "$@"
}

no_bundler() {
	local stage=$1 zip=$2
	cat >&2 <<EOF
build.sh: no Tyk bundler found.
  Written: ${stage}/manifest.json (and the .so beside it); NOT written: ${zip}
  The bundle (zip, checksum, signature) must be made by Tyk's own 'tyk bundle build', which is part
  of the gateway binary. Get one of:
    - a running Docker engine: ./build.sh bundle then uses tykio/tyk-plugin-compiler:<version>
    - TYK_BIN=/path/to/tyk: the gateway binary of your version (the tykio/tyk-gateway image and the
      deb/rpm packages have it at /opt/tyk-gateway/tyk; from a checkout:
      cd \$TYK_SRC && go build -tags=goplugin -trimpath -o /tmp/tyk .)
    - 'tyk' on PATH
  Then either run ./build.sh bundle again, or by hand:
    cd ${stage} && tyk bundle build -m manifest.json -o ../${zip##*/} -y    (or -k private.pem to sign)
EOF
	exit 3
}

mode_bundle() {
	local stage zip so signing
	edition_settings
	BUILD_ID=${BUILD_ID:-$(new_build_id)}
	check_build_id
	stage="${DIST_DIR}/${PLUGIN_NAME}-${BUILD_ID}"
	zip="${DIST_DIR}/${PLUGIN_NAME}-${BUILD_ID}.zip"
	# A gateway that has unpacked a bundle name once never fetches it again.
	[[ ! -e $zip ]] || die "${zip} exists: a new build needs a new bundle name; use another BUILD_ID (or none: one is made)"
	if [[ -n ${BUNDLE_SIGNING_KEY:-} ]]; then
		[[ -f $BUNDLE_SIGNING_KEY ]] || die "BUNDLE_SIGNING_KEY=${BUNDLE_SIGNING_KEY} is not a file"
		BUNDLE_SIGNING_KEY=$(cd "$(dirname "$BUNDLE_SIGNING_KEY")" && pwd)/$(basename "$BUNDLE_SIGNING_KEY")
	fi

	if [[ -n ${SO_PATH:-} ]]; then
		[[ -f $SO_PATH ]] || die "SO_PATH=${SO_PATH} is not a file"
		warn "SO_PATH: bundling ${SO_PATH} as built; it loads beside other builds only if it was built with its own BUILD_ID"
		mkdir -p "$stage"
		so="$stage/${SO_PATH##*/}"
		[[ $SO_PATH -ef $so ]] || cp "$SO_PATH" "$so"
		need_go "writing manifest.json"
		write_manifest "$so"
	elif [[ -z ${TYK_SRC:-} ]]; then
		# The image builds, checks and writes the manifest.
		docker_build bundle "$DIST_DIR"
	else
		build_local "$stage" "$PLUGIN_NAME"
		so=$BUILT_SO
		write_manifest "$so"
	fi
	[[ -f $stage/manifest.json ]] || die "no ${stage}/manifest.json after the build"

	header "bundle: ${zip##*/}"
	find_bundler || no_bundler "$stage" "$zip"
	if [[ -n ${BUNDLE_SIGNING_KEY:-} ]]; then
		if [[ ${BUNDLER[0]} == docker_tyk ]]; then
			signing=(-k /run/secrets/bundle_key)
		else
			signing=(-k "$BUNDLE_SIGNING_KEY")
		fi
	else
		signing=(-y)
		warn "BUNDLE_SIGNING_KEY unset: the bundle is unsigned; a gateway with public_key_path set refuses it"
	fi
	(cd "$stage" && "${BUNDLER[@]}" bundle build -m manifest.json -o "${zip##*/}" "${signing[@]}") ||
		die "'tyk bundle build' failed (its output is above); the inputs are in ${stage}"
	[[ -f $stage/${zip##*/} ]] || die "the bundler wrote no ${zip##*/}"
	mv "$stage/${zip##*/}" "$zip"
	say "done: ${zip} ($([[ -n ${BUNDLE_SIGNING_KEY:-} ]] && echo signed || echo unsigned))"
	cat <<EOF

Deploy: put ${zip##*/} on the bundle server (tyk.conf bundle_base_url), then in the API definition
  classic:   "custom_middleware_bundle": "${zip##*/}"
  Tyk OAS:   middleware.global.pluginConfig.bundle = {"enabled": true, "path": "${zip##*/}"}
and reload the gateways (PUT the definition, or GET /tyk/reload/group with x-tyk-authorization).
A new build always needs a new bundle name: the gateway never downloads a name it already has.
EOF
}

# mode_release: internal/release builds, names and checksums a release for
# one gateway version (through mode_bundle for the .so and its bundle).
mode_release() {
	local rc=0
	need_go "the release is assembled with it"
	new_tmp_dir
	(cd "$ROOT" && GOWORK=off GOFLAGS='' go build -o "$NEW_TMP/release" ./internal/release/cmd/release) ||
		die "building the release command failed (output above)"
	"$NEW_TMP/release" -root "$ROOT" -dist "$DIST_DIR" || rc=$?
	exit "$rc"
}

# mode_depcheck [GATEWAY_FILE...]: the requirements check on its own.
mode_depcheck() {
	local files=("$@")
	need_go "the dependency check"
	if ((${#files[@]} == 0)); then
		if [[ -n ${TYK_SRC:-} ]]; then
			check_tyk_src
			files=("$TYK_SRC/go.mod")
		else
			files=("$ROOT"/internal/depcheck/testdata/gateways/v*.txt)
			[[ -f ${files[0]} ]] || die "no stored gateway facts in internal/depcheck/testdata/gateways/"
		fi
	fi
	local f
	for f in "${files[@]}"; do
		[[ -f $f ]] || die "${f}: no such file (give a gateway source's go.mod, or a file of internal/depcheck/testdata/gateways/)"
	done
	header "requirements check: ${ROOT}/go.mod against ${#files[@]} gateway(s)"
	check_requirements "${files[@]}"
}

# mode_check FILE USERNAME [flags]: runs ldapauth-check in the caller's
# working directory, so FILE may be relative, and passes its exit status
# through. The command is built once into .work/bin/ and rebuilt only when
# a source file of the module is newer than it.
mode_check() {
	if (($# < 2)); then
		usage >&2
		exit 2
	fi
	local bin="$ROOT/.work/bin/ldapauth-check" rc=0
	if [[ ! -x $bin ]] || [[ -n $(find "$ROOT/ldapauth" "$ROOT/go.mod" "$ROOT/go.sum" -newer "$bin" \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -print -quit) ]]; then
		need_go "the check command is built with it"
		mkdir -p "${bin%/*}"
		(cd "$ROOT" && GOWORK=off GOFLAGS='' go build -trimpath -o "$bin.$$" ./ldapauth/cmd/ldapauth-check && mv -f "$bin.$$" "$bin") ||
			die "building ldapauth-check failed (output above)"
	fi
	"$bin" "$@" || rc=$?
	exit "$rc"
}

# ---------------------------------------------------------------------------
# test
# ---------------------------------------------------------------------------

# run_fuzz PKG NAME fuzzes one target for $fuzztime. Go up to 1.26 can fail
# a duration-bounded run with a bare "context deadline exceeded" when the
# time is up while a worker is busy (golang/go#75804, fixed in Go 1.27),
# which is likely on a loaded machine. A real finding always writes a
# failing input; without one, the run is retried, and after a second such
# failure the target's corpus is replayed instead, which must pass.
run_fuzz() {
	local pkg=$1 name=$2 log attempt
	new_tmp_dir
	log="$NEW_TMP/fuzz.log"
	for attempt in 1 2; do
		if go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "${flags[@]}" "$pkg" 2>&1 | tee "$log"; then
			return 0
		fi
		if grep -q 'Failing input written to' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
			die "fuzz target ${name} in ${pkg} failed"
		fi
		warn "${name}: bare 'context deadline exceeded' at the end of -fuzztime, no failing input: the Go fuzzing shutdown race (golang/go#75804), not a finding (attempt ${attempt})"
	done
	warn "${name}: replaying its corpus instead"
	go test -run="^${name}\$" -count=1 "${flags[@]}" "$pkg"
}

# plain_packages prints every package whose code and tests build from the
# plain module (GOWORK=off): everything that imports no Tyk package, directly
# or through its tests.
plain_packages() {
	list_packages | awk -F'|' '$2 == "" && !($1 in bad) { ok[$1] = 1 } $2 != "" { bad[$1] = 1; delete ok[$1] } END { for (p in ok) print p }' | sort
}

# needs_workspace prints the packages that need the gateway's packages
# (the stand-in in tests, the real gateway in a build).
needs_workspace() {
	list_packages | awk -F'|' '$2 != "" { print $1 }' | sort -u
}

# list_packages prints "package|error" for every package and test variant
# of the plain module, test variants folded onto their package.
list_packages() {
	(cd "$ROOT" && GOWORK=off GOFLAGS='' go list -e -test -f '{{.ImportPath}}|{{if or .Error .DepsErrors}}needs-tyk{{end}}' ./...) |
		sed -E 's/ \[[^]]*\]//; s/\.test\|/|/; s/_test\|/|/'
}

# mode_workspace writes go.work at the repository root (git-ignored) over
# the module and the stand-in Tyk packages, so go build, go vet, go test
# and gopls work from the root as the tests see the code.
mode_workspace() {
	cd "$ROOT"
	need_go "the workspace is written with it"
	rm -f go.work go.work.sum
	GOWORK=off go work init . ./testdata/tykstandin
	say "wrote ${ROOT}/go.work (module + testdata/tykstandin); now go build ./..., go vet -tags=goplugin ./... and gopls work from the root"
	say "remove it (rm go.work go.work.sum) to work on the plain module: GOWORK=off does the same for one command"
}

mode_test() {
	local fuzztime=${FUZZTIME:-5s} benchtime=${BENCHTIME:-200x}
	local flags=(-trimpath -tags=goplugin)
	cd "$ROOT"
	need_go "the tests build and run with it"
	if [[ $(go env GOVERSION) =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] < 26)); then
		die "the tests need Go 1.26 or newer (helm v4, which renders the Kubernetes recipes, requires it); 'go' on PATH is $(go env GOVERSION): install a newer one from https://go.dev/dl/"
	fi
	export GOWORK="$ROOT/testdata/tykstandin/go.work"
	[[ -f $GOWORK ]] || die "missing ${GOWORK}: the workspace with the stand-in Tyk packages"
	export GOFLAGS=''
	# The development directory's tests need phpLDAPadmin and Chromium too,
	# the Active Directory tests a Samba AD DC.
	ensure_packages "${DEVDIR_PACKAGES[@]}" --require=chromium:chromium "${AD_PACKAGES[@]}" \
		jq:jq shellcheck:shellcheck docker-compose:docker-compose

	# Jaeger, the trace store of the OpenTelemetry tests, is a large build
	# of its own module (internal/jaegertest/tool): build it once (cached
	# across runs) while vet runs, and give every test process its path.
	local jaeger_log jaeger_pid
	jaeger_log=$(mktemp)
	go run ./internal/jaegertest/cmd/jaegerbin >"$jaeger_log" 2>&1 &
	jaeger_pid=$!

	header "[1/7] go vet -tags=goplugin ./... (workspace), and go vet without it on every package that needs no gateway"
	go vet -tags=goplugin ./...
	local plain
	plain=$(plain_packages)
	[[ -n $plain ]] || die "no package builds without the gateway source: plain_packages is broken"
	# shellcheck disable=SC2086 # one package per word
	GOWORK=off go vet $plain
	say "GOWORK=off go vet: $(wc -w <<<"$plain") packages clean; these need the workspace: $(needs_workspace | tr '\n' ' ')"

	if ! wait "$jaeger_pid"; then
		cat "$jaeger_log" >&2
		die "building Jaeger for the tracing tests failed"
	fi
	JAEGER_BIN=$(tail -n 1 "$jaeger_log")
	export JAEGER_BIN
	rm -f "$jaeger_log"
	say "Jaeger for the tracing tests: ${JAEGER_BIN}"

	# The Kubernetes recipe tests (internal/helmtest) render with a real
	# helm, built from its own module (internal/helmtest/tool) outside the
	# test timeout.
	header "helm and yaml2json for internal/helmtest"
	mkdir -p "$ROOT/.work/bin"
	(cd "$ROOT/internal/helmtest/tool" && GOWORK=off CGO_ENABLED=0 go build -trimpath -o "$ROOT/.work/bin/helm" helm.sh/helm/v4/cmd/helm &&
		GOWORK=off CGO_ENABLED=0 go build -trimpath -o "$ROOT/.work/bin/yaml2json" ./yaml2json) ||
		die "building helm for the Kubernetes recipe tests failed (output above)"
	export HELMTEST_TOOLS="$ROOT/.work/bin"
	header "[2/7] go test -race ${flags[*]} -count=1 ./..."
	go test -race "${flags[@]}" -count=1 -timeout 12m ./...
	# Allocation counts mean nothing under -race (sync.Pool drops items on
	# purpose there), so the TestAlloc* checks only exist in non-race builds.
	say "allocation checks (non-race build)"
	go test "${flags[@]}" -count=1 -run '^TestAlloc' ./...

	header "[3/7] fuzz targets, ${fuzztime} each"
	local line file name found=0
	while IFS= read -r line; do
		file=${line%%:*}
		name=${line#*:func }
		name=${name%%(*}
		found=$((found + 1))
		printf -- '--> %s in ./%s\n' "$name" "$(dirname "$file")"
		run_fuzz "./$(dirname "$file")" "$name"
	done < <(grep -rEo --include='*_test.go' --exclude-dir=.git --exclude-dir=testdata --exclude-dir=dist \
		'^func Fuzz[A-Za-z0-9_]*\(' . | sed 's#^\./##' | sort)
	say "${found} fuzz targets run"

	header "[4/7] benchmarks, ${benchtime} each"
	go test -run='^$' -bench=. -benchmem -benchtime="$benchtime" "${flags[@]}" ./...

	header "[5/7] testdata checks"
	if have jq; then
		local n=0 f
		while IFS= read -r -d '' f; do
			jq empty "$f" || die "${f} is not valid JSON"
			n=$((n + 1))
		done < <(find testdata \( -name '*.json' -o -name '*.conf' -path 'testdata/gateway/*' \) -print0)
		say "jq: ${n} JSON files parse"
	else
		say "SKIPPED jq check (jq not installed); the Go test internal/testdatacheck parsed every JSON file in step 2"
	fi
	if have docker && docker compose version >/dev/null 2>&1; then
		docker compose -f testdata/compose/docker-compose.yml config -q
		say "docker compose config: testdata/compose/docker-compose.yml is valid"
	elif have docker-compose; then
		docker-compose -f testdata/compose/docker-compose.yml config -q
		say "docker-compose config: testdata/compose/docker-compose.yml is valid"
	else
		say "SKIPPED compose check (neither the docker compose plugin nor docker-compose is installed)"
	fi

	header "[6/7] demo, end to end (DEMO_WAIT=0), then with phpLDAPadmin (DEMO_UI=1)"
	DEMO_WAIT=0 DEMO_PORT=${DEMO_PORT:-18080} bash "$ROOT/testdata/demo/run.sh"
	DEMO_UI=1 DEMO_WAIT=0 DEMO_PORT=${DEMO_PORT:-18080} bash "$ROOT/testdata/demo/run.sh"

	header "[7/7] shellcheck"
	if have shellcheck; then
		shellcheck build.sh .ci/run testdata/demo/*.sh testdata/gateway/*.sh testdata/compose/*.sh
		say "shellcheck: clean"
	else
		say "SKIPPED shellcheck (not installed)"
	fi
	header "all tests passed"
}

mode_bench() {
	local benchtime=${BENCHTIME:-2s} count=${BENCHCOUNT:-3}
	local flags=(-trimpath -tags=goplugin -run='^$' -benchmem -benchtime="$benchtime" -count="$count")
	cd "$ROOT"
	export GOWORK="$ROOT/testdata/tykstandin/go.work"
	new_tmp_dir
	local out="$NEW_TMP/bench.txt"
	header "benchmarks (${benchtime} x ${count} each)"
	go test "${flags[@]}" -bench='^(BenchmarkHotPath|BenchmarkGateCacheHit|BenchmarkColdPath|BenchmarkTelemetry)$' ./internal/bench | tee "$out"
	go test "${flags[@]}" -bench='^BenchmarkHotPathParallel$' -cpu=1,2,8 ./internal/bench | tee -a "$out"
	go test "${flags[@]}" -bench='^BenchmarkHerd$' ./ldapauth | tee -a "$out"
	header "table (reproduce with: ./build.sh bench)"
	go run ./internal/benchreport/cmd/benchreport <"$out"
	# Its own metric is the ratio: unknown user / known user with a wrong
	# password, in search then bind (near 1: their timing cannot tell them apart).
	header "unknown vs known user timing"
	go test "${flags[@]}" -bench='^BenchmarkUnknownVsKnownUser$' ./ldapauth/directory
}

# mode_devdir builds and runs internal/devdir/cmd/devdir from the module
# root (it loads testdata/ldap from there) until Ctrl-C, SIGTERM or SIGHUP, which
# it passes on so the directory and the UI stop and clean up.
mode_devdir() {
	local args=() pid='' rc=0
	cd "$ROOT"
	need_go "devdir is built with it"
	new_tmp_dir
	(GOWORK=off GOFLAGS='' go build -o "$NEW_TMP/devdir" ./internal/devdir/cmd/devdir)
	if [[ ${DEVDIR_TUTORIAL:-1} == 0 ]]; then
		args+=(-tutorial=false)
	fi
	trap '[[ -z $pid ]] || kill -TERM "$pid" 2>/dev/null || true' INT TERM HUP
	"$NEW_TMP/devdir" "${args[@]+"${args[@]}"}" &
	pid=$!
	wait "$pid" || rc=$?
	# wait returns early when a trapped signal arrives: wait until it ends.
	while kill -0 "$pid" 2>/dev/null; do
		rc=0
		wait "$pid" || rc=$?
	done
	return "$rc"
}

# ---------------------------------------------------------------------------

main() {
	local mode=${1:-plugin}
	if [[ $# -gt 1 && $mode != depcheck && $mode != check ]]; then
		usage >&2
		exit 2
	fi
	if [[ $mode == plugin && -z ${TYK_SRC:-} ]] && ! docker_ready; then
		say "no Docker engine and no TYK_SRC: cannot build for a real gateway here, running the local demo instead"
		say "(to build: start Docker, or set TYK_SRC=<checkout of github.com/TykTechnologies/tyk at your gateway's version>)"
		mode=demo
	fi
	case $mode in
	plugin | bundle | release)
		# Later steps run in other directories: make paths absolute.
		mkdir -p "$DIST_DIR"
		DIST_DIR=$(cd "$DIST_DIR" && pwd)
		if [[ -n ${TYK_BIN:-} && $TYK_BIN != /* && -e $TYK_BIN ]]; then
			TYK_BIN="$(cd "$(dirname "$TYK_BIN")" && pwd)/$(basename "$TYK_BIN")"
		fi
		"mode_${mode}"
		;;
	depcheck)
		shift
		mode_depcheck "$@"
		;;
	check)
		shift
		mode_check "$@"
		;;
	test) mode_test ;;
	bench) mode_bench ;;
	workspace) mode_workspace ;;
	demo)
		if [[ ${DEMO_UI:-0} == 1 ]]; then
			ensure_packages "${DEVDIR_PACKAGES[@]}"
		else
			ensure_packages
		fi
		exec bash "$ROOT/testdata/demo/run.sh"
		;;
	devdir)
		ensure_packages "${DEVDIR_PACKAGES[@]}"
		mode_devdir
		;;
	in-image) in_image ;; # used by Dockerfile.plugin-compiler only
	help | -h | --help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
