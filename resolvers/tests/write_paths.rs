//! One write path per feature (issue 14): customers and their addresses
//! are built as rows only in `directory/customers/write.rs` (which
//! `createCustomer`, `updateCustomer`, portal sign-up, the demo data and the
//! customer import all call), and new staff users only in
//! `staff/users/write.rs` (`addUsers`, SCIM and the user import), apart
//! from the account's first users at setup. A second copy of either path
//! fails this test.

mod common;

/// Lines of the project's sources that build a row of one of `literals`
/// outside the files allowed to (paths relative to the workspace).
fn rows_built_outside(literals: &[&str], allowed: &[&str]) -> Vec<String> {
    let root = common::root();
    let mut found = Vec::new();
    for file in common::server_sources() {
        let relative = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if allowed.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            for literal in literals {
                let hit = common::names(line, literal);
                if hit {
                    found.push(format!("{relative}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn customers_are_written_by_one_path() {
    let found = rows_built_outside(
        &["customer::ActiveModel {", "customer_email::ActiveModel {"],
        &["resolvers/src/directory/customers/write.rs"],
    );
    assert!(
        found.is_empty(),
        "customer rows built outside directory/customers/write.rs (use write::insert_one, \
         insert_many or update):\n{}",
        found.join("\n")
    );
}

#[test]
fn new_users_are_written_by_one_path() {
    let found = rows_built_outside(
        &["user::ActiveModel {", "user::Model {"],
        &[
            "resolvers/src/staff/users/write.rs",
            // The account's first super admin and the demo's staff.
            "resolvers/src/setup/",
        ],
    );
    assert!(
        found.is_empty(),
        "user rows built outside staff/users/write.rs (use write::place and write::insert):\n{}",
        found.join("\n")
    );
}
