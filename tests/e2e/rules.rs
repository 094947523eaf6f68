//! Rules that held for one way in but not another (issue 14): portal
//! access through `createCustomer` / `updateCustomer` needs the permission
//! `setPortalAccess` needs, and a staff incident's service must be one the
//! customer has.

use serde_json::{json, Value};

use crate::harness::*;

#[tokio::test]
async fn members_cannot_give_portal_access_through_customer_mutations() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let member = server.staff("MEMBER", "member@acme.test").await;

    // The way members are refused today.
    let create = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
        customer { id portalAccess } userErrors { code } } }";
    let res = member
        .gql(
            create,
            json!({ "input": { "firstName": "Ann", "email": "ann@x.test", "portalAccess": "STANDARD" } }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    let res = admin
        .gql(
            "query { customerByEmail(email: \"ann@x.test\") { id } }",
            json!({}),
        )
        .await;
    assert!(
        data(&res)["customerByEmail"].is_null(),
        "nothing was created: {res}"
    );

    // Without portal access a member creates customers as before.
    let res = member
        .gql(
            create,
            json!({ "input": { "firstName": "Bob", "email": "bob@x.test" } }),
        )
        .await;
    let id = data(&res)["createCustomer"]["customer"]["id"].clone();
    assert_eq!(
        data(&res)["createCustomer"]["customer"]["portalAccess"],
        "NO_ACCESS"
    );

    let update = "mutation($id: ID!, $level: PortalAccessLevel, $title: String) {
        updateCustomer(input: { id: $id, portalAccess: $level, jobTitle: $title }) {
          customer { portalAccess jobTitle } userErrors { code } } }";
    let res = member
        .gql(update, json!({ "id": id, "level": "COMPANY_ADMIN" }))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    let res = member
        .gql(update, json!({ "id": id, "title": "Buyer" }))
        .await;
    assert_eq!(
        data(&res)["updateCustomer"]["customer"]["portalAccess"],
        "NO_ACCESS"
    );
    assert_eq!(
        data(&res)["updateCustomer"]["customer"]["jobTitle"],
        "Buyer"
    );

    // Admins may.
    let res = admin
        .gql(update, json!({ "id": id, "level": "STANDARD" }))
        .await;
    assert_eq!(
        data(&res)["updateCustomer"]["customer"]["portalAccess"],
        "STANDARD",
        "{res}"
    );
    let res = admin
        .gql(
            create,
            json!({ "input": { "firstName": "Cy", "email": "cy@x.test", "portalAccess": "COMPANY" } }),
        )
        .await;
    assert_eq!(
        data(&res)["createCustomer"]["customer"]["portalAccess"],
        "COMPANY",
        "{res}"
    );
}

