#!/usr/bin/env bash
# Installs what the browser tests need, and only what is missing: Debian's Chromium (for the runs panel's
# page tests in the unit suite and for the end-to-end suite) and the headers
# code-server's native modules build against, then code-server itself into a cache outside the
# repository (${E2E_CACHE:-$HOME/.cache/comfyui-runner-e2e}), so that a fresh clone on the same machine,
# as CI makes for every run, finds it already there. Safe to run again and from two processes at once.
# Why each step looks the way it does: ../shared/docs/vscode-testing.md ("Installing code-server").
set -euo pipefail

readonly CODE_SERVER_VERSION=4.100.3
# @vscode/ripgrep's install step downloads this file from GitHub unless it finds it in its cache folder.
readonly RIPGREP_CACHE=vscode-ripgrep-cache-1.15.11
readonly RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
readonly DEBIAN_PACKAGES=(chromium ripgrep libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev
  build-essential pkg-config python3)

cache="${E2E_CACHE:-$HOME/.cache/comfyui-runner-e2e}"
target="$cache/code-server-$CODE_SERVER_VERSION"

log() { printf 'e2e-setup: %s\n' "$*" >&2; }

install_debian_packages() {
  local missing=() pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != installed ]]; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then return; fi
  local sudo=()
  if ((EUID != 0)); then sudo=(sudo); fi
  log "installing Debian packages: ${missing[*]}"
  # Another process may hold the dpkg lock (unattended upgrades, a second checkout): wait for it.
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq)
  "${apt[@]}" update
  "${apt[@]}" install -y "${missing[@]}" >/dev/null
}

code_server_installed() {
  [[ -f "$target/.installed" ]] &&
    grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$target/node_modules/code-server/package.json" 2>/dev/null
}

install_code_server() {
  if [[ "$(uname -m)" != x86_64 ]]; then
    log "only x86_64 is provided for: @vscode/ripgrep would download another build of ripgrep"
    exit 1
  fi
  local work="$target.partial"
  rm -rf "$work"
  mkdir -p "$work/tmp/$RIPGREP_CACHE"
  tar -czf "$work/tmp/$RIPGREP_CACHE/$RIPGREP_ASSET" -C "$(dirname "$(command -v rg)")" rg
  printf '{ "private": true }\n' >"$work/package.json"
  log "installing code-server $CODE_SERVER_VERSION into $target (a few minutes)"
  (
    cd "$work"
    TMPDIR="$work/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
      npm install --no-audit --no-fund --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2
  )
  # code-server writes a default config and logs even for --version: keep them in the folder it removes.
  local version
  version="$(XDG_CONFIG_HOME="$work/tmp" XDG_DATA_HOME="$work/tmp" \
    "$work/node_modules/.bin/code-server" --version | tail -n 1)"
  if [[ "$version" != "$CODE_SERVER_VERSION "* ]]; then
    log "code-server --version printed '$version', expected $CODE_SERVER_VERSION"
    exit 1
  fi
  rm -rf "$work/tmp" "$target"
  touch "$work/.installed"
  mv "$work" "$target"
}

main() {
  install_debian_packages
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9
  if ! code_server_installed; then install_code_server; fi
  log "ready: $target/node_modules/.bin/code-server and /usr/bin/chromium"
}

main "$@"
