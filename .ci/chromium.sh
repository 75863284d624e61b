#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright). Install it
# when it is missing and we may (root with apt); otherwise those tests skip saying why, or fail
# under CI (DESKBOT_REQUIRE_BROWSER=1).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: installing Debian's chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
true
