use std::process::ExitCode;

/// A page is many small allocations (rows, strings, HTML); mimalloc serves
/// them markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    hearth_server::cli::run().await
}
