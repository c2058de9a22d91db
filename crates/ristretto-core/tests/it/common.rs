//! Helpers shared by the modules of this test binary: the repository's
//! shared fixtures (`tests/fixtures/` at the workspace root).

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `tests/fixtures/<folder>/<name>` at the repository's root: its path and text.
pub fn fixture(folder: &str, name: &str) -> (PathBuf, String) {
    let path = repo().join("tests/fixtures").join(folder).join(name);
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    (path, text)
}
