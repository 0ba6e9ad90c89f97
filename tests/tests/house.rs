//! The house rules, checked on every run so that they stay true: no Rust file over 500 lines, no
//! function over 80 lines, and no import circle between the server's modules (a module that
//! reaches another through a chain of `use crate::…`/`super::…` paths that comes back to it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mailferry_tests::mailferry_server::workspace_root;

const MAX_FILE_LINES: usize = 500;
const MAX_FN_LINES: usize = 80;
const ROOTS: [&str; 6] = [
    "server/src",
    "app/src",
    "frontend/src",
    "tests/src",
    "tests/tests",
    "tests/benches",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for root in ROOTS {
        rust_files(&workspace_root().join(root), &mut files);
    }
    files.sort();
    files
}

/// The name of the function a line opens (`pub(crate) async fn name(`…), if it opens one.
fn opens_fn(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    for prefix in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
    ] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("const ").unwrap_or(rest);
    let rest = rest.strip_prefix("async ").unwrap_or(rest);
    let name = rest.strip_prefix("fn ")?;
    let end = name.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    (!line.trim_end().ends_with(';')).then(|| &name[..end])
}

/// Functions longer than the limit: (lines, name). A function ends at the first line that is
/// its own indentation and a closing brace (the code is rustfmt-formatted).
fn long_functions(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut long = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = opens_fn(line) else { continue };
        // A declaration (a trait's fn over several lines) ends in `;` before any `{`.
        let signature_end = lines[i..]
            .iter()
            .map(|l| l.trim_end())
            .find(|l| l.ends_with('{') || l.ends_with(';'));
        if signature_end.is_some_and(|l| l.ends_with(';')) {
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
            let length = end + 2;
            if length > MAX_FN_LINES {
                long.push((length, name.to_string()));
            }
        }
    }
    long
}

#[test]
fn no_file_over_500_lines_and_no_function_over_80() {
    let mut problems = Vec::new();
    for path in all_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let shown = path.strip_prefix(workspace_root()).unwrap().display();
        let lines = text.lines().count();
        if lines > MAX_FILE_LINES {
            problems.push(format!("{shown}: {lines} lines"));
        }
        for (length, name) in long_functions(&text) {
            problems.push(format!("{shown}: fn {name} has {length} lines"));
        }
    }
    assert!(problems.is_empty(), "split these:\n{}", problems.join("\n"));
}

/// The server's modules by path (`engine::copy_folder`), each with its source text.
fn server_modules() -> BTreeMap<String, String> {
    let src = workspace_root().join("server/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter(|p| !p.ends_with("main.rs"))
        .map(|path| {
            let relative = path.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            (parts.join("::"), std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// `a::{b, c::d}` as `a::b`, `a::c::d`.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.trim().trim_end_matches("::").to_string()];
    };
    let head = &path[..open];
    let inner = &path[open + 1..path.rfind('}').unwrap_or(path.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(&format!("{head}{}", p.trim())))
        .collect()
}

/// Every path a module names: its `use` items (joined across lines) and inline `crate::` paths.
fn named_paths(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    for item in code.split(';') {
        let item = item.trim();
        let item = item.strip_prefix("pub(crate) ").unwrap_or(item);
        let item = item.strip_prefix("pub ").unwrap_or(item);
        if let Some(used) = item.lines().last().and_then(|_| item.strip_prefix("use ")) {
            paths.extend(expand(&used.split_whitespace().collect::<String>()));
        }
    }
    for (at, _) in code.match_indices("crate::") {
        let tail: String = code[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        paths.push(tail);
    }
    paths
}

/// The module a path lands in: the longest module prefix, followed through a parent's
/// `pub use child::Name` re-export.
fn resolve(path: &str, from: &str, modules: &BTreeMap<String, String>) -> Option<String> {
    let mut segments: Vec<String> = Vec::new();
    let mut rest = path.split("::").peekable();
    match rest.peek().copied() {
        Some("crate") => {
            rest.next();
        }
        Some("super" | "self") => {
            segments = from.split("::").map(String::from).collect();
            while let Some(step) = rest
                .peek()
                .copied()
                .filter(|s| *s == "super" || *s == "self")
            {
                if step == "super" {
                    segments.pop();
                }
                rest.next();
            }
        }
        _ => return None,
    }
    segments.extend(rest.map(String::from));
    let segments: Vec<String> = segments.into_iter().filter(|s| !s.is_empty()).collect();
    (0..=segments.len()).rev().find_map(|n| {
        let module = segments[..n].join("::");
        let text = modules.get(&module)?;
        let name = segments.get(n)?;
        let reexport = text.lines().find_map(|l| {
            let used = l.trim().strip_prefix("pub use ")?;
            expand(used.trim_end_matches(';'))
                .into_iter()
                .find(|p| p.rsplit("::").next() == Some(name.as_str()))
        });
        match reexport {
            Some(target) => resolve(&target, &module, modules),
            None => Some(module),
        }
    })
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if !done.insert(node.to_string()) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_import_circle_between_server_modules() {
    let modules = server_modules();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &modules {
        for path in named_paths(text) {
            if let Some(target) = resolve(&path, module, &modules)
                // A module's own items and its ancestors' declarations are no dependency.
                && target != *module
                && !module.starts_with(&format!("{target}::"))
                && !target.is_empty()
            {
                graph.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    assert!(graph.len() > 50, "the modules were read: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import circle: {}", cycle.join(" → "));
    }
}

#[test]
fn the_checks_see_what_they_look_for() {
    let long = format!("fn long() {{\n{}}}\n", "    x();\n".repeat(90));
    assert_eq!(long_functions(&long), vec![(92, "long".to_string())]);
    assert!(long_functions("pub(crate) async fn short() {\n}\n").is_empty());
    let declarations = format!(
        "trait T {{\n    async fn f(\n        &self,\n    ) -> u8;\n{}}}\nimpl X {{\n    fn h() {{\n    }}\n}}\n",
        "    fn g(&self);\n".repeat(90)
    );
    assert!(long_functions(&declarations).is_empty());
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    assert_eq!(
        expand("crate::db::{entity::{batch, mailbox}, claim}"),
        vec![
            "crate::db::entity::batch",
            "crate::db::entity::mailbox",
            "crate::db::claim"
        ]
    );
}
