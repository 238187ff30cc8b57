use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    hearth_server::cli::run().await
}
