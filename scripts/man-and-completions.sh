#!/usr/bin/env bash
# Writes what packages ship beside the binary, from the built binary itself (no network):
#   DIR/man/ristretto.1, DIR/man/ristretto-<command>.1, …   (`ristretto generate-man`)
#   DIR/completions/ristretto.bash, _ristretto, ristretto.fish   (`ristretto completions`)
# Used by .ci/steps/deb.sh (for cargo-deb's assets) and .github/workflows/release.yml.
# Usage: scripts/man-and-completions.sh BINARY DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BINARY DIR" >&2; exit 2; }
binary=$1
dir=$2
rm -rf "$dir/man" "$dir/completions"
"$binary" generate-man "$dir/man"
mkdir -p "$dir/completions"
"$binary" completions bash >"$dir/completions/ristretto.bash"
"$binary" completions zsh >"$dir/completions/_ristretto"
"$binary" completions fish >"$dir/completions/ristretto.fish"
