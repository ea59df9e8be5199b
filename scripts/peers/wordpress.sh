#!/usr/bin/env bash
# WordPress peer for the integration tests: the Debian `wordpress` package and PHP's command-line
# interpreter. The tests (tests/wordpress/conftest.py) build a docroot, a database and a site of
# their own and serve it with `php -S`; this script only installs what they need.
#
#   wordpress.sh install   idempotent; quick when everything is already there
#
# apt would start apache2 (the package depends on `apache2 | httpd`) on port 80 of every
# interface; the tests never use it, so it is kept from starting (policy-rc.d for the duration
# of the install) or stopped and disabled if it runs anyway.
set -euo pipefail

PACKAGES=(wordpress wordpress-theme-twentytwentythree php-cli php-mysql php-xml php-mbstring php-curl php-gd)

need_sudo() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      echo "$pkg"
    fi
  done
}

stop_apache() {
  # Only called when this run installed apache2: an apache2 that was there before is not ours.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet apache2 2>/dev/null; then
    need_sudo systemctl disable --now apache2 || true
  elif command -v service >/dev/null 2>&1 && service apache2 status >/dev/null 2>&1; then
    need_sudo service apache2 stop || true
  fi
}

install() {
  local missing
  missing=$(missing_packages)
  if [ -z "$missing" ]; then
    echo "wordpress: packages already installed"
  else
    local had_apache=0
    if dpkg-query -W -f='${Status}' apache2 2>/dev/null | grep -q "install ok installed"; then
      had_apache=1
    fi
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [ ! -e "$policy" ]; then
      # Keep apt from starting apache2 (and friends) while installing.
      printf '#!/bin/sh\nexit 101\n' | need_sudo tee "$policy" >/dev/null
      need_sudo chmod 755 "$policy"
      created_policy=1
    fi
    trap 'if [ "$created_policy" = 1 ]; then need_sudo rm -f "$policy"; fi' EXIT
    export DEBIAN_FRONTEND=noninteractive
    need_sudo apt-get update -qq
    # shellcheck disable=SC2086
    need_sudo apt-get install -y -qq --no-install-recommends $missing
    if [ "$had_apache" = 0 ]; then
      stop_apache
    fi
  fi
  php -r 'foreach (["mysqli", "xml", "mbstring", "curl"] as $e) { if (!extension_loaded($e)) { fwrite(STDERR, "missing PHP extension $e\n"); exit(1); } }'
  test -f /usr/share/wordpress/wp-includes/version.php
  echo "wordpress: $(php -r 'include "/usr/share/wordpress/wp-includes/version.php"; echo $wp_version;'), $(php -r 'echo PHP_VERSION;')"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
