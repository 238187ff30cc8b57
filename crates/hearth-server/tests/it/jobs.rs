//! The job queue: at least once across a restart, never twice at once,
//! failed jobs visible and retryable, and a runner that survives its handlers.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use hearth_core::model::Role;
use hearth_server::App;
use hearth_server::jobs::{Handler, HandlerFuture, Runner};
use hearth_server::mail::Mail;
use hearth_server::services::accounts;
use hearth_store::jobs::{self, Backoff, Claimed, Failed, NewJob};
use hearth_store::tokens::{self, Purpose};
use reqwest::StatusCode;
use serde_json::json;

use crate::api::Api;
use crate::common::{Options, SmtpSink, TestApp, eventually, free_port, spawn_app, spawn_app_with};

async fn queue(t: &TestApp, job: NewJob<'_>) -> i64 {
    let mut tx = t.app().store().write().await.unwrap();
    let id = jobs::enqueue(&mut tx, &job, t.app().now())
        .await
        .unwrap()
        .expect("queued");
    hearth_store::commit(tx).await.unwrap();
    id
}

async fn state_of(t: &TestApp, id: i64) -> (String, i64) {
    let job = jobs::by_id(&mut t.app().store().read().await.unwrap(), id)
        .await
        .unwrap()
        .expect("the job");
    (job.state.as_str().to_owned(), job.attempts)
}

#[tokio::test]
async fn a_job_whose_worker_died_mid_job_runs_again_after_a_restart() {
    // No mail server yet: the verification mail waits in the queue.
    let t = spawn_app().await;
    let r = t
        .browser()
        .form(
            "/register",
            &[
                ("alias", "restarted"),
                ("email", "restarted@example.org"),
                ("password", "correct horse battery"),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A worker on another node claims it, then dies without a word.
    let store = t.app().store().clone();
    let claimed = jobs::claim(&store, "node-that-dies", &["mail"], t.app().now(), 1500, 8)
        .await
        .unwrap()
        .pop()
        .expect("the mail job is due");
    assert_eq!(claimed.attempt, 1);
    let backlog = jobs::backlog(&mut store.read().await.unwrap(), t.app().now())
        .await
        .unwrap();
    assert_eq!((backlog[0].running, backlog[0].due), (1, 0));

    // This node restarts with a mail server: once the dead worker's lease
    // has run out, the job runs again, and the mail goes out once.
    let sink = SmtpSink::start().await;
    let t = t.restart(Options::mail(&sink)).await;
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["restarted@example.org"]);
    eventually("the job is done", || async {
        state_of(&t, claimed.id).await.0 == "done"
    })
    .await;
    assert_eq!(state_of(&t, claimed.id).await.1, 2, "claimed twice");
    // The dead worker cannot report on a job it no longer holds.
    let mut tx = t.app().store().write_private().await.unwrap();
    assert!(
        !jobs::complete(&mut tx, claimed.id, "node-that-dies", t.app().now())
            .await
            .unwrap()
    );
    hearth_store::commit(tx).await.unwrap();
    assert_eq!(sink.messages().len(), 1);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_racing_never_run_the_same_job() {
    let t = spawn_app().await;
    let store = t.app().store().clone();
    let now = t.app().now();
    let mut tx = store.write().await.unwrap();
    for n in 0..200 {
        let payload = json!({ "n": n }).to_string();
        jobs::enqueue(&mut tx, &NewJob::new("test.race", &payload, now), now)
            .await
            .unwrap();
    }
    hearth_store::commit(tx).await.unwrap();

    let worker = |name: &'static str| {
        let store = store.clone();
        let app = t.app().clone();
        tokio::spawn(async move {
            let mut ran = Vec::new();
            loop {
                let batch = jobs::claim(&store, name, &["test.race"], app.now(), 60_000, 4)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    let left = jobs::backlog(&mut store.read().await.unwrap(), app.now())
                        .await
                        .unwrap();
                    if left.iter().all(|b| b.due == 0) {
                        return ran;
                    }
                    continue;
                }
                for job in batch {
                    ran.push(job.id);
                    // Hold the job a moment, as real work would.
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    let mut tx = store.write_private().await.unwrap();
                    assert!(
                        jobs::complete(&mut tx, job.id, name, app.now())
                            .await
                            .unwrap()
                    );
                    hearth_store::commit(tx).await.unwrap();
                }
            }
        })
    };
    let (a, b) = (worker("one"), worker("two"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let all: Vec<i64> = a.iter().chain(&b).copied().collect();
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 200, "one: {}, two: {}", a.len(), b.len());
    assert_eq!(distinct.len(), 200, "a job ran twice");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = 1")
            .await,
        200
    );
    t.stop().await;
}