#[tokio::test]
async fn a_staff_incident_names_a_service_the_customer_has() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let res = admin
        .gql(
            "mutation { a: createService(input: { name: \"Granted\" }) { service { id } }
                        b: createService(input: { name: \"Company's\" }) { service { id } }
                        c: createService(input: { name: \"Other\" }) { service { id } } }",
            json!({}),
        )
        .await;
    let granted = data(&res)["a"]["service"]["id"].clone();
    let companys = data(&res)["b"]["service"]["id"].clone();
    let other = data(&res)["c"]["service"]["id"].clone();
    let res = admin
        .gql(
            "mutation($s: [ID!]!) { createCompany(input: { name: \"Initech\", serviceIds: $s }) { company { id } } }",
            json!({ "s": [granted.clone(), companys.clone()] }),
        )
        .await;
    let company = data(&res)["createCompany"]["company"]["id"].clone();
    let res = admin
        .gql(
            "mutation($c: ID!, $s: ID!) { createCustomer(input: { firstName: \"Ann\", email: \"ann@x.test\", companyId: $c, services: [{ serviceId: $s }] }) { customer { id } userErrors { code } } }",
            json!({ "c": company, "s": granted }),
        )
        .await;
    let customer = data(&res)["createCustomer"]["customer"]["id"].clone();
    let res = admin
        .gql(
            "mutation($s: ID!) { createCustomer(input: { firstName: \"Loner\", email: \"loner@x.test\", services: [{ serviceId: $s }] }) { customer { id } } }",
            json!({ "s": other }),
        )
        .await;
    let loner = data(&res)["createCustomer"]["customer"]["id"].clone();

    let incident = "mutation($c: ID!, $s: ID!) { createIncident(input: { title: \"Broken\", customerId: $c, serviceId: $s }) {
        incident { id } userErrors { field code } } }";
    for (who, service, allowed) in [
        (&customer, &granted, true),
        (&customer, &companys, true),
        (&customer, &other, false),
        (&loner, &other, true),
        (&loner, &granted, false),
    ] {
        let res = admin.gql(incident, json!({ "c": who, "s": service })).await;
        let payload = &data(&res)["createIncident"];
        if allowed {
            assert_eq!(payload["userErrors"], json!([]), "{res}");
        } else {
            assert_eq!(
                payload["userErrors"],
                json!([{ "field": ["serviceId"], "code": "NOT_ALLOWED" }]),
                "{res}"
            );
            assert!(payload["incident"].is_null());
        }
    }

    // Moving the incident keeps it on the customer's services, as
    // `createIncident` does (it moved anywhere before).
    let res = admin
        .gql(incident, json!({ "c": customer, "s": granted }))
        .await;
    let id = data(&res)["createIncident"]["incident"]["id"].clone();
    let update = "mutation($id: ID!, $s: ID!) { updateIncident(input: { id: $id, serviceId: $s }) {
        incident { service { name } } userErrors { field code } } }";
    let res = admin.gql(update, json!({ "id": id, "s": other })).await;
    assert_eq!(
        data(&res)["updateIncident"]["userErrors"],
        json!([{ "field": ["serviceId"], "code": "NOT_ALLOWED" }]),
        "{res}"
    );
    let res = admin.gql(update, json!({ "id": id, "s": companys })).await;
    assert_eq!(
        data(&res)["updateIncident"]["incident"]["service"]["name"],
        "Company's",
        "{res}"
    );
}

#[tokio::test]
async fn two_super_admins_demoting_each_other_at_once_leave_one() {
    let server = TestServer::start().await;
    let owner = server.super_admin().await;
    let second = server.staff("SUPER_ADMIN", "second@acme.test").await;
    let owner_id = user_id(&owner, ADMIN_EMAIL).await;
    let second_id = user_id(&owner, "second@acme.test").await;
    let demote = "mutation($id: ID!) { setUserRole(input: { id: $id, role: ADMIN }) { userErrors { code } } }";
    let promote = "mutation($id: ID!) { setUserRole(input: { id: $id, role: SUPER_ADMIN }) { userErrors { code } } }";
    let count = "{ users(filter: { roles: [SUPER_ADMIN] }) { totalCount nodes { email } } }";
    for round in 0..10 {
        let (a, b) = tokio::join!(
            owner.gql(demote, json!({ "id": second_id })),
            second.gql(demote, json!({ "id": owner_id })),
        );
        let _ = (a, b);
        // Whoever is left promotes the other back for the next round.
        let res = owner.gql(count, json!({})).await;
        let res = if res.get("errors").is_some() {
            second.gql(count, json!({})).await
        } else {
            res
        };
        let left = data(&res)["users"]["totalCount"].as_i64().unwrap();
        assert_eq!(left, 1, "round {round}: {res}");
        let survivor = data(&res)["users"]["nodes"][0]["email"].clone();
        let (by, other) = if survivor == ADMIN_EMAIL {
            (&owner, &second_id)
        } else {
            (&second, &owner_id)
        };
        let res = by.gql(promote, json!({ "id": other })).await;
        assert_eq!(data(&res)["setUserRole"]["userErrors"], json!([]), "{res}");
    }
}

