#!/usr/bin/env bash
# Install the Debian packages procflow needs where they are missing (graphviz's `dot`,
# Python's venv module); say exactly what to run where this is not possible.
set -euo pipefail
python=${PYTHON:-python3}
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
"$python" -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
for extra in "$@"; do
  case "$extra" in
    chromium) command -v chromium >/dev/null 2>&1 || need+=(chromium) ;;
    java) command -v java >/dev/null 2>&1 || need+=(default-jre-headless) ;;
  esac
done
((${#need[@]})) || exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "procflow: installing Debian packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "procflow: installing Debian packages: ${need[*]}" >&2
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "procflow: missing system packages: ${need[*]}" >&2
  echo "  install them with:  sudo apt-get install ${need[*]}" >&2
  case " ${need[*]} " in *" python3-venv "*) exit 1 ;; esac
  echo "  (continuing: features that need them will say so)" >&2
fi
