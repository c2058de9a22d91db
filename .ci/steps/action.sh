#!/usr/bin/env bash
# Tests action/install.sh, the GitHub Action's installer, against a folder standing in for a
# GitHub release, served by python's http.server on 127.0.0.1 (no other network). `uname` and
# `cargo` are stubs on PATH: the tests choose the OS/arch, and the stub cargo records the
# `cargo install` the fallback runs instead of building anything.
# Each check is `CONDITIONS && ok NAME || bad NAME DETAILS` (ok always succeeds); single quotes
# hold literal backticks of the messages expected.
# shellcheck disable=SC2015,SC2016
set -euo pipefail
cd "$(dirname "$0")/../.."
install_sh=$PWD/action/install.sh

root=$(mktemp -d)
server_pid=''
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$root"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok      %s\n' "$1"; }
bad() {
  failed=$((failed + 1))
  printf 'FAILED  %s\n' "$1"
  printf '        %s\n' "${@:2}"
}

# A fake `ristretto` that reports version $1 (the installer runs `ristretto version`).
fake_binary() {
  printf '#!/bin/sh\n[ "$1" = version ] && echo "ristretto %s"\n' "$1" >"$2"
  chmod 755 "$2"
}

# A release v$1 holding archives for the targets given after it, and its SHA256SUMS.
make_release() {
  local version=$1 dir=$root/site/releases/download/v$1
  shift
  mkdir -p "$dir"
  local target stage
  for target in "$@"; do
    stage=$root/stage/ristretto-$version-$target
    mkdir -p "$stage"
    fake_binary "$version" "$stage/ristretto"
    tar -czf "$dir/ristretto-$version-$target.tar.gz" -C "$root/stage" "ristretto-$version-$target"
  done
  (cd "$dir" && sha256sum ./*.tar.gz | sed 's#  \./#  #' >SHA256SUMS)
}

make_release 1.2.3 x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin
make_release 1.3.0-rc.1 x86_64-unknown-linux-gnu aarch64-apple-darwin
mkdir -p "$root/site/releases/latest/download"
cp "$root/site/releases/download/v1.2.3/SHA256SUMS" "$root/site/releases/latest/download/"
# v1.1.0: an archive whose content differs from what SHA256SUMS lists.
make_release 1.1.0 x86_64-unknown-linux-gnu
echo tampered >>"$root/site/releases/download/v1.1.0/ristretto-1.1.0-x86_64-unknown-linux-gnu.tar.gz"
# v1.0.0: a release published before archives were (no SHA256SUMS).
mkdir -p "$root/site/releases/download/v1.0.0"

python3 -u -m http.server --bind 127.0.0.1 --directory "$root/site" 0 >"$root/server.log" 2>&1 &
server_pid=$!
port=''
for _ in $(seq 1 100); do
  port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$root/server.log" | head -n1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$root/server.log"; echo "http.server did not start"; exit 1; }
base=http://127.0.0.1:$port/releases

# Stubs: `uname` answers $STUB_OS / $STUB_ARCH; `cargo` appends its arguments to $root/cargo.calls
# and leaves a binary where `cargo install --root DIR` would.
mkdir -p "$root/stubs" "$root/stubs-no-cargo"
cat >"$root/stubs/uname" <<'STUB'
#!/bin/sh
case "$1" in -s) echo "$STUB_OS" ;; -m) echo "$STUB_ARCH" ;; *) exit 1 ;; esac
STUB
cat >"$root/stubs/cargo" <<STUB
#!/bin/sh
echo "\$*" >>"$root/cargo.calls"
dir=''
version=''
while [ \$# -gt 0 ]; do
  case "\$1" in --root) dir=\$2; shift ;; --tag) version=\${2#v}; shift ;; esac
  shift
done
mkdir -p "\$dir/bin"
printf '#!/bin/sh\necho "ristretto %s"\n' "\$version" >"\$dir/bin/ristretto"
chmod 755 "\$dir/bin/ristretto"
STUB
chmod 755 "$root/stubs/uname" "$root/stubs/cargo"
cp "$root/stubs/uname" "$root/stubs-no-cargo/uname"
# Every tool the installer needs, without cargo: for the runs that must find no cargo.
for tool in bash sh env curl tar gzip sha256sum awk cut tr mktemp rm mkdir cp chmod mv cat sed head; do
  ln -s "$(command -v "$tool")" "$root/stubs-no-cargo/$tool"
done

# run NAME OS ARCH [VAR=VALUE...] -- ARGS: runs the installer; sets $code, $out, $err.
run() {
  local os=$1 arch=$2
  shift 2
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  rm -f "$root/cargo.calls"
  code=0
  env -i HOME="$HOME" PATH="$root/stubs:$PATH" STUB_OS="$os" STUB_ARCH="$arch" \
    RISTRETTO_DOWNLOAD_BASE="$base" RISTRETTO_GIT_URL=https://example.invalid/ristretto \
    "${vars[@]}" bash "$install_sh" "$@" >"$root/out" 2>"$root/err" || code=$?
  out=$(cat "$root/out")
  err=$(cat "$root/err")
}
calls() { cat "$root/cargo.calls" 2>/dev/null || true; }

# --- resolve
run Linux x86_64 RISTRETTO_VERSION=v1.2.3 -- resolve
[ "$code" = 0 ] && [ "$out" = $'version=1.2.3\ntarget=x86_64-unknown-linux-gnu\ndir='"$HOME/.cache/ristretto/1.2.3/x86_64-unknown-linux-gnu" ] &&
  ok "resolve: a given version (leading v dropped), the Linux x86_64 target, a folder under ~/.cache" ||
  bad "resolve: a given version" "exit $code" "$out" "$err"

run Darwin arm64 RUNNER_TOOL_CACHE=/opt/hostedtoolcache -- resolve
[ "$code" = 0 ] && [ "$out" = $'version=1.2.3\ntarget=aarch64-apple-darwin\ndir=/opt/hostedtoolcache/ristretto/1.2.3/aarch64-apple-darwin' ] &&
  ok "resolve: latest is read from latest/download/SHA256SUMS; macOS arm64; the runner's tool cache" ||
  bad "resolve: latest" "exit $code" "$out" "$err"

run Linux x86_64 RISTRETTO_VERSION=1.2 -- resolve
[ "$code" = 2 ] && [[ $err == *'version `1.2` is neither `latest` nor a version such as 1.2.3'* ]] &&
  ok "resolve: a malformed version is refused (exit 2)" ||
  bad "resolve: a malformed version" "exit $code" "$err"

# --- install: good checksum
dest=$root/good
run Linux x86_64 RISTRETTO_VERSION=1.2.3 -- install "$dest"
[ "$code" = 0 ] && [ "$out" = "path=$dest/bin/ristretto" ] &&
  [ "$("$dest/bin/ristretto" version)" = "ristretto 1.2.3" ] &&
  [[ $err == *"matches SHA256SUMS"* ]] && [ -z "$(calls)" ] &&
  ok "install: the archive for Linux x86_64 is verified and installed; cargo is not run" ||
  bad "install: good checksum" "exit $code" "$out" "$err" "cargo: $(calls)"

dest=$root/arm
run Linux aarch64 -- install "$dest"
[ "$code" = 0 ] && [ "$("$dest/bin/ristretto" version)" = "ristretto 1.2.3" ] &&
  ok "install: latest on Linux aarch64" ||
  bad "install: latest on Linux aarch64" "exit $code" "$out" "$err"

dest=$root/rc
run Linux x86_64 RISTRETTO_VERSION=1.3.0-rc.1 -- install "$dest"
[ "$code" = 0 ] && [ "$("$dest/bin/ristretto" version)" = "ristretto 1.3.0-rc.1" ] &&
  ok "install: a pre-release version" ||
  bad "install: a pre-release version" "exit $code" "$out" "$err"

# --- install: bad checksum
dest=$root/tampered
run Linux x86_64 RISTRETTO_VERSION=1.1.0 -- install "$dest"
[ "$code" = 1 ] && [[ $err == *"checksum mismatch for ristretto-1.1.0-x86_64-unknown-linux-gnu.tar.gz"* ]] &&
  [ ! -e "$dest/bin/ristretto" ] && [ -z "$(calls)" ] && [ -z "$out" ] &&
  ok "install: an archive whose sha256 differs from SHA256SUMS is refused; nothing installed, no fallback" ||
  bad "install: bad checksum" "exit $code" "$out" "$err" "cargo: $(calls)"

# --- install: no asset for this machine -> cargo install
dest=$root/no-asset
run Darwin x86_64 RISTRETTO_VERSION=1.3.0-rc.1 -- install "$dest"
[ "$code" = 0 ] && [ "$(calls)" = "install --locked --git https://example.invalid/ristretto --tag v1.3.0-rc.1 --root $dest ristretto" ] &&
  [[ $err == *"release v1.3.0-rc.1 has no ristretto-1.3.0-rc.1-x86_64-apple-darwin.tar.gz"* ]] &&
  [ "$out" = "path=$dest/bin/ristretto" ] &&
  ok "install: a release without this target's archive falls back to cargo install --locked --git --tag" ||
  bad "install: missing asset" "exit $code" "$out" "$err" "cargo: $(calls)"

dest=$root/old
run Linux x86_64 RISTRETTO_VERSION=1.0.0 -- install "$dest"
[ "$code" = 0 ] && [ "$(calls)" = "install --locked --git https://example.invalid/ristretto --tag v1.0.0 --root $dest ristretto" ] &&
  ok "install: a release without SHA256SUMS falls back to cargo install" ||
  bad "install: release without SHA256SUMS" "exit $code" "$out" "$err" "cargo: $(calls)"

# --- unknown OS/arch
dest=$root/unknown
run FreeBSD riscv64 RISTRETTO_VERSION=1.2.3 -- install "$dest"
[ "$code" = 0 ] && [[ $err == *"no release archive is built for FreeBSD/riscv64"* ]] &&
  [ "$(calls)" = "install --locked --git https://example.invalid/ristretto --tag v1.2.3 --root $dest ristretto" ] &&
  ok "install: an unknown OS/arch builds from source" ||
  bad "install: unknown OS/arch" "exit $code" "$out" "$err" "cargo: $(calls)"

run Linux s390x RISTRETTO_VERSION=1.2.3 -- resolve
[ "$code" = 0 ] && [ "$out" = $'version=1.2.3\ntarget=\ndir='"$HOME/.cache/ristretto/1.2.3/linux-s390x" ] &&
  ok "resolve: an unknown arch has no target" ||
  bad "resolve: unknown arch" "exit $code" "$out" "$err"

dest=$root/no-cargo
code=0
env -i HOME="$HOME" PATH="$root/stubs-no-cargo" STUB_OS=Linux STUB_ARCH=s390x \
  RISTRETTO_DOWNLOAD_BASE="$base" RISTRETTO_VERSION=1.2.3 \
  bash "$install_sh" install "$dest" >"$root/out" 2>"$root/err" || code=$?
err=$(cat "$root/err")
[ "$code" = 1 ] && [[ $err == *'no release archive is built for Linux/s390x, and `cargo` is not on PATH'* ]] &&
  [[ $err == *"hint: install a Rust toolchain"* ]] && [ ! -e "$dest/bin/ristretto" ] &&
  ok "install: an unknown arch without cargo fails with a hint" ||
  bad "install: unknown arch without cargo" "exit $code" "$err"

# --- errors that are not 'no asset'
run Linux x86_64 RISTRETTO_VERSION=1.2.3 RISTRETTO_DOWNLOAD_BASE="http://127.0.0.1:$port/nothing-here" -- resolve
[ "$code" = 0 ] && ok "resolve: a given version needs no network" || bad "resolve offline" "exit $code" "$err"

run Linux x86_64 RISTRETTO_DOWNLOAD_BASE="http://127.0.0.1:$port/nothing-here" -- resolve
[ "$code" = 1 ] && [[ $err == *"cannot read the latest release's SHA256SUMS (HTTP 404)"* ]] &&
  [[ $err == *"hint: give a version"* ]] &&
  ok "resolve: latest without any release is an error with a hint" ||
  bad "resolve: latest without a release" "exit $code" "$err"

run Linux x86_64 -- install
[ "$code" = 2 ] && [[ $err == *"usage: install.sh resolve | install.sh install DIR"* ]] &&
  ok "install without DIR prints the usage (exit 2)" || bad "usage" "exit $code" "$err"

# The token goes to github.com only: a stub curl records its arguments.
cat >"$root/stubs/curl" <<STUB
#!/bin/sh
echo "\$*" >>"$root/curl.calls"
exit 22
STUB
chmod 755 "$root/stubs/curl"
rm -f "$root/curl.calls"
run Linux x86_64 RISTRETTO_GITHUB_TOKEN=sekrit RISTRETTO_DOWNLOAD_BASE=https://github.com/o/r/releases -- resolve
github_call=$(cat "$root/curl.calls")
rm -f "$root/curl.calls"
run Linux x86_64 RISTRETTO_GITHUB_TOKEN=sekrit RISTRETTO_DOWNLOAD_BASE=https://mirror.example.invalid/releases -- resolve
mirror_call=$(cat "$root/curl.calls")
rm -f "$root/stubs/curl"
[[ $github_call == *"Authorization: Bearer sekrit"*"https://github.com/o/r/releases/latest/download/SHA256SUMS"* ]] &&
  [[ $mirror_call != *sekrit* ]] && [[ $mirror_call == *mirror.example.invalid* ]] &&
  ok "the token is sent to github.com and to no other download base" ||
  bad "token" "github: $github_call" "mirror: $mirror_call"

printf '\naction/install.sh: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
