#!/usr/bin/env bash
# Installs Mesa's lavapipe (Vulkan on the CPU) so Dawn has an adapter on a machine without a GPU.
# Debian bookworm's own Mesa 22 is rejected by Dawn; the 25.x build from bookworm-backports works.
# The backports source is derived from the machine's own bookworm entry (its URI and keyring), so
# it works behind whatever mirror or proxy the machine already uses.
# Idempotent: does nothing when a new-enough lavapipe is already installed, and adds no second
# backports entry when one exists.
#
#   --print-source   print the backports source this machine would get, change nothing
#                    (HEED_APT_ETC, default /etc/apt, points at another apt configuration: tests)
set -euo pipefail
APT_ETC="${HEED_APT_ETC:-/etc/apt}"

# Enabled source files: sources.list and sources.list.d/*.list|*.sources (apt ignores other names).
source_files() {
  local f
  for f in "$APT_ETC/sources.list" "$APT_ETC"/sources.list.d/*.list "$APT_ETC"/sources.list.d/*.sources; do
    [ -f "$f" ] && echo "$f"
  done
  return 0
}

# Prints the URI of the first enabled deb entry for suite $1 on one line, then its keyring (a
# path, fingerprints, or an inline key with its continuation lines; nothing when the entry has
# none). deb822 (.sources): stanzas split by blank lines; one-line (.list): deb [opts] URI suite.
find_entry() {
  local suite="$1" f out
  while read -r f; do
    case "$f" in
      *.sources)
        out="$(awk -v want="$suite" '
          function flush() {
            if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no" && (" " suites " ") ~ (" " want " ") && uri != "") { print uri; if (key != "") print key; found = 1; exit }
            types = ""; suites = ""; uri = ""; key = ""; enabled = ""; last = ""
          }
          /^#/ { next }
          /^[ \t]*$/ { flush(); next }
          /^[ \t]/ { if (last == "signed-by") key = key "\n" $0; next }
          { line = $0; sub(/^[^:]*:[ \t]*/, "", line); sub(/[ \t]+$/, "", line); last = tolower($1); sub(/:.*/, "", last)
            if (last == "types") types = line
            else if (last == "suites") suites = line
            else if (last == "uris") { split(line, u, /[ \t]+/); uri = u[1] }
            else if (last == "signed-by") key = line
            else if (last == "enabled") enabled = tolower(line) }
          END { if (!found) flush() }' "$f")"
        ;;
      *)
        out="$(awk -v want="$suite" '
          /^[ \t]*deb[ \t]/ {
            line = $0; sub(/#.*/, "", line); key = ""
            if (match(line, /\[[^]]*\]/)) {
              opts = substr(line, RSTART + 1, RLENGTH - 2); line = substr(line, 1, RSTART - 1) " " substr(line, RSTART + RLENGTH)
              n = split(opts, o, /[ \t]+/)
              for (i = 1; i <= n; i++) if (o[i] ~ /^signed-by=/) { key = o[i]; sub(/^signed-by=/, "", key) }
            }
            n = split(line, w, /[ \t]+/); k = 0
            for (i = 1; i <= n; i++) if (w[i] != "") v[++k] = w[i]
            if (k >= 3 && v[3] == want) { print v[2]; if (key != "") print key; exit }
          }' "$f")"
        ;;
    esac
    if [ -n "$out" ]; then printf '%s\n' "$out"; return 0; fi
  done < <(source_files)
  return 0
}

# Whether an enabled deb entry for suite $1 exists already.
has_suite() { [ -n "$(find_entry "$1")" ]; }

backports_source() {
  local entry uri key
  entry="$(find_entry bookworm)"
  if [ -z "$entry" ]; then
    echo "setup-lavapipe: no enabled 'deb' entry for suite bookworm in $APT_ETC/sources.list or $APT_ETC/sources.list.d/ to derive bookworm-backports from; add the backports source by hand" >&2
    return 1
  fi
  uri="$(printf '%s\n' "$entry" | head -n 1)"
  key="$(printf '%s\n' "$entry" | tail -n +2)"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\n' "$uri"
  if [ -n "$key" ]; then printf 'Signed-By: %s\n' "$key"; fi
}

if [ "${1:-}" = --print-source ]; then
  if has_suite bookworm-backports; then echo "# bookworm-backports is already configured"; exit 0; fi
  backports_source
  exit
fi
if [ $# -gt 0 ]; then echo "setup-lavapipe: unknown argument $1 (only --print-source)" >&2; exit 2; fi

have() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -qE '^(2[4-9]|[3-9][0-9])\.'; }
if have; then echo "lavapipe: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) already installed"; exit 0; fi
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = bookworm ] && ! has_suite bookworm-backports; then
  src="$(backports_source)"
  # atomic: write beside, then rename (apt never sees a half-written file)
  printf '%s\n' "$src" | $SUDO tee "$APT_ETC/sources.list.d/.bookworm-backports.sources.tmp" >/dev/null
  $SUDO mv "$APT_ETC/sources.list.d/.bookworm-backports.sources.tmp" "$APT_ETC/sources.list.d/bookworm-backports.sources"
  echo "lavapipe: added bookworm-backports from $(printf '%s\n' "$src" | sed -n 's/^URIs: //p')"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
  $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
else
  $SUDO apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
fi
have || { echo "lavapipe: installed Mesa is $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers); Dawn needs 24 or newer" >&2; exit 1; }
echo "lavapipe: installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
