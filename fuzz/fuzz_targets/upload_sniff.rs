//! An uploaded file's first bytes, read for its image type and size the way
//! the upload service reads them before keeping it.
#![no_main]

use hearth_server::services::uploads::image_type;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if image_type(bytes).is_some() {
        let _ = imagesize::blob_size(bytes);
    }
});
