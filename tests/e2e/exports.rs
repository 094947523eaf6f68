//! The customer CSV export and the sample file.

use serde_json::json;

use crate::harness::*;

const HEADER: [&str; 13] = [
    "first_name",
    "last_name",
    "email",
    "email_aliases",
    "Company",
    "office_phone",
    "mobile_phone",
    "other_phone",
    "fax",
    "address",
    "job_title",
    "department",
    "notes",
];

/// Parses a CSV download (which starts with a UTF-8 BOM) into rows.
fn rows(body: &[u8]) -> Vec<Vec<String>> {
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&body[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn download(server: &TestServer, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let mut req = server.http.get(server.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn exports_stream_the_import_format_safely() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    let res = admin
        .gql(
            "mutation {
               co: createCompany(input: { name: \"Acme, Inc.\" }) { company { id } }
             }",
            json!({}),
        )
        .await;
    let company = data(&res)["co"]["company"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = admin
        .gql(
            "mutation($c: ID!) {
               a: createCustomer(input: { firstName: \"Ann\", lastName: \"Lee\", email: \"ann@acme.test\", companyId: $c,
                  emailAliases: [\"a.lee@acme.test\", \"ann.lee@acme.test\"], officePhone: \"+49 30 901820\",
                  notes: \"=HYPERLINK(\\\"http://evil\\\")\" }) { userErrors { field code } }
               b: createCustomer(input: { firstName: \"Bob\", email: \"bob@other.test\", address: \"1 Main St, Springfield\",
                  notes: \"line one,\\nline \\\"two\\\"\" }) { userErrors { field code } }
             }",
            json!({ "c": company }),
        )
        .await;
    assert_eq!(data(&res)["a"]["userErrors"], json!([]), "{res}");
    assert_eq!(data(&res)["b"]["userErrors"], json!([]), "{res}");

    let res = server
        .http
        .get(server.url("/exports/customers.csv"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("customers.csv"));
    let table = rows(&res.bytes().await.unwrap());
    assert_eq!(table[0], HEADER);
    assert_eq!(table.len(), 3);
    let ann = table.iter().find(|r| r[0] == "Ann").unwrap();
    assert_eq!(ann[2], "ann@acme.test");
    assert_eq!(ann[3], "a.lee@acme.test,ann.lee@acme.test");
    assert_eq!(ann[4], "Acme, Inc.");
    assert_eq!(ann[5], "'+49 30 901820", "a leading + is neutralised");
    assert_eq!(
        ann[12], "'=HYPERLINK(\"http://evil\")",
        "formulas are neutralised"
    );
    let bob = table.iter().find(|r| r[0] == "Bob").unwrap();
    assert_eq!(bob[9], "1 Main St, Springfield");
    assert_eq!(bob[12], "line one,\nline \"two\"");

    let (status, body) =
        download(&server, "/exports/customers.csv?filter=acme", Some(&token)).await;
    assert_eq!(status, 200);
    let table = rows(&body);
    assert_eq!(table.len(), 2, "only Ann works at Acme");

    // A short-lived link works without a header, with its filter.
    let res = admin
        .gql(
            "{ customerExportUrl(keyword: \"bob\") { url expiresAt } }",
            json!({}),
        )
        .await;
    let url = data(&res)["customerExportUrl"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = download(&server, &url, None).await;
    assert_eq!(status, 200);
    let table = rows(&body);
    assert_eq!(table.len(), 2);
    assert_eq!(table[1][0], "Bob");
    let (status, _) = download(&server, "/exports/customers.csv?token=rst_forged", None).await;
    assert_eq!(status, 401);

    let (status, body) = download(&server, "/exports/customers-sample.csv", None).await;
    assert_eq!(status, 200);
    assert_eq!(rows(&body)[0], HEADER);
}

#[tokio::test]
async fn exports_are_for_admins_of_the_account() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    admin.gql("mutation { createCustomer(input: { firstName: \"Ann\", email: \"ann@acme.test\" }) { userErrors { code } } }", json!({})).await;

    let (status, _) = download(&server, "/exports/customers.csv", None).await;
    assert_eq!(status, 401);
    let (status, _) = download(&server, "/exports/customers.csv", Some("garbage")).await;
    assert_eq!(status, 401);
    let member = server.staff("MEMBER", "member@acme.test").await;
    let (status, body) = download(&server, "/exports/customers.csv", member.token.as_deref()).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    let res = member.gql("{ customerExportUrl { url } }", json!({})).await;
    assert_eq!(error_code(&res), "FORBIDDEN");

    let globex = server.other_account().await;
    let (status, body) = download(&server, "/exports/customers.csv", globex.token.as_deref()).await;
    assert_eq!(status, 200);
    assert_eq!(
        rows(&body).len(),
        1,
        "only the header: no other account's rows"
    );
}

#[tokio::test]
async fn large_exports_cover_every_row_once() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    for batch in 0..11 {
        let mut doc = String::from("mutation {");
        for i in 0..100 {
            let n = batch * 100 + i;
            doc.push_str(&format!(" c{n}: createCustomer(input: {{ firstName: \"N{n}\", email: \"n{n}@bulk.test\" }}) {{ userErrors {{ code }} }}"));
        }
        doc.push('}');
        data(&admin.gql(&doc, json!({})).await);
    }
    let (status, body) = download(&server, "/exports/customers.csv", Some(&token)).await;
    assert_eq!(status, 200);
    let table = rows(&body);
    assert_eq!(table.len(), 1 + 1100);
    let mut emails: Vec<&str> = table[1..].iter().map(|r| r[2].as_str()).collect();
    emails.sort();
    emails.dedup();
    assert_eq!(
        emails.len(),
        1100,
        "every customer exactly once across chunks"
    );
}
