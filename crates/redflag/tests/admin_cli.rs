//! `redflag tokens` and `redflag users` through the built binary: tokens are created (the secret
//! printed once, only its hash stored), listed, revoked; users are added, listed, disabled and
//! re-passworded; bad input exits 2 with a clear message; every change is in the hash-chained audit
//! log under the actor `cli:<OS user>`, which `redflag audit verify` proves intact, and no secret or
//! password ever reaches it.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn redflag(data: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redflag"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("USER", "tester")
        .env_remove("REDFLAG_DATABASE_URL")
        .env_remove("REDFLAG_DATA_DIR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(run: Run) -> Run {
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    run
}

/// Replaces RFC 3339 UTC times (`2026-11-26T10:00:00Z`, fixed width in the store) with `[time]`.
fn redact_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let looks_like_time = bytes.len() >= i + 20
            && bytes[i..i + 4].iter().all(u8::is_ascii_digit)
            && bytes[i + 4] == b'-'
            && bytes[i + 10] == b'T'
            && bytes[i + 13] == b':';
        if looks_like_time {
            let mut end = i + 19;
            while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
                end += 1;
            }
            if end < bytes.len() && bytes[end] == b'Z' {
                out.push_str("[time]");
                i = end + 1;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[test]
fn tokens_are_created_listed_and_revoked_with_audit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    let created = ok(redflag(
        data,
        &[
            "tokens",
            "create",
            "--name",
            "ats-hook",
            "--scope",
            "read,screen",
            "--expires",
            "30",
            "--format",
            "json",
        ],
        None,
    ));
    let created: serde_json::Value = serde_json::from_str(&created.stdout).unwrap();
    let secret = created["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("rf_") && secret.len() == 46, "{secret}");
    assert_eq!(created["scopes"], serde_json::json!(["read", "screen"]));
    assert!(created["expires_at"].is_string());

    // Plain output: the secret alone on stdout, the explanation on stderr.
    let second = ok(redflag(
        data,
        &["tokens", "create", "--name", "loader", "--scope", "ingest"],
        None,
    ));
    let second_secret = second.stdout.trim().to_string();
    assert!(second_secret.starts_with("rf_"), "{}", second.stdout);
    assert!(second.stderr.contains("shown once"), "{}", second.stderr);

    // Bad input exits 2 and names the problem.
    for (args, expect) in [
        (
            vec!["tokens", "create", "--name", "x", "--scope", "read,root"],
            "\"root\": not a scope",
        ),
        (
            vec![
                "tokens",
                "create",
                "--name",
                "x",
                "--scope",
                "read",
                "--expires",
                "0",
            ],
            "--expires",
        ),
        (vec!["tokens", "revoke", "99"], "revoking token 99"),
    ] {
        let run = redflag(data, &args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expect), "{args:?}: {}", run.stderr);
    }

    ok(redflag(data, &["tokens", "revoke", "2"], None));
    let again = redflag(data, &["tokens", "revoke", "2"], None);
    assert_eq!(again.code, 2, "a revoked token cannot be revoked again");

    let list = ok(redflag(data, &["tokens", "list"], None));
    assert!(!list.stdout.contains(&secret) && !list.stdout.contains(&second_secret));
    insta::assert_snapshot!("tokens_list", redact_times(&list.stdout));

    // The store holds the first token live (by its hash) and the second revoked.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = redflag_store::Store::open_data_dir(data).await.unwrap();
        let live = store.token_by_secret(&secret).await.unwrap().unwrap();
        assert_eq!(live.created_by, "cli:tester");
        assert!(
            store
                .token_by_secret(&second_secret)
                .await
                .unwrap()
                .is_none()
        );
        store.close().await;
    });

    let audit = ok(redflag(data, &["audit", "show"], None));
    assert!(!audit.stdout.contains(&secret) && !audit.stdout.contains(&second_secret));
    let actions: Vec<(String, String)> = audit
        .stdout
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                r["actor"].as_str().unwrap().to_string(),
                r["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("cli:tester".to_string(), "token.create".to_string()),
            ("cli:tester".into(), "token.create".into()),
            ("cli:tester".into(), "token.revoke".into()),
        ]
    );
    let verify = ok(redflag(data, &["audit", "verify"], None));
    assert!(
        verify.stdout.contains("intact: 3 records"),
        "{}",
        verify.stdout
    );
}

#[test]
fn users_are_added_listed_disabled_and_repassworded_with_audit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let password = "correct horse battery staple";

    ok(redflag(
        data,
        &[
            "users",
            "add",
            "ana",
            "--role",
            "analyst",
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    ));
    ok(redflag(
        data,
        &[
            "users",
            "add",
            "rob",
            "--role",
            "read-only",
            "--password-stdin",
        ],
        Some("another long passphrase\n"),
    ));
    for (args, stdin, expect) in [
        (
            vec!["users", "add", "eve", "--role", "root", "--password-stdin"],
            "long enough password\n",
            "--role \"root\"",
        ),
        (
            vec!["users", "add", "eve", "--role", "admin", "--password-stdin"],
            "short\n",
            "12 to 1024 characters",
        ),
        (
            vec!["users", "add", "ana", "--role", "admin", "--password-stdin"],
            "long enough password\n",
            "exists already",
        ),
        (
            vec![
                "users",
                "add",
                "a'; DROP TABLE users;--",
                "--role",
                "admin",
                "--password-stdin",
            ],
            "long enough password\n",
            "letters, digits",
        ),
        (vec!["users", "disable", "nobody"], "", "no user nobody"),
        (
            vec!["users", "passwd", "nobody", "--password-stdin"],
            "long enough password\n",
            "no user nobody",
        ),
    ] {
        let run = redflag(data, &args, Some(stdin));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expect), "{args:?}: {}", run.stderr);
    }

    ok(redflag(data, &["users", "disable", "rob"], None));
    let new_password = "a brand new passphrase";
    ok(redflag(
        data,
        &["users", "passwd", "ana", "--password-stdin"],
        Some(&format!("{new_password}\n")),
    ));

    let list = ok(redflag(data, &["users", "list"], None));
    insta::assert_snapshot!("users_list", redact_times(&list.stdout));

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = redflag_store::Store::open_data_dir(data).await.unwrap();
        let (ana, hash) = store.user_with_hash("ana").await.unwrap().unwrap();
        assert_eq!(ana.role, "analyst");
        assert!(hash.starts_with("$argon2id$"));
        assert!(redflag_server::auth::verify_password(new_password, &hash));
        assert!(!redflag_server::auth::verify_password(password, &hash));
        let (rob, _) = store.user_with_hash("rob").await.unwrap().unwrap();
        assert!(rob.disabled);
        assert_eq!(rob.role, "read_only");
        store.close().await;
    });

    let audit = ok(redflag(data, &["audit", "show"], None));
    for secret in [password, new_password, "another long passphrase", "$argon2"] {
        assert!(!audit.stdout.contains(secret), "{secret} in the audit log");
    }
    let actions: Vec<String> = audit
        .stdout
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(r["actor"], "cli:tester");
            r["action"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        actions,
        ["user.create", "user.create", "user.disable", "user.passwd"]
    );
    let verify = ok(redflag(data, &["audit", "verify"], None));
    assert!(
        verify.stdout.contains("intact: 4 records"),
        "{}",
        verify.stdout
    );
}
