//! Declarative CLI cases (trycmd, as str4d/rage `rage/tests/cmd/`): each `tests/cmd/*.toml` runs
//! one `coi` command that needs no home and pins its whole stdout, stderr and exit status.
//!
//! The `verify` cases run in `schema/vectors/` on the committed test vectors; every case runs with
//! an empty environment (`env.inherit = false`), so no `COI_HOME` or terminal setting reaches the
//! output. After a deliberate change of output, rewrite the expectations with
//! `TRYCMD=overwrite cargo test --test cmd` and review the diff.

mod support;

use std::path::Path;

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .register_bin("coi", Path::new(support::cli::COI))
        .case("tests/cmd/*.toml");
}

/// trycmd normalises `\` to `/` in the output it compares (for Windows paths), so a case whose
/// output holds a backslash is compared here byte for byte as well, from the same expected file.
#[test]
fn output_with_backslashes_is_pinned_byte_for_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected = std::fs::read(root.join("tests/cmd/verify-non-canonical.stdout")).unwrap();
    assert!(expected.contains(&b'\\'), "the case still needs this test");
    let o = std::process::Command::new(support::cli::COI)
        .args(["verify", "non-canonical-key-order.ledger"])
        .current_dir(root.join("schema/vectors"))
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&expected)
    );
    assert!(o.stderr.is_empty());
}
