//! The running application: shared state, the router with its layers, and
//! a server that tests can start on a random port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use hearth_store::{Sealer, Store, settings};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::memory::Kept;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The time the app goes by: the wall clock, unless a test moved it.
#[derive(Debug, Default)]
pub struct Clock {
    /// Added to the wall clock (0 unless a test set the time).
    shift_ms: AtomicI64,
}

impl Clock {
    /// Milliseconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        now_ms().saturating_add(self.shift_ms.load(Ordering::Relaxed))
    }

    /// Makes the clock read `at_ms` now and run on from there. For tests,
    /// which hold the `App` in process: no request can reach this.
    pub fn set(&self, at_ms: i64) {
        self.shift_ms
            .store(at_ms.saturating_sub(now_ms()), Ordering::Relaxed);
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Shared state for every request: the store, the configuration and the
/// organization's name (read on every page, so kept in memory).
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: Config,
    site_name: RwLock<String>,
    pages: crate::web::cache::PageCache,
    feeds: crate::memory::Kept<Arc<crate::feeds::Rendered>>,
    kept: Caches,
    safety: crate::services::safety::Safety,
    storage: crate::storage::Storage,
    /// None until a mail server is configured (mail jobs wait meanwhile).
    mailer: Option<crate::mail::Mailer>,
    outbound: crate::outbound::Outbound,
    hub: crate::realtime::Hub,
    gate: crate::overload::Gate,
    clock: Clock,
}

/// What members' pages are made of, kept in memory between requests (see
/// `memory`).
#[derive(Default)]
pub struct Caches {
    /// The shared part of topic pages, by topic and page.
    pub topics: Kept<Arc<crate::services::reading::SharedPage>>,
    /// Each reader's own part of topic pages.
    pub readers: Kept<Arc<hearth_store::topics::ReaderState>>,
    /// Who a session cookie is (`None`: no one).
    pub sessions: Kept<Option<hearth_store::accounts::Account>>,
    /// What the top of a member's every page shows, by member.
    pub summaries: Kept<Arc<crate::services::members::Summary>>,
}

/// Largest request body accepted; larger ones get 413. A post may have
/// 50,000 characters, and a form sends a non-Latin one as up to 9 bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

