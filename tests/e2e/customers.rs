//! Customers, companies and services (issue 3): the newcomer scenario,
//! validation, pagination, batching, permissions and tenant isolation.

use serde_json::{json, Value};

use crate::harness::*;

const CREATE_COMPANY: &str = "mutation($input: CreateCompanyInput!) {
  createCompany(input: $input) { company { id name services { id name } } userErrors { field code message } }
}";
const CREATE_SERVICE: &str = "mutation($name: String!) {
  createService(input: { name: $name }) { service { id name } userErrors { field code message } }
}";
const CREATE_CUSTOMER: &str = "mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id email emailAliases portalAccess company { name } serviceAccess { access service { name } } }
    userErrors { field code message }
  }
}";
const DELETE_CUSTOMER: &str = "mutation($id: ID!, $denylist: Boolean) {
  deleteCustomer(id: $id, denylist: $denylist) { deletedCustomerId denylisted userErrors { code } }
}";
const SET_PORTAL_ACCESS: &str = "mutation($input: SetPortalAccessInput!) {
  setPortalAccess(input: $input) { changedCount matchedCount userErrors { field code message } }
}";

async fn service(client: &Client, name: &str) -> String {
    let res = client.gql(CREATE_SERVICE, json!({ "name": name })).await;
    data(&res)["createService"]["service"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned()
}

async fn company(client: &Client, name: &str, services: &[&str]) -> String {
    let res = client
        .gql(
            CREATE_COMPANY,
            json!({ "input": { "name": name, "serviceIds": services } }),
        )
        .await;
    data(&res)["createCompany"]["company"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned()
}

async fn customer(client: &Client, input: Value) -> Value {
    let res = client.gql(CREATE_CUSTOMER, json!({ "input": input })).await;
    data(&res)["createCustomer"].clone()
}

async fn customer_id(client: &Client, input: Value) -> String {
    let payload = customer(client, input).await;
    payload["customer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{payload}"))
        .to_owned()
}

#[tokio::test]
async fn the_newcomer_scenario() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let email = service(&admin, "Email").await;
    let billing = service(&admin, "Billing").await;
    let acme = company(&admin, "Acme Corp", &[&email, &billing]).await;

    let ann = customer_id(&admin, json!({ "firstName": "Ann", "lastName": "Lee", "email": "ann@acme.test", "companyId": acme })).await;
    let bob = customer_id(
        &admin,
        json!({ "firstName": "Bob", "email": "bob@acme.test", "companyId": acme }),
    )
    .await;
    let cid = customer_id(
        &admin,
        json!({ "firstName": "Cid", "email": "cid@acme.test", "companyId": acme }),
    )
    .await;

    // Ann: STANDARD access to one service.
    let res = admin
        .gql(
            "mutation($id: ID!, $s: ID!) {
               grantServiceAccess(input: { customerId: $id, services: [{ serviceId: $s }] }) { userErrors { code } }
               updateCustomer(input: { id: $id, portalAccess: STANDARD }) { customer { portalAccess serviceAccess { access service { name } } } userErrors { code } }
             }",
            json!({ "id": ann, "s": email }),
        )
        .await;
    let updated = &data(&res)["updateCustomer"]["customer"];
    assert_eq!(updated["portalAccess"], "STANDARD");
    assert_eq!(
        updated["serviceAccess"],
        json!([{ "access": "PORTAL_ACCESS", "service": { "name": "Email" } }])
    );

    // Mass-assign COMPANY to the others.
    let res = admin
        .gql(
            SET_PORTAL_ACCESS,
            json!({ "input": { "level": "COMPANY", "customerIds": [bob, cid] } }),
        )
        .await;
    assert_eq!(
        data(&res)["setPortalAccess"],
        json!({ "changedCount": 2, "matchedCount": 2, "userErrors": [] })
    );
    let res = admin
        .gql(
            "{ customers(sortKey: EMAIL) { nodes { email portalAccess } totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res)["customers"],
        json!({ "nodes": [
            { "email": "ann@acme.test", "portalAccess": "STANDARD" },
            { "email": "bob@acme.test", "portalAccess": "COMPANY" },
            { "email": "cid@acme.test", "portalAccess": "COMPANY" },
        ], "totalCount": 3 })
    );

    // Delete & denylist Cid; re-creating them fails.
    let res = admin
        .gql(DELETE_CUSTOMER, json!({ "id": cid, "denylist": true }))
        .await;
    assert_eq!(data(&res)["deleteCustomer"]["denylisted"], true);
    let again = customer(
        &admin,
        json!({ "firstName": "Cid", "email": "CID@acme.test" }),
    )
    .await;
    assert_eq!(
        user_errors(&again),
        vec![("email".into(), "NOT_ALLOWED".into())]
    );
    let res = admin
        .gql(
            "query($id: ID!) { customer(id: $id) { id } }",
            json!({ "id": cid }),
        )
        .await;
    assert_eq!(error_code(&res), "NOT_FOUND");

    // The denylist shows the address, and removing it allows the customer again.
    let res = admin
        .gql("{ denylist { nodes { email } totalCount } }", json!({}))
        .await;
    assert_eq!(
        data(&res)["denylist"],
        json!({ "nodes": [{ "email": "cid@acme.test" }], "totalCount": 1 })
    );
    let res = admin
        .gql(
            "mutation { removeFromDenylist(input: { email: \"cid@ACME.test\" }) { changed } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["removeFromDenylist"]["changed"], true);
    customer_id(
        &admin,
        json!({ "firstName": "Cid", "email": "cid@acme.test" }),
    )
    .await;
}

