//! Embeds the repository's `rules/` directory (every `*.yaml` under a stage folder, plus
//! `not-automatable.yaml`) and `data/`, so the binary carries its built-in pack and works offline.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            println!("cargo:rerun-if-changed={}", path.display());
            let rel = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let rules = manifest.join("../../rules");
    let mut files = Vec::new();
    collect(&rules, &rules, &mut files);
    let mut code = String::from(
        "/// Rule files embedded from the repository's `rules/` directory: (path under rules/, text).\n",
    );
    code.push_str("pub(crate) static BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for (rel, path) in &files {
        let abs = fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            abs.to_string_lossy()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_default()).join("builtin_rules.rs");
    if let Err(e) = fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}
