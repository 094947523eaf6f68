//! Customer avatars: GraphQL multipart upload, scaling, serving, refusals.

use std::io::Cursor;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::harness::*;

const SET_AVATAR: &str = "mutation($id: ID!, $file: Upload!) {
  setCustomerAvatar(customerId: $id, file: $file) { customer { avatarUrl } userErrors { field code message } }
}";

async fn upload(client: &Client, customer: &str, bytes: Vec<u8>, name: &str) -> Value {
    let operations = json!({ "query": SET_AVATAR, "variables": { "id": customer, "file": null } });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", Part::bytes(bytes).file_name(name.to_owned()));
    client
        .post()
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("JSON")
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn new_customer(client: &Client) -> String {
    let res = client
        .gql("mutation { createCustomer(input: { firstName: \"Ann\", email: \"ann@acme.test\" }) { customer { id } } }", json!({}))
        .await;
    data(&res)["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_uploaded_image_is_scaled_and_served() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let customer = new_customer(&admin).await;

    let res = upload(&admin, &customer, png(800, 500), "photo.png").await;
    let payload = &data(&res)["setCustomerAvatar"];
    assert_eq!(payload["userErrors"], json!([]), "{res}");
    let url = payload["customer"]["avatarUrl"]
        .as_str()
        .expect("avatarUrl")
        .to_owned();
    let served = server.http.get(server.url(&url)).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    let image = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (128, 128));

    // A new upload gets a new URL; the old one is gone.
    let res = upload(&admin, &customer, png(200, 200), "again.png").await;
    let new_url = data(&res)["setCustomerAvatar"]["customer"]["avatarUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_url, url);
    assert_eq!(
        server
            .http
            .get(server.url(&url))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let res = admin
        .gql("mutation($id: ID!) { removeCustomerAvatar(customerId: $id) { customer { avatarUrl } } }", json!({ "id": customer }))
        .await;
    assert_eq!(
        data(&res)["removeCustomerAvatar"]["customer"]["avatarUrl"],
        json!(null)
    );
    assert_eq!(
        server
            .http
            .get(server.url(&new_url))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        server
            .http
            .get(server.url("/avatars/../../etc/passwd"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn non_images_and_oversized_files_are_refused() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let customer = new_customer(&admin).await;

    let res = upload(
        &admin,
        &customer,
        b"just some text, not a picture".to_vec(),
        "notes.png",
    )
    .await;
    let errors = &data(&res)["setCustomerAvatar"]["userErrors"];
    assert_eq!(errors[0]["field"], json!(["file"]), "{res}");
    assert_eq!(errors[0]["code"], "INVALID");

    let res = upload(
        &admin,
        &customer,
        vec![0u8; 5 * 1024 * 1024 + 1],
        "huge.png",
    )
    .await;
    let errors = &data(&res)["setCustomerAvatar"]["userErrors"];
    assert_eq!(errors[0]["code"], "LIMIT_EXCEEDED", "{res}");

    let res = admin
        .gql(
            "query($id: ID!) { customer(id: $id) { avatarUrl } }",
            json!({ "id": customer }),
        )
        .await;
    assert_eq!(
        data(&res)["customer"]["avatarUrl"],
        json!(null),
        "nothing was stored"
    );

    // Another account cannot touch the customer.
    let globex = server.other_account().await;
    let res = upload(&globex, &customer, png(10, 10), "x.png").await;
    assert_eq!(error_code(&res), "NOT_FOUND", "{res}");
}