#[tokio::test]
async fn nested_fields_are_batched_whatever_the_page_size() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let s1 = service(&admin, "Network").await;
    let s2 = service(&admin, "Printers").await;
    let company_id = company(&admin, "Initech", &[&s1, &s2]).await;
    // One request, 100 aliased mutations.
    let mut doc = String::from("mutation($c: ID!, $s: ID!) {");
    for i in 0..100 {
        doc.push_str(&format!(
            " c{i}: createCustomer(input: {{ firstName: \"N{i}\", email: \"n{i}@initech.test\", emailAliases: [\"alias{i}@initech.test\"], companyId: $c, services: [{{ serviceId: $s }}] }}) {{ userErrors {{ code }} }}"
        ));
    }
    doc.push('}');
    let res = admin.gql(&doc, json!({ "c": company_id, "s": s1 })).await;
    assert!(data(&res)["c99"]["userErrors"] == json!([]), "{res}");

    let page = "query($n: Int!) { customers(first: $n) { totalCount nodes {
        id email emailAliases avatarUrl
        customFields { field { name } value }
        company { name services { name } }
        serviceAccess { access service { name } }
      } } }";
    let mut figures = Vec::new();
    for n in [10, 100] {
        let (res, statements) = server.counted(&admin, page, json!({ "n": n })).await;
        let nodes = data(&res)["customers"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n as usize);
        assert_eq!(nodes[0]["company"]["services"].as_array().unwrap().len(), 2);
        assert_eq!(nodes[0]["serviceAccess"][0]["service"]["name"], "Network");
        figures.push(statements);
    }
    println!(
        "SQL statements for a page of 10: {}, of 100: {}",
        figures[0], figures[1]
    );
    assert_eq!(
        figures[0], figures[1],
        "statements grew with the page size: {figures:?}"
    );
    assert!(figures[1] <= 8, "too many statements: {figures:?}");
}

