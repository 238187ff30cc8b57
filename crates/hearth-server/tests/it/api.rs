//! The JSON API door: the same services, as JSON and problem+json.

use hearth_core::model::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, space, spawn_app};

/// A minimal API client: a bearer token, or none (a guest).
pub struct Api {
    base: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl Api {
    pub fn guest(t: &TestApp) -> Self {
        Self {
            base: t.base.clone(),
            token: None,
            client: reqwest::Client::new(),
        }
    }

    /// Signs in over the API, then creates a personal access token.
    pub async fn member(t: &TestApp, alias: &str, role: Role) -> Self {
        let password = t.account(alias, role).await;
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r = client
            .post(format!("{}/api/session", t.base))
            .json(&json!({"email": format!("{}@example.org", alias.to_lowercase()), "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = client
            .post(format!("{}/api/tokens", t.base))
            .json(&json!({"name": "tests"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let token = r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        Self {
            base: t.base.clone(),
            token: Some(token),
            client: reqwest::Client::new(),
        }
    }

    /// Sends raw bytes (an upload) as the request body.
    pub async fn send_bytes(&self, path: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let mut req = self.client.post(format!("{}{path}", self.base)).body(bytes);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.send(reqwest::Method::GET, path, None).await;
        (s, v)
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, v, _) = self.send(reqwest::Method::POST, path, Some(body)).await;
        (s, v)
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_api_and_leaves_v1_free() {
    let t = spawn_app().await;
    let (status, doc) = Api::guest(&t).get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/spaces",
        "/api/topics/{id}",
        "/api/topics/{id}/posts",
        "/api/session",
        "/api/tokens",
    ] {
        assert!(paths.contains_key(p), "{p}");
    }
    assert!(
        !paths
            .keys()
            .any(|p| p.starts_with("/api/v1") || p.starts_with("/api/v2"))
    );
    t.stop().await;
}

#[tokio::test]
async fn registering_over_json_reports_each_bad_field() {
    let t = spawn_app().await;
    let guest = Api::guest(&t);
    let (_, body, headers) = guest
        .send(
            reqwest::Method::POST,
            "/api/accounts",
            Some(json!({"alias": "a@b.c", "email": "nope", "password": "short"})),
        )
        .await;
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/problem+json"
    );
    assert_eq!(body["status"], 422);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["alias", "email", "password"]);
    let (status, body) = guest.post("/api/accounts", json!({"alias": "json_joiner", "email": "j@example.org", "password": "correct horse battery"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["alias"], "json_joiner");
    t.stop().await;
}

#[tokio::test]
async fn tokens_authenticate_until_revoked() {
    let t = spawn_app().await;
    let api = Api::member(&t, "scripter", Role::Member).await;
    let (status, me) = api.get("/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["alias"], "scripter");
    assert_eq!(
        me["email"], "scripter@example.org",
        "the owner sees their own address"
    );
    let (_, tokens) = api.get("/api/tokens").await;
    let id = tokens[0]["id"].as_i64().unwrap();
    let (status, _, _) = api
        .send(reqwest::Method::DELETE, &format!("/api/tokens/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body, headers) = api.send(reqwest::Method::GET, "/api/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["title"], "Sign in required");
    assert!(headers.contains_key("www-authenticate"));
    t.stop().await;
}

#[tokio::test]
async fn topics_and_posts_work_through_json() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = Api::member(&t, "rose", Role::Member).await;
    let tom = Api::member(&t, "tom", Role::Member).await;
    let (status, posted) = rose
        .post(
            "/api/spaces/living/topics",
            json!({"title": "From a script", "body": "Hello **there**"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let topic = posted["topic_id"].as_i64().unwrap();
    let opening = posted["post_id"].as_i64().unwrap();
    let (status, reply) = tom
        .post(
            &format!("/api/topics/{topic}/posts"),
            json!({"body": "Hi @rose", "reply_to": opening}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let reply_id = reply["post_id"].as_i64().unwrap();
    let (_, page) = Api::guest(&t).get(&format!("/api/topics/{topic}")).await;
    assert_eq!(page["topic"]["title"], "From a script");
    assert_eq!(page["posts"].as_array().unwrap().len(), 2);
    assert!(
        page["posts"][0]["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>there</strong>")
    );
    assert_eq!(page["posts"][1]["reply_to"], opening);
    assert_eq!(page["reply"], "sign_in");
    let (_, notes) = rose.get("/api/notifications").await;
    assert_eq!(notes[0]["kind"], "mention");

    let (status, edited, _) = tom
        .send(
            reqwest::Method::PATCH,
            &format!("/api/posts/{reply_id}"),
            Some(json!({"body": "Hi again"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(edited["revision"], 2);
    let (status, _) = Api::guest(&t)
        .get(&format!("/api/posts/{reply_id}/revisions"))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "earlier versions are for the author and moderators"
    );
    let (_, revisions) = tom.get(&format!("/api/posts/{reply_id}/revisions")).await;
    assert_eq!(revisions[0]["body_markdown"], "Hi @rose");
    let (status, _, _) = rose
        .send(
            reqwest::Method::PATCH,
            &format!("/api/posts/{reply_id}"),
            Some(json!({"body": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = rose
        .send(
            reqwest::Method::PUT,
            &format!("/api/posts/{reply_id}/like"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, post) = rose.get(&format!("/api/posts/{reply_id}")).await;
    assert_eq!(
        (post["like_count"].as_i64(), post["liked"].as_bool()),
        (Some(1), Some(true))
    );
    let (status, _, _) = tom
        .send(
            reqwest::Method::DELETE,
            &format!("/api/posts/{reply_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, post) = Api::guest(&t).get(&format!("/api/posts/{reply_id}")).await;
    assert_eq!(post["deleted"], true);
    assert!(post["body_markdown"].is_null());
    t.stop().await;
}

#[tokio::test]
async fn every_tier_and_role_reads_and_posts_as_designed_through_the_api() {
    let t = spawn_app().await;
    let author = Api::member(&t, "author", Role::Member).await;
    let mut topics = Vec::new();
    for tier in ["members_only", "public_read", "open"] {
        let slug = tier.replace('_', "-");
        space(&t, &slug, tier).await;
        let (_, posted) = author
            .post(
                &format!("/api/spaces/{slug}/topics"),
                json!({"title": "A topic here", "body": "x"}),
            )
            .await;
        topics.push((tier, slug, posted["topic_id"].as_i64().unwrap()));
    }
    let roles = [
        None,
        Some(Role::Member),
        Some(Role::Volunteer),
        Some(Role::Staff),
        Some(Role::Moderator),
        Some(Role::Admin),
    ];
    for (i, role) in roles.into_iter().enumerate() {
        let api = match role {
            Some(role) => Api::member(&t, &format!("api_{i}"), role).await,
            None => Api::guest(&t),
        };
        let (_, listed) = api.get("/api/spaces").await;
        let listed: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["slug"].as_str().unwrap())
            .collect();
        for (tier, slug, topic) in &topics {
            let ctx = format!("{role:?} in {tier}");
            let (read, post, held) = match (role, *tier) {
                (None, "members_only") => (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND, false),
                (None, "public_read") => (StatusCode::OK, StatusCode::UNAUTHORIZED, false),
                (None, _) => (StatusCode::OK, StatusCode::CREATED, true),
                (Some(_), _) => (StatusCode::OK, StatusCode::CREATED, false),
            };
            assert_eq!(
                listed.contains(&slug.as_str()),
                read == StatusCode::OK,
                "listed: {ctx}"
            );
            assert_eq!(
                api.get(&format!("/api/spaces/{slug}")).await.0,
                read,
                "space: {ctx}"
            );
            assert_eq!(
                api.get(&format!("/api/spaces/{slug}/topics")).await.0,
                read,
                "topics: {ctx}"
            );
            assert_eq!(
                api.get(&format!("/api/topics/{topic}")).await.0,
                read,
                "topic: {ctx}"
            );
            let guest_name = format!("guest{i}{}", slug.replace('-', ""));
            let (status, body) = api
                .post(
                    &format!("/api/topics/{topic}/posts"),
                    json!({"body": "a reply", "guest_name": guest_name}),
                )
                .await;
            assert_eq!(status, post, "reply: {ctx} {body}");
            if status == StatusCode::CREATED {
                assert_eq!(body["held"], held, "held: {ctx}");
            }
            let (status, _) = api
                .post(
                    &format!("/api/spaces/{slug}/topics"),
                    json!({"title": "New one", "body": "x", "guest_name": guest_name}),
                )
                .await;
            assert_eq!(status, post, "start topic: {ctx}");
        }
        // The latest list never carries a members-only topic to a guest.
        let (_, latest) = api.get("/api/topics").await;
        let spaces_seen: Vec<&str> = latest["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["space"].as_str().unwrap())
            .collect();
        assert_eq!(
            spaces_seen.contains(&"members-only"),
            role.is_some(),
            "latest: {role:?}"
        );
    }
    t.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_problems() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let api = Api::member(&t, "rose", Role::Member).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/spaces/living/topics", t.base);
    let token = api.token.clone().unwrap();
    let r = client
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let r = client
        .post(&url)
        .bearer_auth(&token)
        .body("title=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"title": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"title": "big", "body": huge}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for path in [
        "/api/topics/abc",
        "/api/topics/99999",
        "/api/nothing/here",
        "/api/posts/-1",
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["status"], 404);
    }
    let r = client
        .get(format!("{}/api/me", t.base))
        .bearer_auth("hearth_not_a_token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn another_site_cannot_use_a_session_cookie() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let password = t.account("victim", Role::Member).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    client
        .post(format!("{}/api/session", t.base))
        .json(&json!({"email": "victim@example.org", "password": password}))
        .send()
        .await
        .unwrap();
    let r = client
        .post(format!("{}/api/spaces/living/topics", t.base))
        .header("origin", "https://evil.example")
        .json(&json!({"title": "Forged topic", "body": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client
        .post(format!("{}/api/spaces/living/topics", t.base))
        .header("origin", &t.base)
        .json(&json!({"title": "Own topic", "body": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    t.stop().await;
}

/// Found by schemathesis: answers given before a handler runs (a body that is
/// not JSON, a query string that does not fit, a caller not signed in) were
/// missing from the document, and query parameters were documented as path
/// parameters, so clients could not call or expect them right.
#[tokio::test]
async fn the_openapi_document_lists_the_answers_every_operation_can_give() {
    let t = spawn_app().await;
    let (_, doc) = Api::guest(&t).get("/api/openapi.json").await;
    let responses = |path: &str, method: &str| {
        let answers = &doc["paths"][path][method]["responses"];
        answers
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path}"))
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    let create_token = responses("/api/tokens", "post");
    for status in ["400", "401", "413", "415", "422"] {
        assert!(
            create_token.contains(&status.to_owned()),
            "{status}: {create_token:?}"
        );
    }
    assert!(responses("/api/search", "get").contains(&"400".to_owned()));
    // The search words travel in the query string, not in the path.
    let params = doc["paths"]["/api/search"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(params.iter().any(|p| p["name"] == "q"));
    assert!(params.iter().all(|p| p["in"] == "query"), "{params:?}");
    assert!(responses("/api/tokens/{id}", "delete").contains(&"401".to_owned()));
    t.stop().await;
}
