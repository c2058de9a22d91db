#!/usr/bin/env bash
# Installs a released ristretto binary: the logic of the GitHub Action (`action.yml`), usable
# alone on any Linux or macOS machine with bash, curl and tar.
#
#   install.sh resolve        prints `version=X.Y.Z`, `target=TRIPLE` (empty when no release
#                             archive is built for this OS/arch) and `dir=` the folder to install
#                             into and cache: $RUNNER_TOOL_CACHE (else ~/.cache)/ristretto/
#                             <version>/<target, or os-arch>; for $GITHUB_OUTPUT
#   install.sh install DIR    installs DIR/bin/ristretto and prints `path=DIR/bin/ristretto`
#
# A release (built by .github/workflows/release.yml) holds, under BASE/download/v<version>/:
#   ristretto-<version>-<target>.tar.gz   a folder ristretto-<version>-<target>/ with the binary
#                                         `ristretto`, LICENSE, README.md and man/*.1
#   SHA256SUMS                            `<sha256>  <file>` for every archive (sha256sum's format)
# and BASE/latest/download/SHA256SUMS is the newest release's list (GitHub's latest redirect).
#
# `install` downloads the archive for this machine's target, refuses it unless its SHA-256 is the
# one SHA256SUMS lists, and checks that the binary runs and reports the version asked for. When
# the release has no archive for this OS/arch (or no SHA256SUMS at all), it builds that tag
# instead: `cargo install --locked --git GIT_URL --tag v<version> --root DIR ristretto`.
#
# Environment:
#   RISTRETTO_VERSION        `latest` (default) or a version: `1.2.3` or `v1.2.3`
#   RISTRETTO_DOWNLOAD_BASE  default https://github.com/ristretto-deploy/ristretto/releases
#                            (a local folder served over http stands in for it in the tests)
#   RISTRETTO_GIT_URL        default https://github.com/ristretto-deploy/ristretto
#   RISTRETTO_GITHUB_TOKEN   optional; sent as a bearer token, and only to https://github.com
#   RISTRETTO_TARGET         optional; the target triple to install instead of the detected one
#
# Messages go to stderr; stdout carries only the `key=value` lines above. Exit 0 on success,
# 1 when installing failed (nothing is left in DIR/bin then), 2 on a bad argument or version.
set -euo pipefail

BASE=${RISTRETTO_DOWNLOAD_BASE:-https://github.com/ristretto-deploy/ristretto/releases}
BASE=${BASE%/}
GIT_URL=${RISTRETTO_GIT_URL:-https://github.com/ristretto-deploy/ristretto}
TOKEN=${RISTRETTO_GITHUB_TOKEN:-}

# The targets release.yml builds; SHA256SUMS names are parsed against this list.
KNOWN_TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin)

say() { printf 'ristretto-install: %s\n' "$*" >&2; }
fail() { say "error: $1"; [ -n "${2:-}" ] && say "hint: $2"; exit "${3:-1}"; }

usage() {
  fail "usage: install.sh resolve | install.sh install DIR" \
    "see the comment at the top of action/install.sh" 2
}

# The target triple of this machine's release archive, or nothing when none is built for it.
detect_target() {
  if [ -n "${RISTRETTO_TARGET:-}" ]; then
    printf '%s\n' "$RISTRETTO_TARGET"
    return
  fi
  local os arch
  os=$(uname -s)
  arch=$(uname -m)
  case "$os/$arch" in
    Linux/x86_64 | Linux/amd64) echo x86_64-unknown-linux-gnu ;;
    Linux/aarch64 | Linux/arm64) echo aarch64-unknown-linux-gnu ;;
    Darwin/x86_64) echo x86_64-apple-darwin ;;
    Darwin/arm64 | Darwin/aarch64) echo aarch64-apple-darwin ;;
    *) echo "" ;;
  esac
}

platform() { printf '%s/%s' "$(uname -s)" "$(uname -m)"; }

