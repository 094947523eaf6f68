//! The customer portal (issue 7, seed 000): sign-up and sign-in, incidents
//! by access level, a lowered level taking effect at once, staff-only
//! fields refused, and isolation between accounts.

use serde_json::{json, Value};

use crate::harness::*;

const SIGN_UP: &str = "mutation($input: PortalSignUpInput!) {
  portalSignUp(input: $input) { token confirmationSent customer { id } userErrors { field code message } }
}";
const CONFIRM: &str = "mutation($token: String!) {
  portalConfirmSignUp(input: { token: $token }) { token customer { id email accessLevel } userErrors { field code message } }
}";
const LOGIN: &str = "mutation($input: PortalLoginInput!) {
  portalLogin(input: $input) { token customer { email accessLevel } userErrors { code } }
}";
const ME: &str = "{ portalViewer { id email accessLevel companyName services { id name } } }";
const SUBMIT: &str = "mutation($s: ID!, $t: String!) {
  submitIncident(input: { serviceId: $s, title: $t, description: \"It broke\" }) {
    incident { id title status mine service { name } requester { email } }
    userErrors { field code message }
  }
}";
const MY_INCIDENTS: &str =
    "{ portalIncidents(first: 50) { totalCount nodes { title mine requester { email } } } }";
const UPDATE_MINE: &str = "mutation($id: ID!, $t: String!) {
  updatePortalIncident(input: { id: $id, title: $t, status: CLOSED }) { incident { title status } userErrors { code } }
}";
const SET_LEVEL: &str = "mutation($ids: [ID!], $level: PortalAccessLevel!) {
  setPortalAccess(input: { customerIds: $ids, level: $level }) { changedCount userErrors { code } }
}";

struct Setup {
    account: String,
    services: [String; 3],
    company: String,
}

