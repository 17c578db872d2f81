//! Shared test helpers: the OpenAPI document's schemas and a checking client.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use reqwest::Method;
use serde_json::{Map, Value};

/// The Token API document, exactly as published.
pub struct Spec {
    doc: Value,
}

pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/token-api.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        Spec {
            doc: serde_json::from_str(&text).expect("the OpenAPI document is JSON"),
        }
    })
}

impl Spec {
    fn operation(&self, method: &Method, path: &str) -> Option<&Value> {
        self.doc
            .get("paths")?
            .get(path)?
            .get(method.as_str().to_ascii_lowercase())
    }

    /// Whether `method path` is one of the document's operations.
    pub fn documents(&self, method: &Method, path: &str) -> bool {
        self.operation(method, path).is_some()
    }

    /// A validator for `schema`, with the document's `components` embedded
    /// in the root so that `#/components/schemas/...` references resolve.
    pub fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let mut root = match schema {
            Value::Object(m) => m.clone(),
            other => {
                let mut m = Map::new();
                m.insert("allOf".into(), Value::Array(vec![other.clone()]));
                m
            }
        };
        root.insert("components".into(), self.doc["components"].clone());
        jsonschema::draft202012::new(&Value::Object(root)).expect("schema compiles")
    }

    /// The response schema of an operation for a status; panics if the
    /// document does not declare that status.
    pub fn response_schema(&self, method: &Method, path: &str, status: u16) -> &Value {
        let op = self
            .operation(method, path)
            .unwrap_or_else(|| panic!("{method} {path} is not in the document"));
        op["responses"]
            .get(status.to_string())
            .and_then(|r| r.pointer("/content/application~1json/schema"))
            .unwrap_or_else(|| panic!("{method} {path} does not document status {status}"))
    }

    /// The request body schema of an operation for a media type.
    pub fn request_schema(&self, method: &Method, path: &str, media: &str) -> &Value {
        let op = self
            .operation(method, path)
            .unwrap_or_else(|| panic!("{method} {path} is not in the document"));
        op["requestBody"]["content"]
            .get(media)
            .map(|c| &c["schema"])
            .unwrap_or_else(|| panic!("{method} {path} takes no {media} body"))
    }

    /// Follows one `$ref` (document-local) if `schema` is one.
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => self
                .doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {r}")),
            None => schema,
        }
    }

    /// Panics unless `body` validates against the response schema.
    pub fn assert_response(&self, method: &Method, path: &str, status: u16, body: &Value) {
        let v = self.validator(self.response_schema(method, path, status));
        let errors: Vec<String> = v.iter_errors(body).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status}: body {body} does not match the document: {errors:?}"
        );
    }

    /// A form body as the JSON instance FastAPI validates: last value wins,
    /// empty values are absent (FastAPI's default for optional form fields),
    /// and fields typed `integer` in the schema are parsed.
    pub fn form_instance(&self, schema: &Value, pairs: &[(String, String)]) -> Value {
        let props = &self.resolve(schema)["properties"];
        let mut obj = Map::new();
        for (k, v) in pairs {
            if v.is_empty() {
                obj.remove(k);
                continue;
            }
            let is_int = props
                .get(k)
                .and_then(|p| p.get("type"))
                .and_then(Value::as_str)
                == Some("integer");
            let value = match v.trim().parse::<i64>() {
                Ok(n) if is_int => Value::from(n),
                _ => Value::String(v.clone()),
            };
            obj.insert(k.clone(), value);
        }
        Value::Object(obj)
    }

    /// Panics unless an accepted request body validates against the
    /// operation's request schema.
    pub fn assert_request(
        &self,
        method: &Method,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) {
        let media = content_type
            .map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_else(|| {
                if path == "/token/challenge" {
                    "application/json".into()
                } else {
                    "application/x-www-form-urlencoded".into()
                }
            });
        let media = if media.starts_with("application/") && media.ends_with("+json") {
            "application/json".to_owned()
        } else {
            media
        };
        let schema = self.request_schema(method, path, &media);
        let instance = if media == "application/x-www-form-urlencoded" {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(body).expect("accepted form parses");
            self.form_instance(schema, &pairs)
        } else {
            serde_json::from_slice(body).expect("accepted JSON parses")
        };
        let v = self.validator(schema);
        let errors: Vec<String> = v.iter_errors(&instance).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{method} {path}: accepted request {instance} does not match the document: {errors:?}"
        );
    }
}

/// A response whose body was checked against the document.
#[derive(Debug)]
pub struct Checked {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

/// Sends a request and checks the exchange against the document: the
/// response body for its status, and (on 200) the request body.
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    method: Method,
    path_and_query: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Checked {
    let mut req = client.request(method.clone(), format!("{base}{path_and_query}"));
    if let Some(ct) = content_type {
        req = req.header(reqwest::header::CONTENT_TYPE, ct);
    }
    let resp = req
        .body(body.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path_and_query}: no response: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{method} {path_and_query}: body error: {e}"));
    let json: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{method} {path_and_query}: {status} body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(&bytes)
        )
    });
    let path = path_and_query.split('?').next().unwrap_or_default();
    let spec = spec();
    if spec.documents(&method, path) {
        spec.assert_response(&method, path, status, &json);
        if status == 200 {
            spec.assert_request(&method, path, content_type, &body);
        }
    }
    Checked {
        status,
        headers,
        json,
    }
}

pub fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

pub const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
pub const JSON: Option<&str> = Some("application/json");

pub async fn post_form(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    pairs: &[(&str, &str)],
) -> Checked {
    send(client, base, Method::POST, path, FORM, form(pairs)).await
}

pub async fn put_form(client: &reqwest::Client, base: &str, pairs: &[(&str, &str)]) -> Checked {
    send(client, base, Method::PUT, "/token", FORM, form(pairs)).await
}

pub async fn post_json(client: &reqwest::Client, base: &str, path: &str, body: &Value) -> Checked {
    send(
        client,
        base,
        Method::POST,
        path,
        JSON,
        body.to_string().into_bytes(),
    )
    .await
}

pub async fn login(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> Checked {
    post_form(
        client,
        base,
        "/token",
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ],
    )
    .await
}

pub fn str_field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no string {name} in {v}"))
}

/// A reqwest client for the tests. The workspace builds reqwest without a
/// TLS crypto provider (see the root Cargo.toml), so one is installed first.
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().expect("reqwest client")
}

/// [`http_client`] with settings of the caller's.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
