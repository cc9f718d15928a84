#!/usr/bin/env bash
# Find a Chromium for the browser tests, or install one; `make test` runs it before pytest.
#
# Prints the browser to use (empty: Playwright's own build) and exits 0, trying in turn:
#   1. CHROMIUM_PATH, when set;
#   2. `chromium` (Debian's) or `chromium-browser` on the PATH;
#   3. Playwright's own build, when it is already downloaded;
#   4. Debian's package, when apt-get is there and we are root (`apt-get install chromium`);
#   5. Playwright's download (`playwright install chromium`).
# When none works (no root, the download blocked, ...) it prints one line saying what to
# install and exits 1. Progress goes to stderr; stdout carries only the browser's path.
# PLAYWRIGHT names the playwright command (default: the project's .venv).
set -uo pipefail

here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
playwright="${PLAYWRIGHT:-$here/../../.venv/bin/playwright}"

if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ -x "$CHROMIUM_PATH" ]; then
    echo "$CHROMIUM_PATH"
    exit 0
  fi
  echo "make test: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file: point it at a Chromium binary, or unset it." >&2
  exit 1
fi

system_chromium() {
  local name
  for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

# Playwright's build is there when every folder its dry run names holds a finished install.
playwright_build_present() {
  local line dir found=1
  [ -x "$playwright" ] || return 1
  while IFS= read -r line; do
    case "$line" in
      *"Install location:"*)
        dir="${line#*Install location:}"
        dir="${dir#"${dir%%[![:space:]]*}"}"
        [ -f "$dir/INSTALLATION_COMPLETE" ] || return 1
        found=0
        ;;
    esac
  done < <("$playwright" install --dry-run chromium 2>/dev/null)
  return "$found"
}

if system_chromium; then
  exit 0
fi
if playwright_build_present; then
  echo ""
  exit 0
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u 2>/dev/null)" = "0" ]; then
  echo "make test: no Chromium found; installing Debian's (apt-get install chromium)..." >&2
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2; }; then
    if system_chromium; then
      exit 0
    fi
  fi
  echo "make test: apt-get could not install chromium; trying Playwright's download." >&2
fi

if [ -x "$playwright" ]; then
  echo "make test: downloading Playwright's Chromium (playwright install chromium)..." >&2
  if "$playwright" install chromium >&2; then
    echo ""
    exit 0
  fi
fi

echo "make test: no Chromium for the browser tests, and none could be installed here: install Debian's (as root: apt-get install chromium), or run .venv/bin/playwright install chromium where downloads work, or set CHROMIUM_PATH to a Chromium binary." >&2
exit 1
