//! Steps are named through the route definitions: outside `route.rs`, where the national
//! routes and their step keys (`route::steps`) are defined, no source file of the workspace
//! writes a step's key as a string. A renamed or retired step is then a compile error
//! wherever it is used, not a string that silently stops matching.

use permanence_domain::route::steps;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The string literals on a line of code (comments are left out: they may quote a step).
fn literals(line: &str) -> Vec<&str> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return vec![];
    }
    code.split('"').skip(1).step_by(2).collect()
}

#[test]
fn no_step_key_is_written_as_a_string_outside_the_definitions() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let definitions = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/route.rs");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).expect("the crates directory") {
        let src = krate.expect("an entry").path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 50, "the scan found the workspace's sources");
    let mut found = Vec::new();
    for file in files {
        if file.canonicalize().ok() == definitions.canonicalize().ok() {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (number, line) in text.lines().enumerate() {
            for literal in literals(line) {
                if steps::ALL.contains(&literal) {
                    found.push(format!("{}:{}: \"{literal}\"", file.display(), number + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "name these steps with permanence_domain::route::steps:\n{}",
        found.join("\n")
    );
}
