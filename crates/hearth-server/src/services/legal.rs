//! The privacy statement and terms: reading, publishing new versions, and
//! members accepting them.

use hearth_core::model::AccountId;
use hearth_store::legal::{self, DocKind, Document};

use super::Actor;
use crate::App;
use crate::error::{ServiceError, ServiceResult};

pub async fn current(app: &App, kind: DocKind) -> ServiceResult<Option<Document>> {
    Ok(legal::current(&mut *app.store().read().await?, kind).await?)
}

pub async fn history(app: &App, kind: DocKind) -> ServiceResult<Vec<Document>> {
    Ok(legal::history(&mut *app.store().read().await?, kind).await?)
}

pub async fn version(app: &App, kind: DocKind, version: i64) -> ServiceResult<Document> {
    legal::version(&mut *app.store().read().await?, kind, version)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Admin: publishes a new version; every member accepts it at their next visit.
pub async fn publish(app: &App, actor: &Actor, kind: DocKind, body: &str) -> ServiceResult<i64> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    if !actor.viewer().administers() {
        return Err(ServiceError::Forbidden(
            "Only admins can publish these texts.".into(),
        ));
    }
    let body = hearth_core::text::clean_text(body.trim());
    let body = body.as_str();
    if body.chars().count() < 20 || body.len() > 100_000 {
        return Err(ServiceError::field(
            "body",
            "Write the text in full (at least 20 characters, up to 100,000).",
        ));
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    let version = legal::publish(&mut tx, kind, body, Some(account.id), now).await?;
    // The admin who publishes it accepts it.
    if let Some(doc) = legal::current(&mut tx, kind).await? {
        legal::accept(&mut tx, account.id, doc.id, now).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(version)
}

/// What this member still has to accept before going on.
pub async fn awaiting(app: &App, actor: &Actor) -> ServiceResult<Vec<Document>> {
    match actor.signed_in() {
        Some(account) => awaiting_for(app, account.id).await,
        None => Ok(Vec::new()),
    }
}

pub async fn awaiting_for(app: &App, account: AccountId) -> ServiceResult<Vec<Document>> {
    Ok(legal::awaiting_acceptance(&mut *app.store().read().await?, account).await?)
}

/// Records acceptance of the current versions the member was shown.
pub async fn accept(app: &App, actor: &Actor, document_ids: &[i64]) -> ServiceResult<()> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let now = app.now();
    let mut tx = app.store().write().await?;
    for doc in legal::awaiting_acceptance(&mut tx, account.id).await? {
        if !document_ids.contains(&doc.id) {
            return Err(ServiceError::field(
                "accept",
                "A newer version was published meanwhile: please read it and accept again.",
            ));
        }
        legal::accept(&mut tx, account.id, doc.id, now).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Admin: who accepted which version, and when.
pub async fn acceptances(
    app: &App,
    actor: &Actor,
) -> ServiceResult<Vec<(String, DocKind, i64, i64)>> {
    if !actor.viewer().administers() {
        return Err(ServiceError::Forbidden(
            "Only admins can see acceptances.".into(),
        ));
    }
    Ok(legal::acceptances(&mut *app.store().read().await?, 200).await?)
}

/// Whether any privacy statement or terms have been published (registration
/// then requires accepting them).
pub async fn has_documents(app: &App) -> ServiceResult<bool> {
    Ok(!legal::current_all(&mut *app.store().read().await?)
        .await?
        .is_empty())
}