#[tokio::test]
async fn a_dedupe_key_merges_waiting_jobs_but_not_one_already_running() {
    let t = spawn_app().await;
    let key = Some("digest:42");
    let job = |payload| NewJob {
        dedupe_key: key,
        ..NewJob::new("test.dedupe", payload, 0)
    };
    let first = queue(&t, job("{\"v\":1}")).await;
    let mut tx = t.app().store().write().await.unwrap();
    let again = jobs::enqueue(&mut tx, &job("{\"v\":2}"), 0).await.unwrap();
    hearth_store::commit(tx).await.unwrap();
    assert_eq!(again, None, "the waiting job covers it");

    let store = t.app().store().clone();
    let claimed = jobs::claim(&store, "w", &["test.dedupe"], t.app().now(), 60_000, 8)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(claimed.id, first);
    // Work queued while the first runs may need newer data: it is queued.
    let second = queue(&t, job("{\"v\":3}")).await;
    // The first fails: it is not queued beside its twin, which does the same work.
    let mut tx = store.write_private().await.unwrap();
    let retry = Some(Backoff {
        base_ms: 1000,
        cap_ms: 1000,
    });
    let outcome = jobs::fail(&mut tx, first, "w", "boom", retry, 1)
        .await
        .unwrap();
    hearth_store::commit(tx).await.unwrap();
    assert_eq!(outcome, Failed::Superseded);
    assert_eq!(state_of(&t, second).await.0, "queued");
    t.stop().await;
}

#[tokio::test]
async fn a_worker_claims_the_oldest_jobs_together_and_gives_back_those_it_did_not_start() {
    let t = spawn_app().await;
    let now = t.app().now();
    let mut ids = Vec::new();
    for n in 0..5 {
        let payload = json!({ "n": n }).to_string();
        ids.push(queue(&t, NewJob::new("test.batch", &payload, now - 10 + n)).await);
    }
    let store = t.app().store().clone();
    let batch = jobs::claim(&store, "w", &["test.batch"], now, 60_000, 3)
        .await
        .unwrap();
    let claimed: Vec<i64> = batch.iter().map(|j| j.id).collect();
    assert_eq!(claimed, ids[..3], "the three oldest, oldest first");
    let rest = jobs::claim(&store, "other", &["test.batch"], now, 60_000, 3)
        .await
        .unwrap();
    assert_eq!(rest.len(), 2, "a claimed job is no one else's");

    // The first ran; the worker stopped before the other two.
    let mut tx = store.write_private().await.unwrap();
    assert!(jobs::complete(&mut tx, ids[0], "w", now).await.unwrap());
    jobs::release(&mut tx, &ids[1..3], "w", now).await.unwrap();
    hearth_store::commit(tx).await.unwrap();
    assert_eq!(state_of(&t, ids[0]).await, ("done".into(), 1));
    assert_eq!(
        state_of(&t, ids[1]).await,
        ("queued".into(), 0),
        "not counted as tried"
    );
    let again = jobs::claim(&store, "w", &["test.batch"], now, 60_000, 8)
        .await
        .unwrap();
    assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), ids[1..3]);
    assert_eq!(again[0].attempt, 1);
    t.stop().await;
}

#[tokio::test]
async fn a_job_whose_worker_died_in_its_last_attempt_is_failed_for_admins_to_see() {
    let t = spawn_app().await;
    let now = t.app().now();
    let id = queue(
        &t,
        NewJob {
            max_attempts: 1,
            ..NewJob::new("test.abandoned", "{}", now)
        },
    )
    .await;
    let store = t.app().store().clone();
    let claimed = jobs::claim(&store, "dies", &["test.abandoned"], now, 1, 8)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    // The lease ran out long ago; the node's runner notices within a poll.
    eventually("the job is failed", || async {
        state_of(&t, id).await.0 == "failed"
    })
    .await;
    let job = jobs::by_id(&mut store.read().await.unwrap(), id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        job.last_error.unwrap().contains("worker stopped"),
        "the admin reads why"
    );
    t.stop().await;
}

/// A verification mail job for a new member, with one try only.
async fn one_try_mail_job(t: &TestApp, alias: &str) -> i64 {
    t.new_account(alias, Role::Member).await;
    let account = accounts::by_alias(t.app(), alias).await.unwrap();
    let store = t.app().store();
    let now = t.app().now();
    let mut tx = store.write().await.unwrap();
    tokens::issue(
        &mut tx,
        store.sealer(),
        Purpose::VerifyEmail,
        Some(account.id),
        now,
        now + 3_600_000,
    )
    .await
    .unwrap();
    let payload = serde_json::to_string(&Mail::VerifyEmail {
        account: account.id,
    })
    .unwrap();
    let job = NewJob {
        max_attempts: 1,
        ..NewJob::new("mail", &payload, now)
    };
    let id = jobs::enqueue(&mut tx, &job, now).await.unwrap().unwrap();
    hearth_store::commit(tx).await.unwrap();
    id
}