#[tokio::test]
async fn every_bad_value_is_a_user_error_naming_its_field() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    customer_id(&admin, json!({ "firstName": "Ann", "email": "ann@example.com", "emailAliases": ["ann.lee@example.com"] })).await;
    let long = "x".repeat(256);
    let cases = [
        (
            json!({ "firstName": long, "email": "a@example.com" }),
            "firstName",
            "TOO_LONG",
        ),
        (
            json!({ "firstName": "A", "lastName": long, "email": "a@example.com" }),
            "lastName",
            "TOO_LONG",
        ),
        (
            json!({ "firstName": "A", "email": "a@example.com", "jobTitle": long }),
            "jobTitle",
            "TOO_LONG",
        ),
        (
            json!({ "firstName": "A", "email": "not-an-email" }),
            "email",
            "INVALID",
        ),
        (
            json!({ "firstName": "A", "email": "a@example.com", "emailAliases": ["x@"] }),
            "emailAliases.0",
            "INVALID",
        ),
        (
            json!({ "firstName": "A", "email": "ANN@example.com" }),
            "email",
            "TAKEN",
        ),
        (
            json!({ "firstName": "A", "email": "ann.lee@example.com" }),
            "email",
            "TAKEN",
        ),
        (
            json!({ "firstName": "A", "email": "a@example.com", "emailAliases": ["Ann@Example.com"] }),
            "emailAliases.0",
            "TAKEN",
        ),
        (
            json!({ "firstName": "A", "email": "a@example.com", "timeZone": "Moon/Base" }),
            "timeZone",
            "INVALID",
        ),
        (
            json!({ "firstName": "A", "email": "a@example.com", "locale": "xx" }),
            "locale",
            "INVALID",
        ),
        (
            json!({ "firstName": "A", "email": "a@example.com", "officePhone": "+1 000 1" }),
            "officePhone",
            "INVALID",
        ),
        (
            json!({ "firstName": "A", "email": "a@example.com", "mobilePhone": "call me maybe" }),
            "mobilePhone",
            "INVALID",
        ),
    ];
    for (input, field, code) in cases {
        let payload = customer(&admin, input.clone()).await;
        assert_eq!(
            user_errors(&payload),
            vec![(field.to_string(), code.to_string())],
            "{input}"
        );
        assert_eq!(payload["customer"], json!(null));
    }
    let res = admin.gql("{ customers { totalCount } }", json!({})).await;
    assert_eq!(
        data(&res)["customers"]["totalCount"],
        1,
        "nothing was written"
    );

    let ok = customer(
        &admin,
        json!({ "firstName": "Zoë", "email": "zoe@example.com", "notes": "n".repeat(20_000), "timeZone": "Europe/Berlin",
                "locale": "DE", "officePhone": "+49 30 901820", "mobilePhone": "(555) 123-4567 ext. 9" }),
    )
    .await;
    assert_eq!(ok["userErrors"], json!([]), "{ok}");
}

#[tokio::test]
async fn a_customer_with_a_company_only_gets_the_companys_services() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let inside = service(&admin, "Inside").await;
    let outside = service(&admin, "Outside").await;
    let company_id = company(&admin, "Globex", &[&inside]).await;
    let refused = customer(
        &admin,
        json!({ "firstName": "A", "email": "a@globex.test", "companyId": company_id, "services": [{ "serviceId": outside }] }),
    )
    .await;
    assert_eq!(
        user_errors(&refused),
        vec![("services".into(), "NOT_ALLOWED".into())]
    );
    let id = customer_id(
        &admin,
        json!({ "firstName": "A", "email": "a@globex.test", "companyId": company_id, "services": [{ "serviceId": inside, "access": "NO_PORTAL_ACCESS" }] }),
    )
    .await;
    let res = admin
        .gql(
            "mutation($id: ID!, $s: ID!) { grantServiceAccess(input: { customerId: $id, services: [{ serviceId: $s }] }) { userErrors { field code } } }",
            json!({ "id": id, "s": outside }),
        )
        .await;
    assert_eq!(
        data(&res)["grantServiceAccess"]["userErrors"],
        json!([{ "field": ["services"], "code": "NOT_ALLOWED" }])
    );

    // Leaving the company keeps what they had; a company without the service takes it away.
    let other = company(&admin, "Hooli", &[]).await;
    let res = admin
        .gql(
            "mutation($id: ID!, $c: ID!) { updateCustomer(input: { id: $id, companyId: $c }) { customer { company { name } serviceAccess { access } } userErrors { code } } }",
            json!({ "id": id, "c": other }),
        )
        .await;
    assert_eq!(
        data(&res)["updateCustomer"]["customer"],
        json!({ "company": { "name": "Hooli" }, "serviceAccess": [] })
    );
}

