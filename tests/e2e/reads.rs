//! Fast reads (issue 13): exact lookups by email, sort keys with cursors in
//! both directions, keyword search semantics on the search indexes, batching
//! that depends on the query's shape only, and (on PostgreSQL) the plans
//! behind every customer list.

use serde_json::{json, Value};

use crate::harness::*;

/// Companies "Firm 0".."Firm {companies-1}" with one service each, and
/// `customers` customers spread over them (every 7th without a company),
/// each with an alias and access to their company's service.
async fn directory(client: &Client, companies: usize, customers: usize) -> Vec<String> {
    let res = client
        .gql(
            "mutation { createService(input: { name: \"Helpdesk\" }) { service { id } } }",
            json!({}),
        )
        .await;
    let service = data(&res)["createService"]["service"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut doc = String::from("mutation($s: ID!) {");
    for i in 0..companies {
        doc.push_str(&format!(
            " k{i}: createCompany(input: {{ name: \"Firm {i}\", serviceIds: [$s] }}) {{ company {{ id }} }}"
        ));
    }
    doc.push('}');
    let res = client.gql(&doc, json!({ "s": service })).await;
    let ids: Vec<String> = (0..companies)
        .map(|i| {
            data(&res)[format!("k{i}")]["company"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for chunk in (0..customers).collect::<Vec<_>>().chunks(50) {
        let mut doc = String::from("mutation($s: ID!) {");
        for &i in chunk {
            let company = if i % 7 == 0 {
                String::new()
            } else {
                format!(
                    "companyId: \"{}\", services: [{{ serviceId: $s }}],",
                    ids[i % companies]
                )
            };
            doc.push_str(&format!(
                " c{i}: createCustomer(input: {{ firstName: \"Given{i}\", lastName: \"Family{:03}\", email: \"person{i}@mail.test\", emailAliases: [\"alias{i}@other.test\"], {company} }}) {{ userErrors {{ field code message }} }}",
                (i * 37) % 1000
            ));
        }
        doc.push('}');
        let res = client.gql(&doc, json!({ "s": service })).await;
        for &i in chunk {
            assert_eq!(
                data(&res)[format!("c{i}")]["userErrors"],
                json!([]),
                "{res}"
            );
        }
    }
    ids
}

#[tokio::test]
async fn customers_and_users_are_found_by_email() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    directory(&admin, 3, 10).await;
    let lookup =
        "query($e: String!) { customerByEmail(email: $e) { email emailAliases company { name } } }";
    for (asked, expected) in [
        ("person3@mail.test", Some("person3@mail.test")),
        ("  PERSON3@Mail.Test ", Some("person3@mail.test")),
        ("alias4@other.test", Some("person4@mail.test")),
        ("ALIAS4@OTHER.TEST", Some("person4@mail.test")),
        ("person@mail.test", None),
        ("nobody@mail.test", None),
    ] {
        let res = admin.gql(lookup, json!({ "e": asked })).await;
        let found = &data(&res)["customerByEmail"];
        match expected {
            Some(email) => assert_eq!(found["email"], email, "{asked}: {res}"),
            None => assert!(found.is_null(), "{asked}: {res}"),
        }
    }
    let res = admin
        .gql(
            "query($e: String!) { userByEmail(email: $e) { email role } }",
            json!({ "e": ADMIN_EMAIL.to_uppercase() }),
        )
        .await;
    assert_eq!(data(&res)["userByEmail"]["email"], ADMIN_EMAIL);
    let res = admin
        .gql(
            "query { userByEmail(email: \"person3@mail.test\") { email } }",
            json!({}),
        )
        .await;
    assert!(data(&res)["userByEmail"].is_null(), "{res}");

    // Another account finds none of them, and anonymous callers are refused.
    let other = server.other_account().await;
    let res = other.gql(lookup, json!({ "e": "person3@mail.test" })).await;
    assert!(data(&res)["customerByEmail"].is_null(), "{res}");
    let res = other
        .gql(
            "query($e: String!) { userByEmail(email: $e) { email } }",
            json!({ "e": ADMIN_EMAIL }),
        )
        .await;
    assert!(data(&res)["userByEmail"].is_null(), "{res}");
    let res = server
        .anonymous()
        .gql(lookup, json!({ "e": "person3@mail.test" }))
        .await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
}

/// Every customer of a sort order, paged forward with `first`/`after`.
async fn walk(client: &Client, sort: &str, reverse: bool, size: i64) -> Vec<String> {
    let query = "query($sort: CustomerSortKey!, $reverse: Boolean!, $n: Int!, $after: String) {
        customers(first: $n, after: $after, sortKey: $sort, reverse: $reverse) {
          pageInfo { hasNextPage endCursor } nodes { email } } }";
    let mut after = Value::Null;
    let mut seen = Vec::new();
    loop {
        let res = client
            .gql(
                query,
                json!({ "sort": sort, "reverse": reverse, "n": size, "after": after }),
            )
            .await;
        let page = &data(&res)["customers"];
        for node in page["nodes"].as_array().unwrap() {
            seen.push(node["email"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return seen;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// The same order read backward with `last`/`before`.
async fn walk_back(client: &Client, sort: &str, reverse: bool, size: i64) -> Vec<String> {
    let query = "query($sort: CustomerSortKey!, $reverse: Boolean!, $n: Int!, $before: String) {
        customers(last: $n, before: $before, sortKey: $sort, reverse: $reverse) {
          pageInfo { hasPreviousPage startCursor } nodes { email } } }";
    let mut before = Value::Null;
    let mut seen = Vec::new();
    loop {
        let res = client
            .gql(
                query,
                json!({ "sort": sort, "reverse": reverse, "n": size, "before": before }),
            )
            .await;
        let page = &data(&res)["customers"];
        let mut chunk: Vec<String> = page["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["email"].as_str().unwrap().to_owned())
            .collect();
        chunk.append(&mut seen);
        seen = chunk;
        if page["pageInfo"]["hasPreviousPage"] != true {
            return seen;
        }
        before = page["pageInfo"]["startCursor"].clone();
    }
}

#[tokio::test]
async fn every_sort_key_pages_both_ways_with_cursors() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    directory(&admin, 4, 23).await;
    // Touch a few so that UPDATED_AT differs from CREATED_AT.
    for i in [5, 1, 17] {
        let res = admin
            .gql(
                "query($e: String!) { customerByEmail(email: $e) { id } }",
                json!({ "e": format!("person{i}@mail.test") }),
            )
            .await;
        let id = data(&res)["customerByEmail"]["id"].clone();
        let res = admin
            .gql(
                "mutation($id: ID!) { updateCustomer(input: { id: $id, jobTitle: \"Lead\" }) { userErrors { code } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data(&res)["updateCustomer"]["userErrors"], json!([]));
    }
    let created: Vec<String> = (0..23).map(|i| format!("person{i}@mail.test")).collect();
    let mut by_email = created.clone();
    by_email.sort();
    let mut by_name: Vec<(String, String)> = (0..23)
        .map(|i| {
            (
                format!("family{:03} given{i}", (i * 37) % 1000),
                format!("person{i}@mail.test"),
            )
        })
        .collect();
    by_name.sort();
    let by_name: Vec<String> = by_name.into_iter().map(|(_, e)| e).collect();
    let mut updated: Vec<String> = created
        .iter()
        .filter(|e| {
            ![
                "person5@mail.test",
                "person1@mail.test",
                "person17@mail.test",
            ]
            .contains(&e.as_str())
        })
        .cloned()
        .collect();
    updated.extend(
        [
            "person5@mail.test",
            "person1@mail.test",
            "person17@mail.test",
        ]
        .map(String::from),
    );

    for (sort, expected) in [
        ("NAME", &by_name),
        ("EMAIL", &by_email),
        ("CREATED_AT", &created),
        ("ID", &created),
        ("UPDATED_AT", &updated),
    ] {
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(&walk(&admin, sort, false, 5).await, expected, "{sort}");
        assert_eq!(
            walk(&admin, sort, true, 4).await,
            reversed,
            "{sort} reversed"
        );
        assert_eq!(
            &walk_back(&admin, sort, false, 6).await,
            expected,
            "{sort} backward"
        );
        assert_eq!(
            walk_back(&admin, sort, true, 7).await,
            reversed,
            "{sort} reversed, backward"
        );
    }
}

#[tokio::test]
async fn keyword_search_matches_names_addresses_and_companies() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    directory(&admin, 3, 30).await;
    let res = admin
        .gql(
            "mutation { createCustomer(input: { firstName: \"Zoë\", lastName: \"O'Brien_100%\", email: \"odd@mail.test\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["createCustomer"]["userErrors"], json!([]));
    let search =
        "query($k: String!) { customers(first: 100, keyword: $k) { totalCount nodes { email } } }";
    let found = |res: &Value| -> Vec<String> {
        let mut v: Vec<String> = data(res)["customers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["email"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let emails = |ids: &[usize]| -> Vec<String> {
        let mut v: Vec<String> = ids.iter().map(|i| format!("person{i}@mail.test")).collect();
        v.sort();
        v
    };
    // Names, in any case, within a word.
    let res = admin.gql(search, json!({ "k": "GIVEN12" })).await;
    assert_eq!(found(&res), emails(&[12]));
    let res = admin.gql(search, json!({ "k": "iven2" })).await;
    assert_eq!(
        found(&res),
        emails(&[2, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])
    );
    // Primary email and alias.
    let res = admin.gql(search, json!({ "k": "person7@" })).await;
    assert_eq!(found(&res), emails(&[7]));
    let res = admin.gql(search, json!({ "k": "alias9@OTHER" })).await;
    assert_eq!(found(&res), emails(&[9]));
    // Company name: every employee of Firm 1 (customers 1, 4, 10, ... not 7k).
    let firm1: Vec<usize> = (0..30).filter(|i| i % 7 != 0 && i % 3 == 1).collect();
    let res = admin.gql(search, json!({ "k": "firm 1" })).await;
    // Two words: both must match, "firm" and "1" (anywhere).
    let both: Vec<usize> = (0..30)
        .filter(|i| i % 7 != 0)
        .filter(|i| {
            i % 3 == 1
                || format!("given{i}").contains('1')
                || format!("family{:03}", (i * 37) % 1000).contains('1')
                || format!("person{i}@mail.test").contains('1')
                || format!("alias{i}@other.test").contains('1')
        })
        .collect();
    assert_eq!(found(&res), emails(&both));
    assert_eq!(data(&res)["customers"]["totalCount"], both.len());
    let res = admin
        .gql(
            "query { customers(first: 100, filter: { keyword: \"firm\" }, keyword: \"1\") { nodes { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(found(&res), emails(&both));
    assert!(firm1.iter().all(|i| both.contains(i)));
    // Wildcards are literal; short words and non-ASCII work.
    let res = admin.gql(search, json!({ "k": "n_100%" })).await;
    assert_eq!(found(&res), vec!["odd@mail.test".to_owned()]);
    let res = admin.gql(search, json!({ "k": "%" })).await;
    assert_eq!(found(&res), vec!["odd@mail.test".to_owned()]);
    let res = admin.gql(search, json!({ "k": "_" })).await;
    assert_eq!(found(&res), vec!["odd@mail.test".to_owned()]);
    let res = admin.gql(search, json!({ "k": "zoë" })).await;
    assert_eq!(found(&res), vec!["odd@mail.test".to_owned()]);
    let res = admin.gql(search, json!({ "k": "o'b" })).await;
    assert_eq!(found(&res), vec!["odd@mail.test".to_owned()]);
    let res = admin.gql(search, json!({ "k": "nothing-like-this" })).await;
    assert_eq!(found(&res), Vec::<String>::new());

    // Renames, new aliases and deletions are searchable at once.
    let res = admin
        .gql(
            "query { customerByEmail(email: \"person3@mail.test\") { id } }",
            json!({}),
        )
        .await;
    let id = data(&res)["customerByEmail"]["id"].clone();
    let res = admin
        .gql(
            "mutation($id: ID!) { updateCustomer(input: { id: $id, firstName: \"Quentin\", emailAliases: [\"qq@fresh.test\"] }) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&res)["updateCustomer"]["userErrors"], json!([]));
    let res = admin.gql(search, json!({ "k": "quentin" })).await;
    assert_eq!(found(&res), emails(&[3]));
    let res = admin.gql(search, json!({ "k": "qq@fresh" })).await;
    assert_eq!(found(&res), emails(&[3]));
    let res = admin.gql(search, json!({ "k": "alias3@" })).await;
    assert_eq!(found(&res), Vec::<String>::new());
    let res = admin.gql(search, json!({ "k": "given3" })).await;
    assert_eq!(found(&res), Vec::<String>::new());
    let res = admin
        .gql(
            "mutation($id: ID!) { deleteCustomer(id: $id) { deletedCustomerId } }",
            json!({ "id": id }),
        )
        .await;
    data(&res);
    let res = admin.gql(search, json!({ "k": "quentin" })).await;
    assert_eq!(found(&res), Vec::<String>::new());

    // Another account's search sees none of it.
    let other = server.other_account().await;
    let res = other.gql(search, json!({ "k": "person" })).await;
    assert_eq!(found(&res), Vec::<String>::new());
}

#[tokio::test]
async fn a_deep_query_takes_the_same_statements_at_page_10_and_100() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    directory(&admin, 12, 120).await;
    let query = "query($n: Int!) { customers(first: $n, sortKey: CREATED_AT) { nodes {
        email emailAliases
        serviceAccess { access service { name } }
        company { name services { name }
          employees(first: 5) { totalCount nodes { email serviceAccess { service { name } }
            company { name employees(first: 2) { nodes { email } } } } } }
      } } }";
    let mut figures = Vec::new();
    for n in [10, 100] {
        let (res, statements) = server.counted(&admin, query, json!({ "n": n })).await;
        let nodes = data(&res)["customers"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n as usize);
        let employed = &nodes[1]["company"];
        assert_eq!(employed["employees"]["nodes"].as_array().unwrap().len(), 5);
        assert_eq!(employed["employees"]["totalCount"], 9, "{res}");
        assert!(nodes[0]["company"].is_null());
        figures.push(statements);
    }
    println!(
        "SQL statements of the deep query, page of 10: {}, of 100: {}",
        figures[0], figures[1]
    );
    assert_eq!(figures[0], figures[1], "statements grew with the page size");

    // A single company's employees batch their nested fields too.
    let res = admin
        .gql("query { companies(first: 1) { nodes { id } } }", json!({}))
        .await;
    let company = data(&res)["companies"]["nodes"][0]["id"].clone();
    let one = "query($id: ID!, $n: Int!) { company(id: $id) { employees(first: $n) { nodes {
        email emailAliases serviceAccess { service { name } } company { name } } } } }";
    let (_, few) = server
        .counted(&admin, one, json!({ "id": company, "n": 2 }))
        .await;
    let (res, many) = server
        .counted(&admin, one, json!({ "id": company, "n": 8 }))
        .await;
    assert_eq!(
        data(&res)["company"]["employees"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        8,
        "Firm 0 has 8 employees"
    );
    assert_eq!(few, many, "statements grew with the page size");
}

#[tokio::test]
async fn changing_a_job_title_takes_few_statements() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    directory(&admin, 1, 2).await;
    let res = admin
        .gql(
            "query { customerByEmail(email: \"person1@mail.test\") { id } }",
            json!({}),
        )
        .await;
    let id = data(&res)["customerByEmail"]["id"].clone();
    let update =
        "mutation($id: ID!, $t: String) { updateCustomer(input: { id: $id, jobTitle: $t }) {
        customer { jobTitle emailAliases } userErrors { code } } }";
    let (res, statements) = server
        .counted(&admin, update, json!({ "id": id, "t": "Chief" }))
        .await;
    assert_eq!(
        data(&res)["updateCustomer"]["customer"]["jobTitle"],
        "Chief"
    );
    assert_eq!(
        data(&res)["updateCustomer"]["customer"]["emailAliases"],
        json!(["alias1@other.test"])
    );
    println!("SQL statements of a job title change: {statements}");
    // session, read, BEGIN, UPDATE, history entry, COMMIT, aliases of the payload
    assert!(statements <= 7, "{statements} statements");
    // The history still records it.
    let res = admin
        .gql(
            "query { activity(first: 5) { nodes { action actorName targetName } } }",
            json!({}),
        )
        .await;
    let entries = data(&res)["activity"]["nodes"].as_array().unwrap().clone();
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "customer.update" && e["targetName"] == "person1@mail.test"),
        "{entries:?}"
    );
}
