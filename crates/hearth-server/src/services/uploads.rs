//! Uploads (cover images): checked for type and size before they are kept,
//! and shown only to people who may read something that uses them.

use hearth_core::access::{Action, decide};
use hearth_store::uploads::{self, NewUpload, Upload};

use super::Actor;
use crate::App;
use crate::error::{ServiceError, ServiceResult};

/// Largest image accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Largest width or height accepted, in pixels.
const MAX_SIDE: usize = 8000;

/// The image types accepted, recognised from the bytes (not from the name
/// or the type the browser claims).
pub fn image_type(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    use imagesize::ImageType;
    match imagesize::image_type(bytes).ok()? {
        ImageType::Png => Some(("image/png", "png")),
        ImageType::Jpeg => Some(("image/jpeg", "jpg")),
        ImageType::Webp => Some(("image/webp", "webp")),
        ImageType::Gif => Some(("image/gif", "gif")),
        _ => None,
    }
}

/// Checks and keeps an image a writer sent for `field`; returns its record.
pub async fn store_image(
    app: &App,
    actor: &Actor,
    field: &'static str,
    bytes: &[u8],
) -> ServiceResult<Upload> {
    let Some(account) = actor.signed_in() else {
        return Err(ServiceError::SignInRequired);
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ServiceError::field(
            field,
            format!(
                "This image is {:.1} MB; images can be at most 5 MB. Make it smaller and try again.",
                bytes.len() as f64 / 1_048_576.0
            ),
        ));
    }
    let Some((content_type, extension)) = image_type(bytes) else {
        return Err(ServiceError::field(
            field,
            "This file is not a PNG, JPEG, WebP or GIF image. Choose an image file.",
        ));
    };
    let size = imagesize::blob_size(bytes).map_err(|_| {
        ServiceError::field(
            field,
            "This image seems damaged: its size cannot be read. Try saving it again.",
        )
    })?;
    if size.width == 0 || size.height == 0 || size.width > MAX_SIDE || size.height > MAX_SIDE {
        return Err(ServiceError::field(
            field,
            format!("Images can be at most {MAX_SIDE} pixels wide and high."),
        ));
    }
    // Random, so that addresses cannot be guessed; made here, never from input.
    let token = hearth_store::seal::random_token().replace('_', "-");
    let key = format!("{}.{extension}", &token[..24]);
    app.storage()
        .put(&key, bytes)
        .await
        .map_err(|e| ServiceError::Internal(format!("storing an upload: {e}")))?;
    let mut tx = app.store().write().await?;
    let id = uploads::insert(
        &mut tx,
        NewUpload {
            storage_key: &key,
            content_type,
            byte_size: bytes.len() as i64,
            width: size.width as i64,
            height: size.height as i64,
            uploader: Some(account.id),
        },
        app.now(),
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(Upload {
        id,
        storage_key: key,
        content_type: content_type.to_owned(),
        byte_size: bytes.len() as i64,
        width: size.width as i64,
        height: size.height as i64,
    })
}

/// An upload's bytes, for someone who may see it: its uploader, or anyone
/// who may read an entry that shows it. Otherwise `NotFound`, so that a
/// members-only cover does not leak by its address.
pub async fn open(app: &App, actor: &Actor, key: &str) -> ServiceResult<(Upload, Vec<u8>)> {
    let mut conn = app.store().read().await?;
    let (upload, uploader) = uploads::by_key(&mut conn, key)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let viewer = actor.viewer();
    let mut visible = uploader.is_some() && viewer.account() == uploader;
    if !visible {
        for topic in uploads::used_by_entries(&mut conn, upload.id).await? {
            if let Some(entry) = hearth_store::blogs::by_topic(&mut conn, topic).await?
                && decide(viewer, entry.blog_tier, Action::Read).allowed()
                && super::blogs::visible_to(&mut conn, viewer, &entry, app.now()).await?
            {
                visible = true;
                break;
            }
        }
    }
    drop(conn);
    if !visible {
        return Err(ServiceError::NotFound);
    }
    let bytes = app
        .storage()
        .get(&upload.storage_key)
        .await
        .map_err(|e| ServiceError::Internal(format!("reading an upload: {e}")))?
        .ok_or(ServiceError::NotFound)?;
    Ok((upload, bytes))
}

/// An upload's record (for a writer's form showing the cover chosen).
pub async fn record(app: &App, id: i64) -> ServiceResult<Option<Upload>> {
    Ok(uploads::by_id(&mut *app.store().read().await?, id).await?)
}