impl App {
    /// Connects to the database, runs migrations and loads site settings.
    pub async fn open(config: Config) -> Result<Self, BoxError> {
        if config.database_url.starts_with("sqlite:") {
            config.ensure_data_dir()?;
        }
        let sealer = Sealer::new(&config.secret_key()?);
        let store = Store::connect(&config.database_url, sealer).await?;
        store.migrate().await?;
        check_key(&store).await?;
        let name = settings::get(&mut *store.read().await?, settings::ORGANIZATION_NAME).await?;
        let storage = crate::storage::Storage::in_folder(config.data_dir.join("uploads"));
        let mailer = match &config.smtp {
            Some(smtp) => Some(crate::mail::Mailer::new(smtp, &config.base_url)?),
            None => None,
        };
        let outbound = crate::outbound::Outbound::new(&format!(
            "Hearth/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            config.base_url
        ))?;
        let gate = crate::overload::Gate::new(config.overload);
        let app = Self {
            inner: Arc::new(Inner {
                store,
                config,
                site_name: RwLock::new(name.unwrap_or_else(|| "Hearth".into())),
                pages: Default::default(),
                feeds: Default::default(),
                kept: Default::default(),
                safety: Default::default(),
                storage,
                mailer,
                outbound,
                hub: Default::default(),
                gate,
                clock: Clock::default(),
            }),
        };
        app.inner.hub.start(&app);
        crate::services::search::ensure_index(&app)
            .await
            .map_err(|e| format!("building the search index: {e}"))?;
        Ok(app)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Milliseconds since the Unix epoch, by the app's clock.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// The app's clock (tests set it).
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Where uploaded files are kept.
    pub fn storage(&self) -> &crate::storage::Storage {
        &self.inner.storage
    }

    /// The mail server, if one is configured.
    pub fn mailer(&self) -> Option<&crate::mail::Mailer> {
        self.inner.mailer.as_ref()
    }

    /// Live chat connections on this node.
    pub fn hub(&self) -> &crate::realtime::Hub {
        &self.inner.hub
    }

    /// The client for requests to other sites.
    pub fn outbound(&self) -> &crate::outbound::Outbound {
        &self.inner.outbound
    }

    /// The gates that shed excess load (see `overload`).
    pub fn gate(&self) -> &crate::overload::Gate {
        &self.inner.gate
    }

    pub fn safety(&self) -> &crate::services::safety::Safety {
        &self.inner.safety
    }

    pub fn page_cache(&self) -> &crate::web::cache::PageCache {
        &self.inner.pages
    }

    /// How many shared writes have been committed (`Store::changes`): what
    /// guests' pages kept in memory compare. None when nothing may be kept.
    pub async fn changes(&self) -> Option<u64> {
        if !self.inner.config.memory_cache {
            return None;
        }
        self.inner.store.changes().await
    }

    /// How many writes of any kind have been committed (`Store::all_changes`):
    /// what members' pages kept in memory compare. None when nothing may be kept.
    pub async fn all_changes(&self) -> Option<u64> {
        if !self.inner.config.memory_cache {
            return None;
        }
        self.inner.store.all_changes().await
    }

    pub fn kept(&self) -> &Caches {
        &self.inner.kept
    }

    /// Public feeds, kept like guests' pages.
    pub fn feed_cache(&self) -> &crate::memory::Kept<Arc<crate::feeds::Rendered>> {
        &self.inner.feeds
    }

    pub fn site_name(&self) -> String {
        self.inner
            .site_name
            .read()
            .map(|n| n.clone())
            .unwrap_or_default()
    }

    pub(crate) fn set_site_name(&self, name: &str) {
        if let Ok(mut n) = self.inner.site_name.write() {
            *n = name.to_owned();
        }
        self.inner.pages.clear();
        self.inner.feeds.clear();
    }

    /// An absolute link for messages and logs.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.config().base_url)
    }

    pub fn router(&self) -> Router {
        Router::new()
            .merge(crate::web::router())
            .merge(crate::feeds::router())
            .merge(crate::api::router())
            // Inside the guest page cache: a cached page never waits.
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                crate::overload::shed,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                crate::web::cache::guest_pages,
            ))
            .layer(axum::middleware::from_fn(
                crate::web::kept::give_back_typed_text,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                crate::web::csrf::ensure_cookie,
            ))
            .layer(axum::middleware::from_fn(crate::web::unreadable_paths))
            .layer(axum::middleware::from_fn(crate::web::security_headers))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(self.clone())
    }
}

/// Refuses to start with another key than the one the database was sealed
/// with: every email address would be unreadable, and no one could sign in.
async fn check_key(store: &Store) -> Result<(), BoxError> {
    let check: String = store
        .sealer()
        .blind_index("hearth key check")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut tx = store.write_private().await?;
    match settings::get(&mut tx, settings::KEY_CHECK).await? {
        Some(stored) if stored != check => Err("the secret key is not the one this database was sealed with: \
             give every node the same HEARTH_SECRET_KEY, or copy secret.key from the original data directory"
            .into()),
        Some(_) => Ok(()),
        None => {
            settings::set(&mut tx, settings::KEY_CHECK, &check).await?;
            hearth_store::commit(tx).await?;
            Ok(())
        }
    }
}

/// A server running in the background on its own port, with its job workers.
pub struct Server {
    pub addr: SocketAddr,
    pub app: App,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    jobs: crate::jobs::Runner,
}

impl Server {
    /// Serves `app` on `listener`, and runs its jobs, until `stop` is called.
    pub fn start(app: App, listener: TcpListener) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = app.router();
        let task = tokio::spawn(async move {
            let result = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "server stopped");
            }
        });
        let jobs = crate::jobs::Runner::start(app.clone(), crate::jobs::handlers(&app));
        Ok(Self {
            addr,
            app,
            stop: Some(stop),
            task,
            jobs,
        })
    }

    /// Stops taking requests, lets the workers finish the jobs in hand,
    /// then closes the database.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        self.jobs.stop().await;
        self.app.store().close().await;
    }
}
