#!/bin/sh
# Seeds the compose OpenLDAP with the sample directory (testdata/ldap,
# mounted at /ldif) and the service account's read access. Safe to run
# again: entries that exist already are reported and skipped.
set -eu
url=${LDAP_URL:?}
base=${LDAP_BASE_DN:?}
admin="cn=admin,${base}"

tries=0
until ldapsearch -x -H "$url" -D "$admin" -w "${LDAP_ADMIN_PASSWORD:?}" -b "$base" -s base dn >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ "$tries" -ge 90 ]; then
		echo "seed-ldap: ${url} did not answer within 90s" >&2
		exit 1
	fi
	sleep 1
done

for f in /ldif/*.ldif; do
	name=${f##*/}
	case $name in
	00-*)
		echo "seed-ldap: skipping ${name}: the container made the suffix entry"
		continue
		;;
	esac
	echo "seed-ldap: loading ${name}"
	if ! ldapadd -x -c -H "$url" -D "$admin" -w "$LDAP_ADMIN_PASSWORD" -f "$f"; then
		echo "seed-ldap: ${name}: some entries were not added (already there?)"
	fi
done

echo "seed-ldap: granting read access to the service account"
if ! ldapmodify -x -c -H "$url" -D "cn=admin,cn=config" -w "${LDAP_CONFIG_PASSWORD:?}" -f /compose/ldap-acl.ldif; then
	echo "seed-ldap: the access rules were not added (already there?)"
fi
echo "seed-ldap: done"
