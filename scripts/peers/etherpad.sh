#!/usr/bin/env bash
# Etherpad (ep_etherpad-lite 1.8.14 from npm, HTTP API 1.2.15) for the integration tests.
#
#   etherpad.sh install   install into $PEERS_ROOT/etherpad (idempotent; a second run is quick)
#
# Layout (upstream's): Etherpad only runs from a folder named "src" whose parent is the Etherpad
# root, so the package npm puts in node_modules/ep_etherpad-lite is moved to ./src and
# node_modules/ep_etherpad-lite becomes a link to ../src. The tests write their own settings.json
# (loopback address, free port, "dirty" database in a temporary folder, known API key) and start
#   node src/node/server.js --settings <file> --apikey <file>
# from the Etherpad root.
#
# Why the npm flags: ueberdb2's optional sqlite3 dependency is a GitHub tarball that cannot be
# fetched without internet access; npm's default retry back-off (10 s then 60 s, paid twice)
# makes that failure cost minutes, short retries make it cost seconds. Etherpad runs on the
# "dirty" database, which needs no native module.
set -euo pipefail

VERSION="${ETHERPAD_VERSION:-1.8.14}"
root=$(cd "$(dirname "$0")/../.." && pwd)
PEERS_ROOT="${PEERS_ROOT:-$root/.peers}"
dest="$PEERS_ROOT/etherpad"
NPM_FLAGS=(--no-audit --no-fund --omit=dev --loglevel=error
           --fetch-retries=1 --fetch-retry-mintimeout=500 --fetch-retry-maxtimeout=1000)

installed_version() {
  [ -f "$dest/src/package.json" ] || return 1
  node -e 'process.stdout.write(require(process.argv[1]).version)' "$dest/src/package.json"
}

is_complete() {
  [ "$(installed_version 2>/dev/null || true)" = "$VERSION" ] &&
    [ -L "$dest/node_modules/ep_etherpad-lite" ] &&
    [ -f "$dest/src/node/server.js" ] &&
    [ -f "$dest/.installed" ]
}

install() {
  command -v node >/dev/null || { echo "etherpad: node is required (apt-get install nodejs npm)" >&2; return 1; }
  command -v npm >/dev/null || { echo "etherpad: npm is required (apt-get install npm)" >&2; return 1; }
  if is_complete; then
    echo "etherpad $VERSION already installed in $dest"
    return 0
  fi
  # Anything partial (an interrupted install, another version) is removed and redone from scratch:
  # npm must never run again inside the moved src/ folder.
  rm -rf "$dest"
  mkdir -p "$dest"
  cd "$dest"
  printf '{"name":"etherpad-peer","private":true}\n' > package.json
  echo "etherpad: npm install ep_etherpad-lite@$VERSION (about 40 s cold)"
  npm install "${NPM_FLAGS[@]}" "ep_etherpad-lite@$VERSION"
  mv node_modules/ep_etherpad-lite src
  ln -s ../src node_modules/ep_etherpad-lite
  mkdir -p var
  date -u +%FT%TZ > .installed
  echo "etherpad $VERSION installed in $dest"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