#[tokio::test]
async fn pages_keywords_and_sorting() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let company_id = company(&admin, "Umbrella", &[]).await;
    for (first, last, email) in [
        ("Ann", "Zed", "ann@x.test"),
        ("Bob", "Young", "bob@x.test"),
        ("Cat", "Xu", "cat@x.test"),
        ("Dan", "Wu", "dan@x.test"),
        ("Eve", "Vo", "eve@x.test"),
    ] {
        customer_id(
            &admin,
            json!({ "firstName": first, "lastName": last, "email": email }),
        )
        .await;
    }
    customer_id(&admin, json!({ "firstName": "Fay", "lastName": "Umber", "email": "fay@y.test", "emailAliases": ["secret.alias@y.test"], "companyId": company_id })).await;

    let page = "query($first: Int, $after: String, $last: Int, $before: String) {
      customers(first: $first, after: $after, last: $last, before: $before) {
        nodes { firstName } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }";
    let names = |res: &Value| -> Vec<String> {
        data(res)["customers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["firstName"].as_str().unwrap().to_owned())
            .collect()
    };
    let res = admin.gql(page, json!({ "first": 2 })).await;
    assert_eq!(
        names(&res),
        ["Fay", "Eve"],
        "by last name: Umber, Vo, Wu, Xu, Young, Zed"
    );
    assert_eq!(data(&res)["customers"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(data(&res)["customers"]["totalCount"], 6);
    let end = data(&res)["customers"]["pageInfo"]["endCursor"].clone();
    let res = admin.gql(page, json!({ "first": 3, "after": end })).await;
    assert_eq!(names(&res), ["Dan", "Cat", "Bob"]);
    assert_eq!(data(&res)["customers"]["pageInfo"]["hasPreviousPage"], true);
    let start = data(&res)["customers"]["pageInfo"]["startCursor"].clone();
    let res = admin.gql(page, json!({ "last": 1, "before": start })).await;
    assert_eq!(names(&res), ["Eve"]);
    let res = admin.gql(page, json!({ "last": 2 })).await;
    assert_eq!(names(&res), ["Bob", "Ann"]);

    for (keyword, expected) in [
        ("secret.ALIAS", vec!["Fay"]),
        ("umbrella", vec!["Fay"]),
        ("ann zed", vec!["Ann"]),
        ("x.test", vec!["Eve", "Dan", "Cat", "Bob", "Ann"]),
        ("100%", vec![]),
    ] {
        let res = admin
            .gql(
                "query($k: String) { customers(keyword: $k) { nodes { firstName } } }",
                json!({ "k": keyword }),
            )
            .await;
        assert_eq!(names(&res), expected, "{keyword}");
    }
    let res = admin
        .gql(
            "{ customers(sortKey: EMAIL, reverse: true, first: 1) { nodes { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["customers"]["nodes"][0]["email"], "fay@y.test");

    for (args, code) in [
        ("first: 101", "LIMIT_EXCEEDED"),
        ("first: -1", "BAD_USER_INPUT"),
        ("first: 1, last: 1", "BAD_USER_INPUT"),
        ("after: \"garbage\"", "BAD_USER_INPUT"),
    ] {
        let res = admin
            .gql(
                &format!("{{ customers({args}) {{ totalCount }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(error_code(&res), code, "{args}");
    }

    // Mass-assign by filter: everyone at x.test.
    let res = admin
        .gql(
            SET_PORTAL_ACCESS,
            json!({ "input": { "level": "STANDARD", "filter": { "keyword": "x.test" } } }),
        )
        .await;
    assert_eq!(data(&res)["setPortalAccess"]["changedCount"], 5);
    let res = admin
        .gql(
            SET_PORTAL_ACCESS,
            json!({ "input": { "level": "STANDARD", "filter": {} } }),
        )
        .await;
    assert_eq!(
        data(&res)["setPortalAccess"],
        json!({ "changedCount": 1, "matchedCount": 6, "userErrors": [] })
    );
}

#[tokio::test]
async fn members_work_with_customers_but_only_admins_manage_the_rest() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let member = server.staff("MEMBER", "member@acme.test").await;
    let service_id = service(&admin, "Email").await;
    let id = customer_id(
        &member,
        json!({ "firstName": "Ann", "email": "ann@acme.test" }),
    )
    .await;

    let allowed = [
        ("{ customers { totalCount } companies { totalCount } services { totalCount } }", json!({})),
        ("mutation($id: ID!) { updateCustomer(input: { id: $id, jobTitle: \"CTO\" }) { userErrors { code } } }", json!({ "id": id })),
    ];
    for (doc, vars) in allowed {
        let res = member.gql(doc, vars).await;
        data(&res);
    }
    let refused = [
        (DELETE_CUSTOMER, json!({ "id": id })),
        (
            SET_PORTAL_ACCESS,
            json!({ "input": { "level": "COMPANY", "filter": {} } }),
        ),
        (CREATE_COMPANY, json!({ "input": { "name": "Nope" } })),
        (CREATE_SERVICE, json!({ "name": "Nope" })),
        (
            "mutation($id: ID!) { deleteService(input: { id: $id }) { userErrors { code } } }",
            json!({ "id": service_id }),
        ),
        ("{ denylist { totalCount } }", json!({})),
    ];
    for (doc, vars) in refused {
        let res = member.gql(doc, vars).await;
        assert_eq!(error_code(&res), "FORBIDDEN", "{doc}");
    }
    let res = server
        .anonymous()
        .gql("{ customers { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
    // Nothing the member was refused happened.
    let res = admin
        .gql(
            "{ customers { totalCount } companies { totalCount } services { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res),
        &json!({ "customers": { "totalCount": 1 }, "companies": { "totalCount": 0 }, "services": { "totalCount": 1 } })
    );
}

#[tokio::test]
async fn another_accounts_ids_are_not_found_everywhere() {
    let server = TestServer::start().await;
    let acme = server.super_admin().await;
    let service_id = service(&acme, "Email").await;
    let company_id = company(&acme, "Acme Corp", &[&service_id]).await;
    let customer = customer_id(
        &acme,
        json!({ "firstName": "Ann", "email": "ann@acme.test", "companyId": company_id }),
    )
    .await;
    let globex = server.other_account().await;

    let lookups = [
        ("query($id: ID!) { customer(id: $id) { id } }", &customer),
        ("query($id: ID!) { company(id: $id) { id } }", &company_id),
        ("query($id: ID!) { service(id: $id) { id } }", &service_id),
        ("query($id: ID!) { node(id: $id) { id } }", &customer),
        ("mutation($id: ID!) { updateCustomer(input: { id: $id, firstName: \"X\" }) { userErrors { code } } }", &customer),
        ("mutation($id: ID!) { deleteCustomer(id: $id) { userErrors { code } } }", &customer),
        ("mutation($id: ID!) { grantServiceAccess(input: { customerId: $id, services: [] }) { userErrors { code } } }", &customer),
        ("mutation($id: ID!) { revokeServiceAccess(input: { customerId: $id, serviceIds: [] }) { userErrors { code } } }", &customer),
        ("mutation($id: ID!) { updateCompany(input: { id: $id, name: \"X\" }) { userErrors { code } } }", &company_id),
        ("mutation($id: ID!) { deleteCompany(input: { id: $id }) { userErrors { code } } }", &company_id),
        ("mutation($id: ID!) { updateService(input: { id: $id, name: \"X\" }) { userErrors { code } } }", &service_id),
        ("mutation($id: ID!) { deleteService(input: { id: $id }) { userErrors { code } } }", &service_id),
    ];
    for (doc, id) in lookups {
        let res = globex.gql(doc, json!({ "id": id })).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{doc}: {res}");
    }

    // References inside inputs are NOT_FOUND user errors, and change nothing.
    let payload = {
        let res = globex
            .gql(CREATE_CUSTOMER, json!({ "input": { "firstName": "B", "email": "b@globex.test", "companyId": company_id, "services": [{ "serviceId": service_id }] } }))
            .await;
        data(&res)["createCustomer"].clone()
    };
    let mut errors = user_errors(&payload);
    errors.sort();
    assert_eq!(
        errors,
        vec![
            ("companyId".into(), "NOT_FOUND".into()),
            ("services".into(), "NOT_FOUND".into())
        ]
    );
    let res = globex
        .gql(
            CREATE_COMPANY,
            json!({ "input": { "name": "G", "serviceIds": [service_id] } }),
        )
        .await;
    assert_eq!(
        user_errors(&data(&res)["createCompany"]),
        vec![("serviceIds".into(), "NOT_FOUND".into())]
    );
    let res = globex
        .gql(
            SET_PORTAL_ACCESS,
            json!({ "input": { "level": "COMPANY_ADMIN", "customerIds": [customer] } }),
        )
        .await;
    assert_eq!(
        user_errors(&data(&res)["setPortalAccess"]),
        vec![("customerIds".into(), "NOT_FOUND".into())]
    );
    let res = globex
        .gql(
            SET_PORTAL_ACCESS,
            json!({ "input": { "level": "COMPANY_ADMIN", "filter": {} } }),
        )
        .await;
    assert_eq!(data(&res)["setPortalAccess"]["matchedCount"], 0);

    // The other account sees none of Acme's rows, and the same email is free there.
    let res = globex
        .gql(
            "{ customers { totalCount } companies { totalCount } services { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res),
        &json!({ "customers": { "totalCount": 0 }, "companies": { "totalCount": 0 }, "services": { "totalCount": 0 } })
    );
    customer_id(
        &globex,
        json!({ "firstName": "Ann", "email": "ann@acme.test" }),
    )
    .await;

    // And Acme's data is untouched.
    let res = acme
        .gql(
            "query($id: ID!) { customer(id: $id) { firstName portalAccess company { name } } }",
            json!({ "id": customer }),
        )
        .await;
    assert_eq!(
        data(&res)["customer"],
        json!({ "firstName": "Ann", "portalAccess": "NO_ACCESS", "company": { "name": "Acme Corp" } })
    );
}

#[tokio::test]
async fn companies_and_services_keep_unique_names_and_clean_up() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let a = service(&admin, "Email").await;
    let b = service(&admin, "Phones").await;
    let res = admin.gql(CREATE_SERVICE, json!({ "name": "EMAIL" })).await;
    assert_eq!(
        user_errors(&data(&res)["createService"]),
        vec![("name".into(), "TAKEN".into())]
    );
    let company_id = company(&admin, "Acme", &[&a, &b]).await;
    let res = admin
        .gql(CREATE_COMPANY, json!({ "input": { "name": " acme " } }))
        .await;
    assert_eq!(
        user_errors(&data(&res)["createCompany"]),
        vec![("name".into(), "TAKEN".into())]
    );
    let res = admin
        .gql(CREATE_COMPANY, json!({ "input": { "name": "" } }))
        .await;
    assert_eq!(
        user_errors(&data(&res)["createCompany"]),
        vec![("name".into(), "BLANK".into())]
    );

    let id = customer_id(&admin, json!({ "firstName": "Ann", "email": "ann@acme.test", "companyId": company_id, "services": [{ "serviceId": a }, { "serviceId": b }] })).await;
    // The company drops Phones: so does its employee.
    let res = admin
        .gql(
            "mutation($id: ID!, $a: ID!) { updateCompany(input: { id: $id, serviceIds: [$a] }) { company { services { name } } userErrors { code } } }",
            json!({ "id": company_id, "a": a }),
        )
        .await;
    assert_eq!(
        data(&res)["updateCompany"]["company"]["services"],
        json!([{ "name": "Email" }])
    );
    let q = "query($id: ID!) { customer(id: $id) { company { name employees { totalCount } } serviceAccess { service { name } } } }";
    let res = admin.gql(q, json!({ "id": id })).await;
    assert_eq!(
        data(&res)["customer"]["serviceAccess"],
        json!([{ "service": { "name": "Email" } }])
    );
    assert_eq!(
        data(&res)["customer"]["company"]["employees"]["totalCount"],
        1
    );

    // Deleting the service and the company leaves the customer without them.
    admin
        .gql(
            "mutation($id: ID!) { deleteService(input: { id: $id }) { deletedServiceId } }",
            json!({ "id": a }),
        )
        .await;
    admin
        .gql(
            "mutation($id: ID!) { deleteCompany(input: { id: $id }) { deletedCompanyId } }",
            json!({ "id": company_id }),
        )
        .await;
    let res = admin.gql(q, json!({ "id": id })).await;
    assert_eq!(
        data(&res)["customer"],
        json!({ "company": null, "serviceAccess": [] })
    );
}

#[tokio::test]
async fn connections_under_a_list_load_together() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let service_id = service(&admin, "Support").await;
    let mut doc = String::from("mutation($s: ID!) {");
    for i in 0..30 {
        doc.push_str(&format!(" k{i}: createCompany(input: {{ name: \"Company {i:02}\", serviceIds: [$s] }}) {{ company {{ id }} }}"));
    }
    doc.push('}');
    let res = admin.gql(&doc, json!({ "s": service_id })).await;
    let companies: Vec<String> = (0..30)
        .map(|i| {
            data(&res)[format!("k{i}")]["company"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut doc = String::from("mutation($s: ID!) {");
    for (i, company) in companies.iter().enumerate() {
        for j in 0..(i % 4) {
            doc.push_str(&format!(
                " c{i}_{j}: createCustomer(input: {{ firstName: \"P{j}\", lastName: \"C{i:02}\", email: \"p{j}.c{i}@x.test\", companyId: \"{company}\", services: [{{ serviceId: $s }}] }}) {{ userErrors {{ code }} }}"
            ));
        }
    }
    doc.push('}');
    data(&admin.gql(&doc, json!({ "s": service_id })).await);

    let query = "query($n: Int!) { companies(first: $n) { nodes { name
        employees(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { email company { name } } } } }
      services { nodes { customers(first: 5) { totalCount nodes { email } } } } }";
    let mut figures = Vec::new();
    for n in [5, 30] {
        let (res, statements) = server.counted(&admin, query, json!({ "n": n })).await;
        figures.push(statements);
        let nodes = data(&res)["companies"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n as usize);
        // Company 03 has three employees: two on the page, one more.
        let c3 = &nodes[3]["employees"];
        assert_eq!(c3["totalCount"], 3, "{res}");
        assert_eq!(c3["nodes"].as_array().unwrap().len(), 2);
        assert_eq!(c3["pageInfo"]["hasNextPage"], true);
        assert_eq!(c3["nodes"][0]["company"]["name"], "Company 03");
        assert_eq!(nodes[0]["employees"]["totalCount"], 0);
        assert_eq!(
            data(&res)["services"]["nodes"][0]["customers"]["totalCount"],
            43
        );
    }
    println!(
        "SQL statements for 5 companies with employees: {}, for 30: {}",
        figures[0], figures[1]
    );
    assert!(
        figures[1] <= figures[0] + 1,
        "statements grew with the number of companies: {figures:?}"
    );

    // The next page of one company's employees follows the cursor.
    let res = admin
        .gql(
            "query($id: ID!) { company(id: $id) { employees(first: 2) { pageInfo { endCursor } } } }",
            json!({ "id": companies[3] }),
        )
        .await;
    let cursor = data(&res)["company"]["employees"]["pageInfo"]["endCursor"].clone();
    let res = admin
        .gql(
            "query($id: ID!, $after: String) { company(id: $id) { employees(first: 2, after: $after) { nodes { firstName } pageInfo { hasNextPage } } } }",
            json!({ "id": companies[3], "after": cursor }),
        )
        .await;
    assert_eq!(
        data(&res)["company"]["employees"],
        json!({ "nodes": [{ "firstName": "P2" }], "pageInfo": { "hasNextPage": false } })
    );
}

#[tokio::test]
async fn denylists_filters_and_references_stay_within_their_account() {
    let server = TestServer::start().await;
    let acme = server.super_admin().await;
    let acme_company = company(&acme, "Acme Corp", &[]).await;
    let ann = customer_id(
        &acme,
        json!({ "firstName": "Ann", "email": "ann@acme.test", "companyId": acme_company }),
    )
    .await;
    let res = acme.gql("mutation { addToDenylist(input: { email: \"blocked@x.test\" }) { changed userErrors { code } } }", json!({})).await;
    assert_eq!(data(&res)["addToDenylist"]["changed"], true);

    let globex = server.other_account().await;
    let res = globex.gql("{ denylist { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["denylist"]["totalCount"], 0);
    let res = globex
        .gql(
            "mutation { removeFromDenylist(input: { email: \"blocked@x.test\" }) { changed } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["removeFromDenylist"]["changed"], false);
    customer_id(
        &globex,
        json!({ "firstName": "B", "email": "blocked@x.test" }),
    )
    .await;
    let refused = customer(
        &acme,
        json!({ "firstName": "B", "email": "blocked@x.test" }),
    )
    .await;
    assert_eq!(
        user_errors(&refused),
        vec![("email".into(), "NOT_ALLOWED".into())]
    );

    // Filters and references naming another account's rows match nothing.
    let res = globex
        .gql(
            "query($c: ID!) { customers(filter: { companyId: $c }) { totalCount } }",
            json!({ "c": acme_company }),
        )
        .await;
    assert_eq!(data(&res)["customers"]["totalCount"], 0);
    let own = customer_id(
        &globex,
        json!({ "firstName": "C", "email": "c@globex.test" }),
    )
    .await;
    let res = globex
        .gql(
            "mutation($id: ID!, $c: ID!) { updateCustomer(input: { id: $id, companyId: $c }) { customer { id } userErrors { field code } } }",
            json!({ "id": own, "c": acme_company }),
        )
        .await;
    assert_eq!(
        data(&res)["updateCustomer"]["userErrors"],
        json!([{ "field": ["companyId"], "code": "NOT_FOUND" }])
    );
    let res = globex
        .gql(
            "mutation($id: ID!) { removeCustomerAvatar(customerId: $id) { customer { id } } }",
            json!({ "id": ann }),
        )
        .await;
    assert_eq!(error_code(&res), "NOT_FOUND");
    let res = acme.gql("{ customers { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["customers"]["totalCount"], 1);
}

/// A service listed twice keeps its level, and the services after it keep
/// theirs (levels were paired with the services by position, after the
/// repeat was dropped: the last service got the repeat's level).
#[tokio::test]
async fn a_service_listed_twice_does_not_shift_the_levels() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let vpn = service(&admin, "VPN").await;
    let wiki = service(&admin, "Wiki").await;
    let levels = |res: &Value, path: &str| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = data(res)[path]["customer"]["serviceAccess"]
            .as_array()
            .unwrap_or_else(|| panic!("{res}"))
            .iter()
            .map(|g| {
                (
                    g["service"]["name"].as_str().unwrap().to_owned(),
                    g["access"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        out.sort();
        out
    };
    let services = json!([
        { "serviceId": vpn, "access": "NO_PORTAL_ACCESS" },
        { "serviceId": vpn, "access": "NO_PORTAL_ACCESS" },
        { "serviceId": wiki, "access": "PORTAL_ACCESS" },
    ]);
    let expected = vec![
        ("VPN".to_owned(), "NO_PORTAL_ACCESS".to_owned()),
        ("Wiki".to_owned(), "PORTAL_ACCESS".to_owned()),
    ];
    let res = admin
        .gql(
            "mutation($s: [ServiceAccessInput!]!) { createCustomer(input: { firstName: \"Ann\", email: \"ann@example.com\", services: $s }) { customer { id serviceAccess { access service { name } } } userErrors { code } } }",
            json!({ "s": services }),
        )
        .await;
    assert_eq!(levels(&res, "createCustomer"), expected, "{res}");

    let bob = customer_id(
        &admin,
        json!({ "firstName": "Bob", "email": "bob@example.com" }),
    )
    .await;
    let res = admin
        .gql(
            "mutation($c: ID!, $s: [ServiceAccessInput!]!) { grantServiceAccess(input: { customerId: $c, services: $s }) { customer { serviceAccess { access service { name } } } userErrors { code } } }",
            json!({ "c": bob, "s": services }),
        )
        .await;
    assert_eq!(levels(&res, "grantServiceAccess"), expected, "{res}");
}