#[tokio::test]
async fn a_failed_job_is_listed_with_its_error_and_tried_again_from_the_admin_page() {
    let port = free_port();
    let t = spawn_app_with(Options::mail_to_port(port)).await;
    let id = one_try_mail_job(&t, "unlucky").await;
    eventually("the job has failed", || async {
        state_of(&t, id).await.0 == "failed"
    })
    .await;
    let admin = t.signed_in("boss", Role::Admin).await;
    let page = admin.get("/admin/jobs").await;
    assert_eq!(page.status, StatusCode::OK);
    let failed = page
        .body
        .split("<h2>Failed</h2>")
        .nth(1)
        .unwrap_or_default();
    assert!(failed.contains("did not take the message"), "{failed}");
    assert!(failed.contains(&format!("/admin/jobs/{id}/retry")));
    assert!(failed.contains("verify_email"));

    // A form without its token is refused; with it, the job goes again.
    let forged = admin
        .form_without_token(&format!("/admin/jobs/{id}/retry"), &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let sink = SmtpSink::start_on(port).await;
    let r = admin.form(&format!("/admin/jobs/{id}/retry"), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("will be tried again"), "{}", r.body);
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["unlucky@example.org"]);
    eventually("the job is done", || async {
        state_of(&t, id).await == ("done".to_owned(), 1)
    })
    .await;
    // The retry is in the audit log; a job that is not failed cannot be retried.
    assert!(admin.get("/admin/audit").await.body.contains("job.retry"));
    let again = admin.form(&format!("/admin/jobs/{id}/retry"), &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn a_failed_job_is_listed_with_its_error_and_tried_again_through_the_api() {
    let port = free_port();
    let t = spawn_app_with(Options::mail_to_port(port)).await;
    let id = one_try_mail_job(&t, "unlucky").await;
    eventually("the job has failed", || async {
        state_of(&t, id).await.0 == "failed"
    })
    .await;
    let admin = Api::member(&t, "boss", Role::Admin).await;
    let (status, backlog) = admin.get("/api/admin/jobs").await;
    assert_eq!(status, StatusCode::OK);
    let job = &backlog["failed"][0];
    assert_eq!(job["id"], id);
    assert_eq!(job["state"], "failed");
    assert_eq!(job["attempts"], 1);
    assert!(
        job["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("did not take the message")),
        "{job}"
    );
    assert_eq!(backlog["kinds"][0]["failed"], 1);

    let sink = SmtpSink::start_on(port).await;
    let (status, job) = admin
        .post(&format!("/api/admin/jobs/{id}/retry"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["attempts"], 0);
    sink.wait_for(1).await;
    let (status, problem) = admin
        .post("/api/admin/jobs/not-a-number/retry", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    t.stop().await;
}

#[tokio::test]
async fn only_admins_see_and_retry_jobs() {
    let t = spawn_app().await;
    let member = t.signed_in("curious", Role::Moderator).await;
    assert_eq!(
        member.get("/admin/jobs").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member.form("/admin/jobs/1/retry", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.browser().get("/admin/jobs").await.status,
        StatusCode::SEE_OTHER,
        "guests are sent to sign in"
    );
    let api = Api::member(&t, "staffer", Role::Staff).await;
    assert_eq!(api.get("/api/admin/jobs").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        Api::guest(&t).get("/api/admin/jobs").await.0,
        StatusCode::UNAUTHORIZED
    );
    let admin = t.signed_in("boss", Role::Admin).await;
    let page = admin.get("/admin").await.body;
    assert!(page.contains("href=\"/admin/jobs\""));
    t.stop().await;
}

static COUNTED: AtomicUsize = AtomicUsize::new(0);

fn panics(_: App, _: Claimed) -> HandlerFuture {
    Box::pin(async { panic!("a bug in a handler") })
}

fn counts(_: App, _: Claimed) -> HandlerFuture {
    Box::pin(async {
        COUNTED.fetch_add(1, Ordering::SeqCst);
        Ok(())
    })
}

#[tokio::test]
async fn a_handler_that_panics_fails_its_job_and_the_runner_goes_on() {
    let t = spawn_app().await;
    let runner = Runner::start(
        t.app().clone(),
        vec![
            Handler {
                kind: "test.panic",
                run: panics,
            },
            Handler {
                kind: "test.count",
                run: counts,
            },
        ],
    );
    let bad = queue(
        &t,
        NewJob {
            max_attempts: 1,
            ..NewJob::new("test.panic", "{}", 0)
        },
    )
    .await;
    eventually("the panicking job has failed", || async {
        state_of(&t, bad).await.0 == "failed"
    })
    .await;
    let good = queue(&t, NewJob::new("test.count", "{}", 0)).await;
    eventually("the next job ran", || async {
        state_of(&t, good).await.0 == "done"
    })
    .await;
    assert_eq!(COUNTED.load(Ordering::SeqCst), 1);
    let job = jobs::by_id(&mut t.app().store().read().await.unwrap(), bad)
        .await
        .unwrap()
        .unwrap();
    let error = job.last_error.unwrap_or_default();
    assert!(error.contains("panicked: a bug in a handler"), "{error}");
    runner.stop().await;
    t.stop().await;
}
