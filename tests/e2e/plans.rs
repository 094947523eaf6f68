//! Every list a client can ask for is index-backed (issue 13): each
//! connection × sort key × direction × filter, on its first page, a page
//! after a cursor and a page read backward, is explained by the database
//! (`--audit-plans`) and none may sort or scan a whole account.
//!
//! On a test database of a few rows a planner prefers scans and sorts
//! anyway, so on PostgreSQL the database's `enable_seqscan` and
//! `enable_sort` are switched off: a sort or scan then remains only where
//! no index can serve. SQLite plans by its rules, not by row counts.

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::harness::*;

async fn server() -> TestServer {
    let db = bootstrapped().await;
    let conn = db.connect().await;
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        conn.execute_unprepared(
            "DO $$ BEGIN
               EXECUTE format('ALTER DATABASE %I SET enable_seqscan = off', current_database());
               EXECUTE format('ALTER DATABASE %I SET enable_sort = off', current_database());
             END $$",
        )
        .await
        .expect("planner switches");
    }
    conn.close().await.ok();
    TestServer::serve(
        db,
        &["--audit-plans", "--log", "warn,roster::plan_audit=info"],
    )
    .await
}

/// Runs `query` for its first page, the page after its first row, and its
/// last page read backward (`$page` takes the paging arguments).
async fn pages(client: &Client, list: &str, query: &str, variables: Value) -> usize {
    let forward = query.replace("$page", "first: 1");
    let res = client.gql(&forward, variables.clone()).await;
    let cursor = data(&res)[list]["pageInfo"]["endCursor"].clone();
    let mut runs = 1;
    if let Some(cursor) = cursor.as_str() {
        let after = query.replace("$page", &format!("first: 2, after: \"{cursor}\""));
        data(&client.gql(&after, variables.clone()).await);
        let before = query.replace("$page", &format!("last: 2, before: \"{cursor}\""));
        data(&client.gql(&before, variables.clone()).await);
        runs += 2;
    }
    let backward = query.replace("$page", "last: 2");
    data(&client.gql(&backward, variables).await);
    runs + 1
}

