#!/usr/bin/env bash
# What the tests need beyond npm packages, from Debian's packages: mosquitto (the real broker the
# end-to-end tests start themselves), openssl (the TLS tests make their own certificates) and
# chromium (test/watch drives the watch page in a real headless browser).
# Run by `npm test` (pretest); does nothing when all are there.
set -euo pipefail
missing=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "setup-test-deps: need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi
echo "setup-test-deps: installing ${missing[*]} with apt-get"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
