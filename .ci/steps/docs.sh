#!/usr/bin/env bash
# The user guide in docs/: builds the mdBook and checks it against itself and the code —
# every internal link and anchor resolves and every page is reachable; every config key of
# ristretto-core's config.rs has its section in the configuration reference; every command and
# flag of `ristretto --help` has its page (docs/tools/check.py says how each is checked).
# External links are listed, never fetched. Installs mdBook itself: a fresh CI machine has only
# the Rust toolchain and Python.
set -euo pipefail
cd "$(dirname "$0")/../.."

MDBOOK_VERSION=0.5.4
root="${TMPDIR:-/tmp}/ristretto-ci-mdbook"
mdbook="$root/bin/mdbook"
if [ "$("$mdbook" --version 2>/dev/null)" != "mdbook v$MDBOOK_VERSION" ]; then
  # Only the HTML renderer and its search index: the default `serve` and `watch` features
  # (tokio, axum, notify) are not needed to build. About 3.7 CPU-minutes on this project's
  # 2-core machine.
  cargo install --locked --quiet mdbook --version "$MDBOOK_VERSION" \
    --no-default-features --features search --root "$root"
fi
"$mdbook" --version

rm -rf docs/book
"$mdbook" build docs
python3 docs/tools/check.py links docs/book docs/src .
python3 docs/tools/check.py config docs/src crates/ristretto-core/src/config.rs

# The binary `cargo test --workspace` built (same features: a plain `cargo build` resolves
# without dev-dependencies and would compile the SDK a second time).
cargo test --quiet --workspace --no-run
python3 docs/tools/check.py commands docs/src "${CARGO_TARGET_DIR:-target}/debug/ristretto"
echo "docs: the book builds, and its links, config keys and commands check out"