#[tokio::test]
async fn no_list_sorts_or_scans_a_whole_account() {
    let server = server().await;
    let admin = server.super_admin().await;

    // A little of everything, so that every list has a cursor to follow.
    let res = admin
        .gql(
            "mutation { s: createService(input: { name: \"Helpdesk\" }) { service { id } }
                        g: createGroup(input: { name: \"Berlin\" }) { group { id } }
                        p: createProduct(input: { name: \"Phones\", seats: 5 }) { product { id } } }",
            json!({}),
        )
        .await;
    let service = data(&res)["s"]["service"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = data(&res)["g"]["group"]["id"].as_str().unwrap().to_owned();
    let product = data(&res)["p"]["product"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut doc = String::from("mutation($s: ID!) {");
    for i in 0..3 {
        doc.push_str(&format!(
            " k{i}: createCompany(input: {{ name: \"Firm {i}\", serviceIds: [$s] }}) {{ company {{ id }} }}"
        ));
    }
    doc.push('}');
    let res = admin.gql(&doc, json!({ "s": service })).await;
    let company = data(&res)["k0"]["company"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut doc = String::from("mutation($s: ID!, $c: ID!) {");
    for i in 0..6 {
        doc.push_str(&format!(
            " c{i}: createCustomer(input: {{ firstName: \"Given{i}\", lastName: \"Family{i}\", email: \"p{i}@mail.test\", companyId: $c, services: [{{ serviceId: $s }}] }}) {{ customer {{ id }} userErrors {{ code }} }}"
        ));
    }
    doc.push('}');
    let res = admin.gql(&doc, json!({ "s": service, "c": company })).await;
    let customer = data(&res)["c0"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = admin
        .gql(
            "mutation($g: ID!, $p: ID!) { addUsers(input: { users: [
                 { firstName: \"Ann\", lastName: \"Lee\", email: \"ann@acme.test\" },
                 { firstName: \"Bob\", lastName: \"Ray\", email: \"bob@acme.test\" }],
               groupIds: [$g], productIds: [$p] }) { addedCount userErrors { message } } }",
            json!({ "g": group, "p": product }),
        )
        .await;
    assert_eq!(data(&res)["addUsers"]["addedCount"], 2, "{res}");
    let res = admin
        .gql(
            "mutation($s: ID!, $c: ID!) { a: createIncident(input: { title: \"Printer\", serviceId: $s, customerId: $c }) { userErrors { message } }
                                         b: createIncident(input: { title: \"Screen\", serviceId: $s, customerId: $c }) { userErrors { message } } }",
            json!({ "s": service, "c": customer }),
        )
        .await;
    data(&res);

    let page_info = "pageInfo { endCursor } nodes { __typename }";
    let mut runs = 0;
    for reverse in [false, true] {
        for sort in ["NAME", "EMAIL", "CREATED_AT", "UPDATED_AT", "ID"] {
            for filter in [
                json!({}),
                json!({ "keyword": "given" }),
                json!({ "keyword": "p1@mail" }),
                json!({ "companyId": company }),
                json!({ "portalAccess": "NO_ACCESS" }),
                json!({ "serviceId": service }),
            ] {
                let query = format!(
                    "query($f: CustomerFilter) {{ customers($page, filter: $f, sortKey: {sort}, reverse: {reverse}) {{ {page_info} }} }}"
                );
                runs += pages(&admin, "customers", &query, json!({ "f": filter })).await;
            }
        }
        for sort in ["EMAIL", "LAST_NAME", "CREATED_AT"] {
            for filter in [
                json!({}),
                json!({ "keyword": "ann" }),
                json!({ "roles": ["MEMBER"] }),
                json!({ "statuses": ["INVITED"] }),
                json!({ "groupId": group }),
                json!({ "productId": product }),
            ] {
                let query = format!(
                    "query($f: UserFilter) {{ users($page, filter: $f, sortKey: {sort}, reverse: {reverse}) {{ {page_info} }} }}"
                );
                runs += pages(&admin, "users", &query, json!({ "f": filter })).await;
            }
        }
        for (list, sorts, filters) in [
            (
                "companies",
                vec!["NAME", "CREATED_AT"],
                vec!["", "keyword: \"firm\""],
            ),
            (
                "services",
                vec!["NAME", "CREATED_AT"],
                vec!["", "keyword: \"help\""],
            ),
            (
                "contacts",
                vec!["NAME", "CREATED_AT"],
                vec!["", "keyword: \"ann\"", "isUser: true"],
            ),
            (
                "incidents",
                vec!["CREATED_AT", "UPDATED_AT"],
                vec![
                    "",
                    "filter: { keyword: \"print\" }",
                    "filter: { status: [OPEN] }",
                ],
            ),
        ] {
            for sort in sorts {
                for filter in &filters {
                    let query = format!(
                        "{{ {list}($page, {filter} sortKey: {sort}, reverse: {reverse}) {{ {page_info} }} }}"
                    );
                    runs += pages(&admin, list, &query, json!({})).await;
                }
            }
        }
        let query = format!("{{ activity($page, reverse: {reverse}) {{ {page_info} }} }}");
        runs += pages(&admin, "activity", &query, json!({})).await;
    }
    for (list, filter) in [
        ("contacts", format!("companyId: \"{company}\"")),
        (
            "incidents",
            format!("filter: {{ serviceId: \"{service}\" }}"),
        ),
        (
            "incidents",
            format!("filter: {{ customerId: \"{customer}\" }}"),
        ),
        ("invitations", String::new()),
        ("invitations", "filter: { statuses: [PENDING] }".into()),
        ("groups", String::new()),
        ("products", String::new()),
        ("denylist", String::new()),
        ("customFields", String::new()),
        ("customRoles", String::new()),
        ("settingsTemplates", String::new()),
        ("emailTemplates", String::new()),
        ("importJobs", String::new()),
    ] {
        let args = if filter.is_empty() {
            "$page".to_owned()
        } else {
            format!("$page, {filter}")
        };
        let query = format!("{{ {list}({args}) {{ {page_info} }} }}");
        runs += pages(&admin, list, &query, json!({})).await;
    }

    let log = server.log();
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("plan audit: bad plan"))
        .collect();
    let good = log.lines().filter(|l| l.contains("plan audit: ok")).count();
    println!("{runs} list reads; {good} plans fine, {} bad", bad.len());
    assert!(
        good + bad.len() >= runs,
        "the audit did not explain every list read ({good} + {} of {runs})",
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "plans that sort or scan a whole account:\n{}",
        bad.join("\n\n")
    );
    search_uses_its_indexes(&server, &admin).await;
}

/// Keyword searches of customers go through the search indexes. SQLite
/// plans by its rules; PostgreSQL by its statistics, so it gets realistic
/// row counts and its default planner settings first.
async fn search_uses_its_indexes(server: &TestServer, admin: &Client) {
    let conn = server.db.connect().await;
    let postgres = conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let args = ["--audit-plans", "--log", "warn,roster::plan_audit=info"];
    let searcher = if postgres {
        conn.execute_unprepared(
            "INSERT INTO customers (id, account_id, first_name, last_name, sort_name, email,
                 email_key, email_format, feedback_emails, portal_access, created_at, updated_at)
             SELECT gen_random_uuid(), u.account_id, 'Bulk' || n, 'Row', 'row bulk' || n,
                 'bulk' || n || '@bulk.test', 'bulk' || n || '@bulk.test', 'HTML', true,
                 'NO_ACCESS', now(), now()
               FROM generate_series(1, 30000) AS n,
                    (SELECT account_id FROM users LIMIT 1) AS u;
             INSERT INTO customer_emails (account_id, email_key, customer_id, email, is_primary, position)
             SELECT account_id, email_key, id, email, true, 0 FROM customers
              WHERE email_key LIKE 'bulk%';
             DO $$ BEGIN
               EXECUTE format('ALTER DATABASE %I RESET enable_seqscan', current_database());
               EXECUTE format('ALTER DATABASE %I RESET enable_sort', current_database());
             END $$",
        )
        .await
        .expect("realistic rows");
        // As after an import (`Kind::SETTLE`) or autovacuum: the search
        // indexes' pending entries merged, statistics fresh.
        conn.execute_unprepared("VACUUM (ANALYZE) customers, customer_emails, companies")
            .await
            .expect("vacuum");
        server.another_instance_with(&args).await
    } else {
        server.another_instance_with(&args).await
    };
    let res = searcher
        .with_token(admin.token.as_deref().expect("signed in"))
        .gql(
            "{ customers(first: 5, keyword: \"bulk1234\") { totalCount nodes { email } } }",
            json!({}),
        )
        .await;
    let expected = if postgres { 11 } else { 0 };
    assert_eq!(data(&res)["customers"]["totalCount"], expected, "{res}");
    let log = searcher.log();
    let searches: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("plan audit: ") && l.contains("customer_emails"))
        .collect();
    assert!(!searches.is_empty(), "{log}");
    let indexes = if postgres {
        // (The account's three companies are read whole, as they should.)
        ["idx_customers_name_search", "idx_customer_emails_search"]
    } else {
        [
            "customer_name_search VIRTUAL TABLE",
            "customer_email_search VIRTUAL TABLE",
        ]
    };
    for index in indexes {
        assert!(
            searches.iter().all(|l| l
                .split("plan=")
                .nth(1)
                .is_some_and(|plan| plan.contains(index))),
            "a keyword search without {index}:\n{}",
            searches.join("\n")
        );
    }
}