#[tokio::test]
async fn a_group_limited_manager_cannot_bring_outsiders_into_their_groups() {
    let server = TestServer::start().await;
    let owner = server.super_admin().await;
    let manager = server.staff("MEMBER", "manager@acme.test").await;
    server.staff("MEMBER", "inside@acme.test").await;
    server.staff("MEMBER", "outside@acme.test").await;
    let (manager_id, inside, outside) = (
        user_id(&owner, "manager@acme.test").await,
        user_id(&owner, "inside@acme.test").await,
        user_id(&owner, "outside@acme.test").await,
    );
    let res = owner
        .gql(
            "mutation { g: createGroup(input: { name: \"Berlin\" }) { group { id } }
                        h: createGroup(input: { name: \"Paris\" }) { group { id } } }",
            json!({}),
        )
        .await;
    let berlin = data(&res)["g"]["group"]["id"].clone();
    let paris = data(&res)["h"]["group"]["id"].clone();
    let add = "mutation($g: ID!, $u: [ID!]!) { addGroupMembers(input: { groupId: $g, userIds: $u }) { userErrors { code } } }";
    let res = owner
        .gql(add, json!({ "g": paris, "u": [inside.clone()] }))
        .await;
    assert_eq!(
        data(&res)["addGroupMembers"]["userErrors"],
        json!([]),
        "{res}"
    );
    let res = owner
        .gql(
            "mutation($u: ID!, $g: [ID!]) { grantManagerPermission(input: { userId: $u, permission: ADD_DELETE_GROUPS, groupIds: $g }) { userErrors { code } } }",
            json!({ "u": manager_id, "g": [berlin.clone(), paris.clone()] }),
        )
        .await;
    assert_eq!(
        data(&res)["grantManagerPermission"]["userErrors"],
        json!([]),
        "{res}"
    );

    // Someone outside the manager's groups: refused, and not added.
    let res = manager
        .gql(add, json!({ "g": berlin, "u": [outside.clone()] }))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    let res = owner
        .gql(
            "query($g: ID!) { users(filter: { groupId: $g }) { totalCount } }",
            json!({ "g": berlin }),
        )
        .await;
    assert_eq!(data(&res)["users"]["totalCount"], 0, "{res}");
    // Someone already in one of their groups: allowed.
    let res = manager
        .gql(add, json!({ "g": berlin, "u": [inside] }))
        .await;
    assert_eq!(
        data(&res)["addGroupMembers"]["userErrors"],
        json!([]),
        "{res}"
    );
}

#[tokio::test]
async fn a_group_limited_manager_sees_and_resends_only_their_groups_invitations() {
    let server = TestServer::start().await;
    let owner = server.super_admin().await;
    let manager = server.staff("MEMBER", "manager@acme.test").await;
    let manager_id = user_id(&owner, "manager@acme.test").await;
    let res = owner
        .gql(
            "mutation { createGroup(input: { name: \"Paris\" }) { group { id } } }",
            json!({}),
        )
        .await;
    let paris = data(&res)["createGroup"]["group"]["id"].clone();
    let add = "mutation($u: [NewUser!]!, $g: [ID!]!) { addUsers(input: { users: $u, groupIds: $g }) { userErrors { message } } }";
    let res = owner
        .gql(add, json!({ "u": [{ "firstName": "In", "lastName": "Side", "email": "in@acme.test" }], "g": [paris.clone()] }))
        .await;
    assert_eq!(data(&res)["addUsers"]["userErrors"], json!([]), "{res}");
    let res = owner
        .gql(add, json!({ "u": [{ "firstName": "Out", "lastName": "Side", "email": "out@acme.test" }], "g": [] }))
        .await;
    assert_eq!(data(&res)["addUsers"]["userErrors"], json!([]), "{res}");
    let res = owner
        .gql(
            "mutation($u: ID!, $g: [ID!]) { grantManagerPermission(input: { userId: $u, permission: ADD_DELETE_USERS, groupIds: $g }) { userErrors { code } } }",
            json!({ "u": manager_id, "g": [paris] }),
        )
        .await;
    assert_eq!(
        data(&res)["grantManagerPermission"]["userErrors"],
        json!([]),
        "{res}"
    );

    let list = "{ invitations(filter: { kinds: [WELCOME] }) { nodes { id email } } }";
    let res = owner.gql(list, json!({})).await;
    let all = data(&res)["invitations"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let outside = all
        .iter()
        .find(|i| i["email"] == "out@acme.test")
        .unwrap_or_else(|| panic!("{res}"))["id"]
        .clone();
    let inside = all.iter().find(|i| i["email"] == "in@acme.test").unwrap()["id"].clone();

    let res = manager.gql(list, json!({})).await;
    let emails: Vec<&str> = data(&res)["invitations"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["in@acme.test"], "{res}");

    let resend = "mutation($id: ID!) { resendInvitation(id: $id) { invitation { email } userErrors { code } } }";
    let res = manager.gql(resend, json!({ "id": outside })).await;
    assert_eq!(error_code(&res), "NOT_FOUND", "{res}");
    let res = manager.gql(resend, json!({ "id": inside })).await;
    assert_eq!(
        data(&res)["resendInvitation"]["invitation"]["email"],
        "in@acme.test",
        "{res}"
    );
    let res = manager
        .gql(
            "mutation($id: ID!) { revokeInvitation(id: $id) { userErrors { code } } }",
            json!({ "id": outside }),
        )
        .await;
    assert_eq!(error_code(&res), "NOT_FOUND", "{res}");
}

#[tokio::test]
async fn an_import_that_moves_a_customer_to_another_company_moves_their_services() {
    use crate::imports::{confirm, started, wait_for};
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let res = admin
        .gql(
            "mutation { p: createService(input: { name: \"Phones\" }) { service { id } }
                        c: createService(input: { name: \"Chat\" }) { service { id } } }",
            json!({}),
        )
        .await;
    let (phones, chat) = (
        data(&res)["p"]["service"]["id"].clone(),
        data(&res)["c"]["service"]["id"].clone(),
    );
    let res = admin
        .gql(
            "mutation($p: ID!, $c: ID!) { a: createCompany(input: { name: \"Alpha\", serviceIds: [$p] }) { userErrors { code } }
                                          b: createCompany(input: { name: \"Beta\", serviceIds: [$c] }) { userErrors { code } } }",
            json!({ "p": phones, "c": chat }),
        )
        .await;
    assert_eq!(data(&res)["a"]["userErrors"], json!([]), "{res}");
    let services = "{ customerByEmail(email: \"xena@x.test\") { company { name } serviceAccess { service { name } } } }";

    let id = started(
        &admin,
        b"first_name,email,Company\nXena,xena@x.test,Alpha\n",
        json!({}),
    )
    .await;
    wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    confirm(&admin, &id).await;
    wait_for(&admin, &id, "COMPLETED").await;
    let res = admin.gql(services, json!({})).await;
    assert_eq!(
        data(&res)["customerByEmail"],
        json!({ "company": { "name": "Alpha" }, "serviceAccess": [{ "service": { "name": "Phones" } }] })
    );

    // Moved by an import in update mode, as `updateCustomer` moves them:
    // the services Beta does not have go.
    let id = started(
        &admin,
        b"first_name,email,Company\nXena,xena@x.test,Beta\n",
        json!({ "duplicates": "UPDATE" }),
    )
    .await;
    wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    confirm(&admin, &id).await;
    let done = wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(done["updated"], 1, "{done}");
    let res = admin.gql(services, json!({})).await;
    assert_eq!(
        data(&res)["customerByEmail"],
        json!({ "company": { "name": "Beta" }, "serviceAccess": [{ "service": { "name": "Chat" } }] })
    );
}

#[tokio::test]
async fn an_email_denylisted_after_the_preview_is_not_imported() {
    use crate::imports::{confirm, started, wait_for};
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let id = started(
        &admin,
        b"first_name,email\nYves,yves@x.test\nZoe,zoe@x.test\n",
        json!({}),
    )
    .await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(preview["toCreate"], 2, "{preview}");
    let res = admin
        .gql(
            "mutation { addToDenylist(input: { email: \"YVES@x.test\" }) { changed } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["addToDenylist"]["changed"], true, "{res}");
    confirm(&admin, &id).await;
    let done = wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(
        (done["created"].as_i64(), done["failed"].as_i64()),
        (Some(1), Some(1)),
        "{done}"
    );
    let res = admin
        .gql(
            "{ y: customerByEmail(email: \"yves@x.test\") { id } z: customerByEmail(email: \"zoe@x.test\") { firstName } }",
            json!({}),
        )
        .await;
    assert!(data(&res)["y"].is_null(), "{res}");
    assert_eq!(data(&res)["z"]["firstName"], "Zoe");
}

#[tokio::test]
async fn an_import_sets_time_zone_and_locale_as_the_mutations_do() {
    use crate::imports::{confirm, started, wait_for};
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let csv = b"first_name,email,time_zone,Locale\nTess,tess@x.test,Europe/Berlin,DE\nUma,uma@x.test,Mars/Olympus,en\nVic,vic@x.test,,xx\n";
    let id = started(&admin, csv, json!({})).await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(
        (preview["toCreate"].as_i64(), preview["errorCount"].as_i64()),
        (Some(1), Some(2)),
        "{preview}"
    );
    let res = admin
        .gql(
            "query($id: ID!) { importJob(id: $id) { unknownColumns rows(first: 10) { nodes { rowNumber issues { column } } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&res)["importJob"]["unknownColumns"],
        json!([]),
        "{res}"
    );
    let columns: Vec<Value> = data(&res)["importJob"]["rows"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .filter(|r| r["issues"] != json!([]))
        .map(|r| r["issues"][0]["column"].clone())
        .collect();
    assert_eq!(columns, vec![json!("time_zone"), json!("locale")], "{res}");
    confirm(&admin, &id).await;
    wait_for(&admin, &id, "COMPLETED").await;
    let res = admin
        .gql(
            "{ customerByEmail(email: \"tess@x.test\") { timeZone locale } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res)["customerByEmail"],
        json!({ "timeZone": "Europe/Berlin", "locale": "de" })
    );

    // Update mode changes them too.
    let id = started(
        &admin,
        b"first_name,email,time_zone\nTess,tess@x.test,America/New_York\n",
        json!({ "duplicates": "UPDATE" }),
    )
    .await;
    wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    confirm(&admin, &id).await;
    wait_for(&admin, &id, "COMPLETED").await;
    let res = admin
        .gql(
            "{ customerByEmail(email: \"tess@x.test\") { timeZone locale } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res)["customerByEmail"],
        json!({ "timeZone": "America/New_York", "locale": "de" })
    );
}

#[tokio::test]
async fn a_customer_deleted_after_the_preview_is_not_written_back() {
    use crate::imports::{confirm, started, wait_for};
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let res = admin
        .gql(
            "mutation { createCustomer(input: { firstName: \"Gus\", email: \"gus@x.test\" }) { customer { id } } }",
            json!({}),
        )
        .await;
    let gus = data(&res)["createCustomer"]["customer"]["id"].clone();
    let id = started(
        &admin,
        b"first_name,email,job_title\nGus,gus@x.test,Pilot\n",
        json!({ "duplicates": "UPDATE" }),
    )
    .await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(preview["toUpdate"].as_i64(), Some(1), "{preview}");
    let res = admin
        .gql(
            "mutation($id: ID!) { deleteCustomer(id: $id) { deletedCustomerId } }",
            json!({ "id": gus }),
        )
        .await;
    assert_eq!(data(&res)["deleteCustomer"]["deletedCustomerId"], gus);
    confirm(&admin, &id).await;
    let done = wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(done["updated"].as_i64(), Some(0), "{done}");
    // The row is accounted for: it failed, it did not vanish.
    assert_eq!(done["failed"].as_i64(), Some(1), "{done}");
    let res = admin
        .gql(
            "query($id: ID!) { importJob(id: $id) { rows(first: 10) { nodes { rowNumber action issues { code } } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&res)["importJob"]["rows"]["nodes"],
        json!([{ "rowNumber": 2, "action": "ERROR", "issues": [{ "code": "NOT_FOUND" }] }]),
        "{res}"
    );
    let res = admin
        .gql(
            "{ customerByEmail(email: \"gus@x.test\") { id } }",
            json!({}),
        )
        .await;
    assert!(data(&res)["customerByEmail"].is_null(), "{res}");
}
