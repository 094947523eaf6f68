//! What the source-scanning tests share: the project's Rust sources.

use std::path::{Path, PathBuf};

/// The workspace's root directory.
pub fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Every `.rs` file of the crates that run in the server (resolvers,
/// schema, web).
pub fn server_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["resolvers/src", "schema/src", "web/src"] {
        sources(&root().join(dir), &mut files);
    }
    assert!(files.len() > 50, "{} source files", files.len());
    files
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `line` holds `pattern` as a path of its own: `customer::Entity`
/// but not `group_customer::Entity`.
pub fn names(line: &str, pattern: &str) -> bool {
    line.match_indices(pattern).any(|(at, _)| {
        at == 0 || !line[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}