async fn id_of(client: &Client, doc: &str, vars: Value, path: &[&str]) -> String {
    let res = client.gql(doc, vars).await;
    let mut at = data(&res);
    for key in path {
        at = &at[*key];
    }
    at.as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

/// Services Network, Printers and Payroll; company Initech has the last two.
async fn setup(admin: &Client) -> Setup {
    let account = id_of(
        admin,
        "{ viewer { account { id } } }",
        json!({}),
        &["viewer", "account", "id"],
    )
    .await;
    let mut services = Vec::new();
    for name in ["Network", "Printers", "Payroll"] {
        services.push(
            id_of(
                admin,
                "mutation($n: String!) { createService(input: { name: $n }) { service { id } } }",
                json!({ "n": name }),
                &["createService", "service", "id"],
            )
            .await,
        );
    }
    let company = id_of(
        admin,
        "mutation($s: [ID!]!) { createCompany(input: { name: \"Initech\", serviceIds: $s }) { company { id } } }",
        json!({ "s": [services[1], services[2]] }),
        &["createCompany", "company", "id"],
    )
    .await;
    Setup {
        account,
        services: services.try_into().unwrap(),
        company,
    }
}

fn outbox(server: &TestServer) -> std::path::PathBuf {
    server.db.dir.path().join("outbox")
}

/// The token of the newest sign-up link mailed to `email`, once `count`
/// mails reached that address.
async fn mailed_token(server: &TestServer, email: &str, count: usize) -> String {
    let mails = crate::mail::wait_for_mail_to(&outbox(server), email, count).await;
    mails.last().unwrap().token()
}

/// Signs a customer up and confirms the mailed link; returns (client,
/// customer id).
async fn sign_up(server: &TestServer, account: &str, first: &str, email: &str) -> (Client, String) {
    let res = server
        .anonymous()
        .gql(
            SIGN_UP,
            json!({ "input": { "accountId": account, "firstName": first, "lastName": "Test", "email": email, "password": "a long portal password" } }),
        )
        .await;
    assert_eq!(
        data(&res)["portalSignUp"]["confirmationSent"],
        true,
        "{res}"
    );
    assert!(data(&res)["portalSignUp"]["token"].is_null(), "{res}");
    let token = mailed_token(server, email, 1).await;
    let res = server
        .anonymous()
        .gql(CONFIRM, json!({ "token": token }))
        .await;
    let payload = &data(&res)["portalConfirmSignUp"];
    assert_eq!(payload["customer"]["accessLevel"], "STANDARD", "{res}");
    let token = payload["token"].as_str().unwrap();
    (
        server.with_token(token),
        payload["customer"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn join_company(admin: &Client, customer: &str, company: &str, level: &str) {
    let res = admin
        .gql(
            "mutation($id: ID!, $c: ID) { updateCustomer(input: { id: $id, companyId: $c }) { userErrors { code } } }",
            json!({ "id": customer, "c": company }),
        )
        .await;
    assert_eq!(
        data(&res)["updateCustomer"]["userErrors"],
        json!([]),
        "{res}"
    );
    set_level(admin, customer, level).await;
}

async fn set_level(admin: &Client, customer: &str, level: &str) {
    let res = admin
        .gql(SET_LEVEL, json!({ "ids": [customer], "level": level }))
        .await;
    assert_eq!(
        data(&res)["setPortalAccess"]["userErrors"],
        json!([]),
        "{res}"
    );
}

async fn submit(client: &Client, service: &str, title: &str) -> Value {
    let res = client
        .gql(SUBMIT, json!({ "s": service, "t": title }))
        .await;
    data(&res)["submitIncident"].clone()
}

fn titles(res: &Value) -> Vec<String> {
    let mut out: Vec<String> = data(res)["portalIncidents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn every_access_level_allowed_and_refused() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let s = setup(&admin).await;
    let [network, printers, payroll] = &s.services;

    // STANDARD: only services granted to them.
    let (ann, ann_id) = sign_up(&server, &s.account, "Ann", "ann@example.com").await;
    let res = ann.gql(ME, json!({})).await;
    assert_eq!(data(&res)["portalViewer"]["services"], json!([]));
    let refused = submit(&ann, network, "Ann's first").await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_ALLOWED", "{refused}");
    let res = admin
        .gql(
            "mutation($c: ID!, $s: ID!) { grantServiceAccess(input: { customerId: $c, services: [{ serviceId: $s }] }) { userErrors { code } } }",
            json!({ "c": ann_id, "s": network }),
        )
        .await;
    assert_eq!(data(&res)["grantServiceAccess"]["userErrors"], json!([]));
    let res = ann.gql(ME, json!({})).await;
    assert_eq!(
        data(&res)["portalViewer"]["services"],
        json!([{ "id": network, "name": "Network" }])
    );
    let ok = submit(&ann, network, "Ann: wifi down").await;
    assert_eq!(ok["userErrors"], json!([]), "{ok}");
    assert_eq!(ok["incident"]["mine"], true);
    assert_eq!(ok["incident"]["status"], "OPEN");
    assert_eq!(ok["incident"]["service"]["name"], "Network");
    let refused = submit(&ann, printers, "Ann: printer").await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_ALLOWED");

    // COMPANY: the company's services, own incidents only.
    let (bob, bob_id) = sign_up(&server, &s.account, "Bob", "bob@initech.test").await;
    join_company(&admin, &bob_id, &s.company, "COMPANY").await;
    let res = bob.gql(ME, json!({})).await;
    let me = &data(&res)["portalViewer"];
    assert_eq!(me["accessLevel"], "COMPANY");
    assert_eq!(me["companyName"], "Initech");
    assert_eq!(
        me["services"],
        json!([{ "id": payroll, "name": "Payroll" }, { "id": printers, "name": "Printers" }])
    );
    let bobs = submit(&bob, printers, "Bob: jammed").await;
    assert_eq!(bobs["userErrors"], json!([]));
    let bobs_id = bobs["incident"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        submit(&bob, network, "Bob: wifi").await["userErrors"][0]["code"],
        "NOT_ALLOWED"
    );

    // COMPANY_ADMIN: also the colleagues' incidents.
    let (carol, carol_id) = sign_up(&server, &s.account, "Carol", "carol@initech.test").await;
    join_company(&admin, &carol_id, &s.company, "COMPANY_ADMIN").await;
    let carols = submit(&carol, payroll, "Carol: payslips").await;
    let carols_id = carols["incident"]["id"].as_str().unwrap().to_owned();
    let res = carol.gql(MY_INCIDENTS, json!({})).await;
    assert_eq!(titles(&res), ["Bob: jammed", "Carol: payslips"]);
    let bob_row = data(&res)["portalIncidents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["title"] == "Bob: jammed")
        .unwrap()
        .clone();
    assert_eq!(bob_row["mine"], false);
    assert_eq!(bob_row["requester"]["email"], "bob@initech.test");
    let res = carol
        .gql(
            UPDATE_MINE,
            json!({ "id": bobs_id, "t": "Bob: jammed (checked by Carol)" }),
        )
        .await;
    assert_eq!(
        data(&res)["updatePortalIncident"]["incident"]["status"],
        "CLOSED"
    );

    // Everyone else sees only their own.
    let res = bob.gql(MY_INCIDENTS, json!({})).await;
    assert_eq!(titles(&res), ["Bob: jammed (checked by Carol)"]);
    let res = ann.gql(MY_INCIDENTS, json!({})).await;
    assert_eq!(titles(&res), ["Ann: wifi down"]);
    for (client, id) in [(&bob, &carols_id), (&ann, &bobs_id)] {
        let res = client
            .gql(
                "query($id: ID!) { portalIncident(id: $id) { title } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{res}");
        let res = client
            .gql(UPDATE_MINE, json!({ "id": id, "t": "mine now" }))
            .await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{res}");
    }
    let res = bob
        .gql(UPDATE_MINE, json!({ "id": bobs_id, "t": "Bob: fixed" }))
        .await;
    assert_eq!(
        data(&res)["updatePortalIncident"]["incident"]["title"],
        "Bob: fixed"
    );

    // A lowered level counts from the customer's next request.
    set_level(&admin, &carol_id, "STANDARD").await;
    let res = carol.gql(MY_INCIDENTS, json!({})).await;
    assert_eq!(titles(&res), ["Carol: payslips"]);
    let res = carol
        .gql(UPDATE_MINE, json!({ "id": bobs_id, "t": "x" }))
        .await;
    assert_eq!(error_code(&res), "NOT_FOUND");
    assert_eq!(
        submit(&carol, payroll, "Carol: again").await["userErrors"][0]["code"],
        "NOT_ALLOWED",
        "STANDARD: company services are no longer hers"
    );
    set_level(&admin, &carol_id, "NO_ACCESS").await;
    for doc in [ME, MY_INCIDENTS] {
        let res = carol.gql(doc, json!({})).await;
        assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    }
    let res = server
        .anonymous()
        .gql(
            LOGIN,
            json!({ "input": { "accountId": s.account, "email": "carol@initech.test", "password": "a long portal password" } }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "NO_ACCESS cannot sign in");

    // Staff see and manage everything.
    let res = admin
        .gql(
            "{ incidents(first: 50) { totalCount nodes { title status customer { email } service { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["incidents"]["totalCount"], 3);
    let res = admin
        .gql(
            "mutation($id: ID!) { updateIncident(input: { id: $id, status: IN_PROGRESS }) { incident { status } } }",
            json!({ "id": carols_id }),
        )
        .await;
    assert_eq!(
        data(&res)["updateIncident"]["incident"]["status"],
        "IN_PROGRESS"
    );

    // A deleted customer's incidents stay, without the person.
    let res = admin
        .gql(
            "mutation($id: ID!) { deleteCustomer(id: $id) { deletedCustomerId } }",
            json!({ "id": bob_id }),
        )
        .await;
    assert_eq!(data(&res)["deleteCustomer"]["deletedCustomerId"], bob_id);
    let res = admin
        .gql(
            "query($id: ID!) { incident(id: $id) { title customer { email } service { name } } }",
            json!({ "id": bobs_id }),
        )
        .await;
    assert_eq!(
        data(&res)["incident"],
        json!({ "title": "Bob: fixed", "customer": null, "service": { "name": "Printers" } })
    );
    let res = bob.gql(ME, json!({})).await;
    assert_eq!(
        error_code(&res),
        "UNAUTHENTICATED",
        "the session went with the customer"
    );
}

#[tokio::test]
async fn portal_sessions_reach_only_portal_fields() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let s = setup(&admin).await;
    let (ann, ann_id) = sign_up(&server, &s.account, "Ann", "ann@example.com").await;
    let staff_only = [
        ("{ viewer { email } }", json!({})),
        ("{ customers(first: 5) { totalCount } }", json!({})),
        ("{ companies(first: 5) { totalCount } }", json!({})),
        ("{ services(first: 5) { totalCount } }", json!({})),
        ("{ contacts(first: 5) { totalCount } }", json!({})),
        ("{ incidents(first: 5) { totalCount } }", json!({})),
        ("{ importJobs(first: 5) { totalCount } }", json!({})),
        ("query($id: ID!) { customer(id: $id) { email } }", json!({ "id": ann_id })),
        (
            "mutation { createCustomer(input: { firstName: \"X\", email: \"x@example.com\" }) { userErrors { code } } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { deleteCustomer(id: $id) { deletedCustomerId } }",
            json!({ "id": ann_id }),
        ),
        (
            "mutation { createIncident(input: { title: \"X\" }) { userErrors { code } } }",
            json!({}),
        ),
        (
            "mutation { setPortalSelfRegistration(enabled: false) { account { id } } }",
            json!({}),
        ),
        ("mutation { logout { ended } }", json!({})),
    ];
    for (doc, vars) in staff_only {
        let res = ann.gql(doc, vars).await;
        assert_eq!(error_code(&res), "FORBIDDEN", "{doc}: {res}");
    }
    // `node` answers a portal session only for its own views: a customer
    // record (even its own) is not one.
    let res = ann
        .gql(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": ann_id }),
        )
        .await;
    assert_eq!(error_code(&res), "NOT_FOUND", "{res}");
    // Staff sessions do not use the portal's fields, and nobody does
    // without signing in.
    let res = admin.gql(ME, json!({})).await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = server.anonymous().gql(MY_INCIDENTS, json!({})).await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
    // Ann's customer record is unchanged.
    let res = admin
        .gql(
            "query($id: ID!) { customer(id: $id) { email } }",
            json!({ "id": ann_id }),
        )
        .await;
    assert_eq!(data(&res)["customer"]["email"], "ann@example.com");
    // Nor the CSV export.
    let res = server
        .http
        .get(server.url("/exports/customers.csv"))
        .bearer_auth(ann.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Logging out ends the portal session.
    let res = ann
        .gql("mutation { portalLogout { ended } }", json!({}))
        .await;
    assert_eq!(data(&res)["portalLogout"]["ended"], true);
    let res = ann.gql(ME, json!({})).await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
}

#[tokio::test]
async fn sign_up_and_sign_in_rules() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let s = setup(&admin).await;
    let anonymous = server.anonymous();
    let sign_up_with = |email: &str, password: &str| json!({ "input": { "accountId": s.account, "firstName": "Pat", "lastName": "Lee", "email": email, "password": password } });

    let res = admin
        .gql(
            "mutation { addToDenylist(input: { email: \"spam@example.com\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert!(res.get("errors").is_none(), "{res}");
    let cases = [
        (
            sign_up_with("pat@example", "a long portal password"),
            "email",
            "INVALID",
        ),
        (
            sign_up_with("pat@example.com", "short"),
            "password",
            "TOO_SHORT",
        ),
    ];
    for (vars, field, code) in cases {
        let res = anonymous.gql(SIGN_UP, vars).await;
        let payload = &data(&res)["portalSignUp"];
        assert!(payload["token"].is_null());
        assert_eq!(payload["confirmationSent"], false, "{res}");
        assert_eq!(payload["userErrors"][0]["field"], json!([field]), "{res}");
        assert_eq!(payload["userErrors"][0]["code"], code, "{res}");
    }
    let res = anonymous
        .gql(
            SIGN_UP,
            sign_up_with("pat@example.com", "a long portal password"),
        )
        .await;
    assert_eq!(
        data(&res)["portalSignUp"]["confirmationSent"],
        true,
        "{res}"
    );
    assert!(data(&res)["portalSignUp"]["token"].is_null(), "{res}");
    let token = mailed_token(&server, "pat@example.com", 1).await;
    // A denylisted address gets the same answer, and no mail (it was asked
    // for before pat's, whose mail has arrived).
    let denied = anonymous
        .gql(
            SIGN_UP,
            sign_up_with("spam@example.com", "a long portal password"),
        )
        .await;
    assert_eq!(
        data(&denied)["portalSignUp"],
        json!({ "token": null, "confirmationSent": true, "customer": null, "userErrors": [] }),
        "{denied}"
    );
    // No customer exists until the link is opened.
    let res = anonymous
        .gql(LOGIN, json!({ "input": { "accountId": s.account, "email": "pat@example.com", "password": "a long portal password" } }))
        .await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED", "{res}");
    let res = anonymous.gql(CONFIRM, json!({ "token": token })).await;
    assert!(
        data(&res)["portalConfirmSignUp"]["token"].is_string(),
        "{res}"
    );
    assert_eq!(
        data(&res)["portalConfirmSignUp"]["customer"]["email"],
        "pat@example.com"
    );
    // The link works once.
    let res = anonymous.gql(CONFIRM, json!({ "token": token })).await;
    assert_eq!(
        data(&res)["portalConfirmSignUp"]["userErrors"][0]["code"],
        "INVALID",
        "{res}"
    );
    // A known address gets the same answer as a new one, and a notice by
    // mail instead of a link.
    let res = anonymous
        .gql(
            SIGN_UP,
            sign_up_with("PAT@example.com", "another long password"),
        )
        .await;
    assert_eq!(
        data(&res)["portalSignUp"],
        json!({ "token": null, "confirmationSent": true, "customer": null, "userErrors": [] }),
        "{res}"
    );
    let notice = crate::mail::wait_for_mail_to(&outbox(&server), "pat@example.com", 2).await;
    assert!(
        notice[1].text.contains("already has an account"),
        "{}",
        notice[1].text
    );
    assert!(!notice[1].text.contains("token="), "{}", notice[1].text);
    let all = crate::mail::wait_for_mail(&outbox(&server), 2).await;
    assert!(
        all.iter().all(|m| !m.to.contains("spam@example.com")),
        "a denylisted address got mail"
    );

    // Signing in: case-insensitive email; a wrong password, an unknown
    // email and an unknown account are refused.
    let login = |account: &str, email: &str, password: &str| json!({ "input": { "accountId": account, "email": email, "password": password } });
    let res = anonymous
        .gql(
            LOGIN,
            login(&s.account, "Pat@Example.com", "a long portal password"),
        )
        .await;
    assert_eq!(
        data(&res)["portalLogin"]["customer"]["email"],
        "pat@example.com"
    );
    for (vars, code) in [
        (
            login(&s.account, "pat@example.com", "wrong password!"),
            "UNAUTHENTICATED",
        ),
        (
            login(&s.account, "nobody@example.com", "a long portal password"),
            "UNAUTHENTICATED",
        ),
        (
            login(&s.company, "pat@example.com", "a long portal password"),
            "NOT_FOUND",
        ),
    ] {
        let res = anonymous.gql(LOGIN, vars).await;
        assert_eq!(error_code(&res), code, "{res}");
    }
    // Customers created by staff have no portal password until activated.
    let res = admin
        .gql(
            "mutation { createCustomer(input: { firstName: \"Sam\", email: \"sam@example.com\", portalAccess: STANDARD }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["createCustomer"]["userErrors"], json!([]));
    let res = anonymous
        .gql(LOGIN, login(&s.account, "sam@example.com", ""))
        .await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED");

    // Self-registration can be switched off, by admins only.
    let member = server.staff("MEMBER", "member@acme.test").await;
    let off = "mutation { setPortalSelfRegistration(enabled: false) { account { portalSelfRegistration } } }";
    let res = member.gql(off, json!({})).await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = admin.gql(off, json!({})).await;
    assert_eq!(
        data(&res)["setPortalSelfRegistration"]["account"]["portalSelfRegistration"],
        false
    );
    let res = anonymous
        .gql(
            SIGN_UP,
            sign_up_with("new@example.com", "a long portal password"),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN");
}

#[tokio::test]
async fn the_portal_is_isolated_between_accounts() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let s = setup(&admin).await;
    let other = server.other_account().await;
    let globex = setup(&other).await;
    let (ann, _) = sign_up(&server, &s.account, "Ann", "ann@example.com").await;
    let (gus, gus_id) = sign_up(&server, &globex.account, "Gus", "gus@globex.test").await;
    join_company(&other, &gus_id, &globex.company, "COMPANY").await;
    let gus_incident = submit(&gus, &globex.services[1], "Gus: printer").await;
    let gus_incident = gus_incident["incident"]["id"].as_str().unwrap().to_owned();

    // Gus's credentials do not open Acme's portal.
    let res = server
        .anonymous()
        .gql(
            LOGIN,
            json!({ "input": { "accountId": s.account, "email": "gus@globex.test", "password": "a long portal password" } }),
        )
        .await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
    // Ann can neither use Globex's services nor see its incidents.
    let res = submit(&ann, &globex.services[1], "Ann: sneaky").await;
    assert_eq!(res["userErrors"][0]["code"], "NOT_FOUND", "{res}");
    for doc in [
        "query($id: ID!) { portalIncident(id: $id) { title } }",
        "mutation($id: ID!) { updatePortalIncident(input: { id: $id, title: \"mine\" }) { incident { title } } }",
    ] {
        let res = ann.gql(doc, json!({ "id": gus_incident })).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{res}");
    }
    // Acme's staff neither.
    let res = admin
        .gql(
            "query($id: ID!) { incident(id: $id) { title } }",
            json!({ "id": gus_incident }),
        )
        .await;
    assert_eq!(error_code(&res), "NOT_FOUND");
    for doc in [
        "mutation($id: ID!) { updateIncident(input: { id: $id, title: \"x\" }) { incident { title } } }",
        "mutation($id: ID!) { deleteIncident(id: $id) { deletedIncidentId } }",
    ] {
        let res = admin.gql(doc, json!({ "id": gus_incident })).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{res}");
    }
    let res = admin
        .gql("{ incidents(first: 10) { totalCount } }", json!({}))
        .await;
    assert_eq!(data(&res)["incidents"]["totalCount"], 0);
    let res = admin
        .gql(
            "mutation($c: ID!) { createIncident(input: { title: \"x\", customerId: $c }) { userErrors { field code } } }",
            json!({ "c": gus_id }),
        )
        .await;
    assert_eq!(
        data(&res)["createIncident"]["userErrors"],
        json!([{ "field": ["customerId"], "code": "NOT_FOUND" }])
    );
    // Gus's incident is untouched.
    let res = gus.gql(MY_INCIDENTS, json!({})).await;
    assert_eq!(titles(&res), ["Gus: printer"]);
}

#[tokio::test]
async fn incident_pages_are_batched() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let s = setup(&admin).await;
    let mut customers = Vec::new();
    for i in 0..3 {
        let (client, id) =
            sign_up(&server, &s.account, "Emp", &format!("emp{i}@initech.test")).await;
        join_company(&admin, &id, &s.company, "COMPANY_ADMIN").await;
        customers.push(client);
    }
    for i in 0..30 {
        let client = &customers[i % 3];
        let res = submit(client, &s.services[1 + i % 2], &format!("Incident {i}")).await;
        assert_eq!(res["userErrors"], json!([]), "{res}");
    }
    let staff = "query($n: Int!) { incidents(first: $n) { nodes { title customer { email company { name } } service { name } } } }";
    let portal = "query($n: Int!) { portalIncidents(first: $n) { nodes { title mine requester { email } service { name } } } }";
    for (client, doc, field) in [
        (&admin, staff, "incidents"),
        (&customers[0], portal, "portalIncidents"),
    ] {
        let mut figures = Vec::new();
        for n in [3, 30] {
            let (res, statements) = server.counted(client, doc, json!({ "n": n })).await;
            let nodes = data(&res)[field]["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), n as usize, "{res}");
            assert!(nodes.iter().all(|i| i["service"]["name"].is_string()));
            figures.push(statements);
        }
        assert_eq!(
            figures[0], figures[1],
            "{field}: statements grew with the page size: {figures:?}"
        );
    }
}

#[tokio::test]
async fn a_portal_session_fetches_its_own_views_through_node() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let s = setup(&admin).await;
    let [_, printers, payroll] = &s.services;
    let (bob, bob_id) = sign_up(&server, &s.account, "Bob", "bob@initech.test").await;
    join_company(&admin, &bob_id, &s.company, "COMPANY").await;
    let (carol, carol_id) = sign_up(&server, &s.account, "Carol", "carol@initech.test").await;
    join_company(&admin, &carol_id, &s.company, "COMPANY").await;
    let bobs = submit(&bob, printers, "Bob: jammed").await;
    let bobs_id = bobs["incident"]["id"].as_str().unwrap().to_owned();

    const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id
      ... on PortalIncident { title mine }
      ... on PortalService { name } } }";
    let res = bob.gql(NODE, json!({ "id": bobs_id })).await;
    assert_eq!(
        data(&res)["node"],
        json!({ "__typename": "PortalIncident", "id": bobs_id, "title": "Bob: jammed", "mine": true }),
        "{res}"
    );
    let res = bob.gql(NODE, json!({ "id": payroll })).await;
    assert_eq!(data(&res)["node"]["__typename"], "PortalService", "{res}");
    assert_eq!(data(&res)["node"]["name"], "Payroll");

    // Outside its reach, and staff objects: NOT_FOUND, as for another
    // account's ids.
    for id in [
        bobs_id.as_str(),
        s.company.as_str(),
        bob_id.as_str(),
        s.account.as_str(),
    ] {
        let res = carol.gql(NODE, json!({ "id": id })).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{id}: {res}");
    }
    let res = bob.gql(NODE, json!({ "id": s.services[0] })).await;
    assert_eq!(
        error_code(&res),
        "NOT_FOUND",
        "a service Bob cannot submit on: {res}"
    );
    // Staff still get the staff types.
    let res = admin.gql(NODE, json!({ "id": bobs_id })).await;
    assert_eq!(data(&res)["node"]["__typename"], "Incident", "{res}");
}
