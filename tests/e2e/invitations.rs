//! Invitations and email (issue 6): welcome mail as a file and over a real
//! SMTP server, accepting once, expiry, revocation, resending, transfers
//! accepted and declined, templates, the status subscription, isolation.

use serde_json::{json, Value};

use crate::{
    harness::*,
    mail::{wait_for_mail, SmtpServer},
};

const ADD: &str = "mutation($input: AddUsersInput!) { addUsers(input: $input) { addedCount users { id status } userErrors { field code message } } }";
const ACCEPT: &str = "mutation($t: String!, $p: String!) { acceptInvitation(input: { token: $t, password: $p }) { kind email accountName userErrors { field code message } } }";
const DECLINE: &str = "mutation($t: String!) { declineInvitation(input: { token: $t }) { kind userErrors { code message } } }";
const PASSWORD: &str = "a long new password";

fn outbox(server: &TestServer) -> std::path::PathBuf {
    server.db.dir.path().join("outbox")
}

async fn add(client: &Client, users: Value, extra: Value) -> Value {
    let mut input = json!({ "users": users });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    let res = client.gql(ADD, json!({ "input": input })).await;
    let payload = data(&res)["addUsers"].clone();
    assert_eq!(payload["userErrors"], json!([]), "{res}");
    payload
}

async fn accept(server: &TestServer, token: &str) -> Value {
    let res = server
        .anonymous()
        .gql(ACCEPT, json!({ "t": token, "p": PASSWORD }))
        .await;
    data(&res)["acceptInvitation"].clone()
}