# fetch URL FILE: downloads URL into FILE; prints the HTTP status (000 when there was no answer)
# and fails unless the download succeeded, leaving curl's message in FILE.err.
fetch() {
  local url=$1 file=$2
  local args=(--silent --show-error --fail --location --retry 3 --output "$file" --write-out '%{http_code}')
  # The token is for GitHub; never hand it to another host (a mirror in RISTRETTO_DOWNLOAD_BASE).
  # curl does not forward it when GitHub redirects the download to its storage host.
  if [ -n "$TOKEN" ] && [[ $url == https://github.com/* ]]; then
    args+=(--header "Authorization: Bearer $TOKEN")
  fi
  curl "${args[@]}" "$url" 2>"$file.err"
}

# What curl said about a failed fetch into FILE.
why() { tr '\n' ' ' <"$1.err" 2>/dev/null || true; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# The version from `ristretto-<version>-<known target>.tar.gz` names in a SHA256SUMS file.
version_in_sums() {
  local name target
  while read -r _ name; do
    name=${name#\*}
    for target in "${KNOWN_TARGETS[@]}"; do
      if [[ $name == ristretto-*-"$target".tar.gz ]]; then
        name=${name#ristretto-}
        printf '%s\n' "${name%-"$target".tar.gz}"
        return
      fi
    done
  done <"$1"
}

resolve_version() {
  local wanted=${RISTRETTO_VERSION:-latest}
  if [ "$wanted" = latest ]; then
    local url=$BASE/latest/download/SHA256SUMS sums status version
    sums=$(mktemp)
    if ! status=$(fetch "$url" "$sums"); then
      local message
      message=$(why "$sums")
      rm -f "$sums" "$sums.err"
      fail "cannot read the latest release's SHA256SUMS (HTTP $status): $url: $message" \
        "give a version (the action's \`version\` input, RISTRETTO_VERSION)"
    fi
    version=$(version_in_sums "$sums")
    rm -f "$sums" "$sums.err"
    [ -n "$version" ] || fail "$url names no ristretto-<version>-<target>.tar.gz archive" \
      "give a version (the action's \`version\` input, RISTRETTO_VERSION)"
    printf '%s\n' "$version"
    return
  fi
  local version=${wanted#v}
  if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
    fail "version \`$wanted\` is neither \`latest\` nor a version such as 1.2.3" "" 2
  fi
  printf '%s\n' "$version"
}

# Builds the release's tag with cargo: the way in when no archive fits this machine.
build_from_source() {
  local version=$1 dir=$2 why=$3
  if ! command -v cargo >/dev/null 2>&1; then
    fail "$why, and \`cargo\` is not on PATH to build v$version instead" \
      "install a Rust toolchain first (rustup, or dtolnay/rust-toolchain in a workflow)"
  fi
  say "$why: building v$version from source with cargo install (this takes several minutes)"
  cargo install --locked --git "$GIT_URL" --tag "v$version" --root "$dir" ristretto >&2 ||
    fail "cargo install of v$version from $GIT_URL failed"
}

install() {
  local dir=$1
  local version target
  version=$(resolve_version)
  target=$(detect_target)
  local work
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: `work` is local
  trap "rm -rf '$work'" EXIT

  local release=$BASE/download/v$version status=''
  if [ -z "$target" ]; then
    build_from_source "$version" "$dir" "no release archive is built for $(platform)"
  elif ! status=$(fetch "$release/SHA256SUMS" "$work/SHA256SUMS"); then
    if [ "$status" = 404 ]; then
      build_from_source "$version" "$dir" "release v$version has no SHA256SUMS ($release)"
    else
      fail "cannot read $release/SHA256SUMS (HTTP $status): $(why "$work/SHA256SUMS")" \
        "check the network, or the version: is there a release v$version?"
    fi
  else
    local asset=ristretto-$version-$target.tar.gz expected
    expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1; exit }' "$work/SHA256SUMS")
    if [ -z "$expected" ]; then
      build_from_source "$version" "$dir" "release v$version has no $asset"
    else
      status=$(fetch "$release/$asset" "$work/$asset") ||
        fail "cannot download $release/$asset (HTTP $status), which SHA256SUMS lists: $(why "$work/$asset")"
      local actual
      actual=$(sha256_of "$work/$asset")
      if [ "$actual" != "$expected" ]; then
        fail "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; nothing was installed" \
          "download again; if it persists, the release or the connection has been tampered with"
      fi
      say "$asset: sha256 $actual matches SHA256SUMS"
      tar -xzf "$work/$asset" -C "$work" || fail "cannot unpack $asset"
      local binary=$work/ristretto-$version-$target/ristretto
      [ -f "$binary" ] || fail "$asset holds no ristretto-$version-$target/ristretto"
      mkdir -p "$dir/bin"
      cp "$binary" "$dir/bin/ristretto.partial"
      chmod 755 "$dir/bin/ristretto.partial"
      mv "$dir/bin/ristretto.partial" "$dir/bin/ristretto"
    fi
  fi

  local installed=$dir/bin/ristretto reported
  if ! reported=$("$installed" version 2>&1); then
    rm -f "$installed"
    fail "the installed $installed does not run on $(platform): $reported"
  fi
  if [ "$reported" != "ristretto $version" ]; then
    rm -f "$installed"
    fail "the installed binary reports \`$reported\`, not \`ristretto $version\`"
  fi
  say "installed $reported at $installed"
  printf 'path=%s\n' "$installed"
}

case "${1:-}" in
  resolve)
    [ $# -eq 1 ] || usage
    version=$(resolve_version)
    target=$(detect_target)
    slug=${target:-$(platform | tr '/[:upper:]' '-[:lower:]')}
    printf 'version=%s\ntarget=%s\ndir=%s\n' "$version" "$target" \
      "${RUNNER_TOOL_CACHE:-${HOME:-/tmp}/.cache}/ristretto/$version/$slug"
    ;;
  install)
    if [ $# -ne 2 ] || [ -z "$2" ]; then usage; fi
    install "$2"
    ;;
  *) usage ;;
esac
