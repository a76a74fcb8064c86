use std::path::{Path, PathBuf};

use super::*;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("s3conn-resolve-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[cfg(feature = "cloudtrail")]
#[test]
fn a_registered_id_resolves_to_the_built_in_source() {
    let source = resolve("aws-cloudtrail", Path::new("/nonexistent")).expect("registered id");
    assert_eq!(source.info().id, "aws-cloudtrail");
}

#[cfg(feature = "cloudtrail")]
#[test]
fn the_underscore_alias_resolves_to_the_same_source() {
    let source = resolve("aws_cloudtrail", Path::new("/nonexistent")).expect("alias");
    assert_eq!(source.info().id, "aws-cloudtrail");
}

#[test]
fn a_relative_spec_path_is_taken_against_the_base_dir() {
    let source = resolve("specs/teleport.toml", crate_dir()).expect("relative spec");
    assert_eq!(source.info().id, "teleport-spec");
    let source = resolve("teleport.toml", &crate_dir().join("specs")).expect("spec beside");
    assert_eq!(source.info().id, "teleport-spec");
}

#[test]
fn an_absolute_spec_path_ignores_the_base_dir() {
    let path = crate_dir().join("specs/teleport.toml");
    let name = path.to_str().expect("UTF-8 path");
    let source = resolve(name, Path::new("/nonexistent")).expect("absolute spec");
    assert_eq!(source.info().id, "teleport-spec");
}

#[test]
fn an_existing_file_without_a_spec_extension_is_read_as_a_spec() {
    let dir = scratch("no-extension");
    let spec = std::fs::read_to_string(crate_dir().join("specs/teleport.toml")).expect("spec");
    std::fs::write(dir.join("acme-spec"), spec).expect("write spec");
    let source = resolve("acme-spec", &dir).expect("spec without extension");
    assert_eq!(source.info().id, "teleport-spec");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_registered_id_wins_over_a_file_of_the_same_name() {
    let mut registry = SourceRegistry::new();
    let spec = crate_dir().join("specs/teleport.toml");
    let source = DeclarativeSource::from_path(&spec).expect("spec");
    registry.register(Arc::new(source)).expect("register");
    let dir = scratch("id-wins");
    std::fs::write(dir.join("teleport-spec"), "not a spec").expect("write");
    let found = resolve_in(&registry, "teleport_spec", &dir).expect("alias of a custom id");
    assert_eq!(found.info().id, "teleport-spec");
    let found = resolve_in(&registry, "teleport-spec", &dir).expect("custom id");
    assert_eq!(found.info().id, "teleport-spec");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_name_says_what_was_tried_and_lists_the_known_ids() {
    let base = Path::new("/etc/s3conn");
    let err = resolve("acme_audit", base).expect_err("unknown name");
    let ResolveError::Unknown {
        name,
        ids,
        spec_path,
        known,
    } = &err
    else {
        panic!("expected Unknown, got {err:?}");
    };
    assert_eq!(name, "acme_audit");
    assert_eq!(ids, &["acme_audit", "acme-audit"]);
    assert_eq!(spec_path, &base.join("acme_audit"));
    assert_eq!(known, &crate::builtin_registry().ids());
    let msg = err.to_string();
    assert!(msg.contains("'acme_audit'"), "{msg}");
    assert!(msg.contains("'acme-audit'"), "{msg}");
    assert!(msg.contains("/etc/s3conn/acme_audit"), "{msg}");
    assert!(msg.contains("known ids: "), "{msg}");
    for id in known {
        assert!(msg.contains(id.as_str()), "{msg} lists {id}");
    }
    #[cfg(feature = "cloudtrail")]
    assert!(msg.contains("aws-cloudtrail"), "{msg}");
}

#[test]
fn an_unknown_name_without_underscores_tries_one_id() {
    let err = resolve("acme", Path::new("/nonexistent")).expect_err("unknown");
    let msg = err.to_string();
    assert!(
        msg.starts_with("unknown log source 'acme': tried the registered id 'acme' and a spec file at /nonexistent/acme"),
        "{msg}"
    );
}

#[test]
fn a_missing_spec_file_names_its_resolved_path() {
    let dir = scratch("missing");
    let err = resolve("acme.toml", &dir).expect_err("missing spec");
    let ResolveError::Spec { path, source, .. } = &err else {
        panic!("expected Spec, got {err:?}");
    };
    assert_eq!(path, &dir.join("acme.toml"));
    assert!(matches!(**source, SpecError::Io { .. }), "{source:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&dir.join("acme.toml").display().to_string()),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_invalid_spec_file_names_the_file_and_the_field() {
    let dir = scratch("invalid");
    std::fs::write(
        dir.join("bad.toml"),
        "id = \"BAD ID\"\ndisplay_name = \"x\"\nindex = \"Syslog\"\nmsg_class = \"m\"\nvendor = \"v\"\n[timestamp]\nfields = [\"ts\"]\n",
    )
    .expect("write spec");
    let err = resolve("bad.toml", &dir).expect_err("invalid spec");
    assert!(
        matches!(&err, ResolveError::Spec { source, .. } if matches!(&**source, SpecError::Invalid { field, .. } if field == "id")),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("bad.toml"), "{msg}");
    assert!(msg.contains("field `id`"), "{msg}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_name_is_an_error_listing_the_known_ids() {
    let err = resolve("  ", crate_dir()).expect_err("empty name");
    assert!(matches!(err, ResolveError::Empty { .. }), "{err:?}");
    assert!(err.to_string().contains("known ids: "), "{err}");
}