async fn invitation_statuses(client: &Client) -> Vec<(String, String)> {
    let res = client
        .gql(
            "{ invitations(first: 50) { nodes { email status kind } } }",
            json!({}),
        )
        .await;
    data(&res)["invitations"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["email"].as_str().unwrap().to_owned(),
                n["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_welcome_mail_file_lets_the_user_sign_in_once() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let token = admin.token.clone().unwrap();
    let mut socket = open_socket(&server).await;
    send_json(&mut socket, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send_json(&mut socket, json!({ "id": "s", "type": "subscribe", "payload": { "query": "subscription { invitationStatus { email status kind } }" } })).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    add(
        &admin,
        json!([{ "firstName": "Zoé", "lastName": "Roux", "email": "zoe@acme.test" }]),
        json!({ "language": "fr" }),
    )
    .await;
    let mail = wait_for_mail(&outbox(&server), 1).await.remove(0);
    assert_eq!(mail.subject, "Bienvenue chez Acme", "{}", mail.raw);
    assert!(mail.to.contains("zoe@acme.test"));
    assert!(mail.text.contains("Bonjour Zoé Roux"), "{}", mail.text);

    let mut seen = Vec::new();
    while seen.len() < 2 {
        let msg = next_json(&mut socket).await;
        seen.push(
            msg["payload"]["data"]["invitationStatus"]["status"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(seen, ["PENDING", "SENT"]);

    // Not signed in yet: invited users have no password.
    let res = server
        .anonymous()
        .gql("mutation { login(email: \"zoe@acme.test\", password: \"a long new password\") { token } }", json!({}))
        .await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
    let accepted = accept(&server, &mail.token()).await;
    assert_eq!(
        accepted,
        json!({ "kind": "WELCOME", "email": "zoe@acme.test", "accountName": "Acme", "userErrors": [] })
    );
    let msg = next_json(&mut socket).await;
    assert_eq!(
        msg["payload"]["data"]["invitationStatus"]["status"],
        "ACCEPTED"
    );
    let zoe = server.with_token(&server.login("zoe@acme.test", PASSWORD).await);
    let res = zoe.gql("{ viewer { status email } }", json!({})).await;
    assert_eq!(
        data(&res)["viewer"],
        json!({ "status": "ACTIVE", "email": "zoe@acme.test" })
    );

    // The link works once.
    let again = accept(&server, &mail.token()).await;
    assert_eq!(again["userErrors"][0]["code"], "NOT_ALLOWED");
    assert_eq!(
        again["userErrors"][0]["message"],
        "this invitation was already used"
    );
    let bad = accept(&server, "rst_not-a-real-token-at-all-000000000000000000000").await;
    assert_eq!(bad["userErrors"][0]["code"], "INVALID");
    let res = server
        .http
        .get(server.url("/accept-invitation?token=x"))
        .send()
        .await
        .unwrap();
    assert!(
        res.text().await.unwrap().contains("acceptInvitation"),
        "the link's page accepts"
    );
}

#[tokio::test]
async fn mail_goes_through_a_real_smtp_server_in_the_users_language() {
    let smtp = SmtpServer::start().await;
    let db = bootstrapped().await;
    let server = TestServer::serve_with_env(
        db,
        &[
            ("SMTP_URL", &smtp.url()),
            ("ROSTER_MAIL_FROM", "Acme <it@acme.test>"),
        ],
    )
    .await;
    let admin = server.super_admin().await;
    add(
        &admin,
        json!([{ "firstName": "Jonas", "lastName": "Berg", "email": "jonas@acme.test" }]),
        json!({ "language": "de" }),
    )
    .await;
    // A customer given portal access with activation mail.
    let res = admin
        .gql("mutation { createCustomer(input: { firstName: \"Ana\", lastName: \"Silva\", email: \"ana@example.com\", locale: \"pt\" }) { customer { id } } }", json!({}))
        .await;
    let customer = data(&res)["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = admin
        .gql("mutation($id: ID!) { setPortalAccess(input: { customerIds: [$id], level: STANDARD, sendActivationEmails: true }) { changedCount } }", json!({ "id": customer }))
        .await;
    assert_eq!(data(&res)["setPortalAccess"]["changedCount"], 1);

    let mails = tokio::time::timeout(
        std::time::Duration::from_secs(45),
        wait_for_mail(&smtp.inbox(), 2),
    )
    .await
    .unwrap_or_else(|_| panic!("no mail; server log:\n{}", server.log()));
    let jonas = mails
        .iter()
        .find(|m| m.to.contains("jonas@acme.test"))
        .expect("welcome mail");
    let ana = mails
        .iter()
        .find(|m| m.to.contains("ana@example.com"))
        .expect("activation mail");
    assert_eq!(jonas.subject, "Willkommen bei Acme");
    assert!(jonas.raw.contains("it@acme.test"), "sender");
    assert_eq!(ana.subject, "Seu acesso ao portal de clientes de Acme");
    assert_eq!(
        accept(&server, &jonas.token()).await["userErrors"],
        json!([])
    );
    assert_eq!(
        accept(&server, &jonas.token()).await["userErrors"][0]["code"],
        "NOT_ALLOWED"
    );
    assert_eq!(
        accept(&server, &ana.token()).await["kind"],
        "PORTAL_ACTIVATION"
    );
    let account = {
        let res = admin.gql("{ viewer { account { id } } }", json!({})).await;
        data(&res)["viewer"]["account"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let res = server
        .anonymous()
        .gql("mutation($a: ID!) { portalLogin(input: { accountId: $a, email: \"ana@example.com\", password: \"a long new password\" }) { token } }", json!({ "a": account }))
        .await;
    assert!(data(&res)["portalLogin"]["token"].is_string(), "{res}");
    let statuses = invitation_statuses(&admin).await;
    assert!(
        statuses.iter().all(|(_, s)| s == "ACCEPTED"),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn expired_revoked_and_resent_invitations() {
    let db = TestDb::fresh().await;
    let out = roster(
        &db,
        &[
            "bootstrap",
            "--account",
            "Acme",
            "--email",
            ADMIN_EMAIL,
            "--password",
            ADMIN_PASSWORD,
        ],
        &[],
    )
    .await;
    assert!(out.status.success());
    let server = TestServer::serve_with_env(db, &[("ROSTER_INVITATION_TTL", "2s")]).await;
    let admin = server.super_admin().await;
    add(
        &admin,
        json!([{ "firstName": "Ex", "lastName": "Pired", "email": "ex@acme.test" }]),
        json!({}),
    )
    .await;
    let first = wait_for_mail(&outbox(&server), 1).await.remove(0);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let expired = accept(&server, &first.token()).await;
    assert_eq!(
        expired["userErrors"][0]["message"],
        "this invitation has expired; ask for a new one"
    );
    assert_eq!(
        invitation_statuses(&admin).await,
        vec![("ex@acme.test".to_owned(), "EXPIRED".to_owned())]
    );

    let res = admin
        .gql("{ invitations { nodes { id } } }", json!({}))
        .await;
    let id = data(&res)["invitations"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = admin.gql("mutation($id: ID!) { resendInvitation(id: $id) { invitation { status } userErrors { code } } }", json!({ "id": id })).await;
    assert_eq!(
        data(&res)["resendInvitation"]["invitation"]["status"],
        "PENDING"
    );
    let mails = wait_for_mail(&outbox(&server), 2).await;
    let second = mails
        .iter()
        .find(|m| m.token() != first.token())
        .expect("a new link")
        .clone();
    assert_eq!(
        accept(&server, &first.token()).await["userErrors"][0]["code"],
        "INVALID",
        "the old link is dead"
    );
    assert_eq!(
        accept(&server, &second.token()).await["userErrors"],
        json!([])
    );
    let res = admin
        .gql(
            "mutation($id: ID!) { resendInvitation(id: $id) { userErrors { code message } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&res)["resendInvitation"]["userErrors"][0]["code"],
        "NOT_ALLOWED",
        "accepted"
    );

    add(
        &admin,
        json!([{ "firstName": "Re", "lastName": "Voked", "email": "re@acme.test" }]),
        json!({}),
    )
    .await;
    let mails = wait_for_mail(&outbox(&server), 3).await;
    let revoked_mail = mails
        .iter()
        .find(|m| m.to.contains("re@acme.test"))
        .unwrap()
        .clone();
    let res = admin
        .gql(
            "{ invitations(filter: { statuses: [PENDING, SENT] }) { nodes { id email } } }",
            json!({}),
        )
        .await;
    let id = data(&res)["invitations"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = admin
        .gql(
            "mutation($id: ID!) { revokeInvitation(id: $id) { invitation { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&res)["revokeInvitation"]["invitation"]["status"],
        "REVOKED"
    );
    assert_eq!(
        accept(&server, &revoked_mail.token()).await["userErrors"][0]["message"],
        "this invitation was withdrawn"
    );
}

#[tokio::test]
async fn transfers_accepted_and_declined() {
    let server = TestServer::start().await;
    let acme = server.super_admin().await;
    let globex = server.other_account().await;
    // Two users of Globex, signed in there.
    add(
        &globex,
        json!([
            { "firstName": "Gus", "lastName": "Moves", "email": "gus@globex.test" },
            { "firstName": "Hal", "lastName": "Stays", "email": "hal@globex.test" }
        ]),
        json!({}),
    )
    .await;
    let mails = wait_for_mail(&outbox(&server), 2).await;
    for m in &mails {
        assert_eq!(accept(&server, &m.token()).await["userErrors"], json!([]));
    }
    let res = acme
        .gql(
            "mutation { createProduct(input: { name: \"Meeting\", seats: 5 }) { product { id } } }",
            json!({}),
        )
        .await;
    let product = data(&res)["createProduct"]["product"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let added = add(
        &acme,
        json!([
            { "firstName": "Gus", "lastName": "Moves", "email": "gus@globex.test" },
            { "firstName": "Hal", "lastName": "Stays", "email": "hal@globex.test" }
        ]),
        json!({ "productIds": [product] }),
    )
    .await;
    assert_eq!(added["users"][0]["status"], "INVITED");
    let mails = wait_for_mail(&outbox(&server), 4).await;
    let transfer = |email: &str| {
        mails
            .iter()
            .find(|m| m.to.contains(email) && m.subject.contains("transfer"))
            .unwrap_or_else(|| panic!("no transfer mail for {email}"))
            .clone()
    };
    let gus = transfer("gus@globex.test");
    let hal = transfer("hal@globex.test");
    assert_eq!(gus.subject, "Acme invites you to transfer your profile");

    // Gus accepts: he is now Acme's, with the seat Acme gave him.
    assert_eq!(accept(&server, &gus.token()).await["kind"], "TRANSFER");
    let gus_client = server.with_token(&server.login("gus@globex.test", PASSWORD).await);
    let res = gus_client
        .gql(
            "{ viewer { status account { name } products { product { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res)["viewer"],
        json!({ "status": "ACTIVE", "account": { "name": "Acme" }, "products": [{ "product": { "name": "Meeting" } }] })
    );
    let res = globex.gql("{ users(filter: { keyword: \"gus\" }) { totalCount } contacts(keyword: \"gus\") { totalCount } }", json!({})).await;
    assert_eq!(
        data(&res),
        &json!({ "users": { "totalCount": 0 }, "contacts": { "totalCount": 0 } }),
        "gone from Globex"
    );
    let res = acme
        .gql(
            "{ contacts(keyword: \"gus\") { nodes { isUser methods { value } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res)["contacts"]["nodes"],
        json!([{ "isUser": true, "methods": [{ "value": "gus@globex.test" }] }]),
        "his contact details came along"
    );

    // Hal declines: SUSPENDED at Acme, seat freed, still Globex's.
    assert_eq!(
        server
            .anonymous()
            .gql(DECLINE, json!({ "t": hal.token() }))
            .await["data"]["declineInvitation"]["kind"],
        "TRANSFER"
    );
    let res = acme
        .gql("query($p: ID!) { users(filter: { statuses: [SUSPENDED] }) { nodes { email } } product(id: $p) { seatsUsed } }", json!({ "p": product }))
        .await;
    assert_eq!(
        data(&res),
        &json!({ "users": { "nodes": [{ "email": "hal@globex.test" }] }, "product": { "seatsUsed": 1 } })
    );
    let hal_client = server.with_token(&server.login("hal@globex.test", PASSWORD).await);
    let res = hal_client
        .gql("{ viewer { account { name } } }", json!({}))
        .await;
    assert_eq!(data(&res)["viewer"]["account"]["name"], "Globex");
    let statuses = invitation_statuses(&acme).await;
    assert!(
        statuses.contains(&("gus@globex.test".into(), "ACCEPTED".into())),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&("hal@globex.test".into(), "DECLINED".into())),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn custom_templates_are_checked_previewed_and_used() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let create = "mutation($b: String!) { createEmailTemplate(input: { kind: WELCOME, language: \"en\", name: \"Friendly\", subject: \"Hi {{ name }}, join {{ account }}\", body: $b }) { template { id } userErrors { field code message } } }";
    let res = admin.gql(create, json!({ "b": "<p>{{ nmae }}</p>" })).await;
    assert_eq!(
        data(&res)["createEmailTemplate"]["userErrors"][0]["code"],
        "INVALID"
    );
    let res = admin.gql(create, json!({ "b": "<p>Dear {{ name }}, click <a href=\"{{ link }}\">here</a> before {{ expiry }}.</p>" })).await;
    let template = data(&res)["createEmailTemplate"]["template"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = admin
        .gql("query($t: ID!) { previewEmailTemplate(input: { templateId: $t, recipientName: \"<script>x</script>\" }) { subject html text } }", json!({ "t": template }))
        .await;
    let preview = &data(&res)["previewEmailTemplate"];
    assert_eq!(preview["subject"], "Hi <script>x</script>, join Acme");
    assert!(
        preview["html"]
            .as_str()
            .unwrap()
            .contains("Dear &lt;script&gt;x&lt;&#x2f;script&gt;"),
        "{preview}"
    );
    let res = admin
        .gql(
            "{ previewEmailTemplate(input: { kind: TRANSFER, language: \"it\" }) { subject } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res)["previewEmailTemplate"]["subject"],
        "Acme ti invita a trasferire il tuo profilo"
    );
    assert!(
        outbox(&server)
            .read_dir()
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "previews send nothing"
    );

    add(
        &admin,
        json!([{ "firstName": "Tia", "lastName": "Lee", "email": "tia@acme.test" }]),
        json!({ "emailTemplateId": template }),
    )
    .await;
    let mail = wait_for_mail(&outbox(&server), 1).await.remove(0);
    assert_eq!(mail.subject, "Hi Tia Lee, join Acme");
    assert_eq!(
        accept(&server, &mail.token()).await["userErrors"],
        json!([])
    );

    // Members do not manage templates; other accounts cannot use them.
    let member = server.staff("MEMBER", "m@acme.test").await;
    let res = member.gql(create, json!({ "b": "x" })).await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let other = server.other_account().await;
    let res = other
        .gql(ADD, json!({ "input": { "users": [{ "firstName": "A", "lastName": "B", "email": "ab@globex.test" }], "emailTemplateId": template } }))
        .await;
    assert_eq!(data(&res)["addUsers"]["userErrors"][0]["code"], "NOT_FOUND");
    let res = other
        .gql(
            "query($t: ID!) { previewEmailTemplate(input: { templateId: $t }) { subject } }",
            json!({ "t": template }),
        )
        .await;
    assert_eq!(error_code(&res), "NOT_FOUND");
    let res = admin
        .gql("{ invitations { nodes { id } } }", json!({}))
        .await;
    let id = data(&res)["invitations"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for doc in [
        "query($id: ID!) { invitation(id: $id) { email } }",
        "mutation($id: ID!) { resendInvitation(id: $id) { userErrors { code } } }",
        "mutation($id: ID!) { revokeInvitation(id: $id) { userErrors { code } } }",
    ] {
        let res = other.gql(doc, json!({ "id": id })).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{doc}: {res}");
    }
    let res = other.gql("{ invitations { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["invitations"]["totalCount"], 0);
}

#[tokio::test]
async fn mail_queued_before_a_crash_is_delivered_once_after_the_restart() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let users: Vec<Value> = (0..30)
        .map(
            |i| json!({ "firstName": "C", "lastName": "Rash", "email": format!("c{i}@acme.test") }),
        )
        .collect();
    add(&admin, json!(users), json!({})).await;
    // Killed at once: some mail may be out, the rest still queued.
    let server = server.crash_and_restart().await;
    let mails = wait_for_mail(&outbox(&server), 30).await;
    let admin = server.super_admin().await;
    crate::users::wait_until_mail_sent(&admin).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let again = wait_for_mail(&outbox(&server), 30).await;
    assert_eq!(again.len(), 30, "no message twice");
    let mut recipients: Vec<String> = mails.iter().map(|m| m.to.clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 30, "every user got their mail");
    let statuses = invitation_statuses(&admin).await;
    assert!(statuses.iter().all(|(_, s)| s == "SENT"), "{statuses:?}");
}
