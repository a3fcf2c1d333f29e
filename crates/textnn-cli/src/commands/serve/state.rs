//! What every request shares, and hot reload.
//!
//! The model in service is an `Arc<LoadedModel>` behind an [`ArcSwap`]: a
//! request takes a snapshot (one reference count) when it starts and
//! answers from that snapshot however long it takes, so a reload never
//! changes the model under a request. A reload (SIGHUP or
//! `POST /admin/reload`) reads and fully verifies the file on a blocking
//! thread first (`AnyModel::load` checks magic, version, section lengths,
//! CRC-32, shapes and finite weights; a fastText model, its own fields), and only a model that passes replaces
//! the old one; otherwise the error is logged and counted, and the old model
//! keeps serving.

use super::metrics::Metrics;
use arc_swap::ArcSwap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use textnn::any_model::{AnyModel, AnyScratch};

/// A verified model and what belongs to it.
pub(super) struct LoadedModel {
    pub(super) classifier: AnyModel,
    /// Scratch buffers returned by finished requests, so that a request
    /// usually allocates only its answer. They are sized for this model,
    /// hence kept with it.
    scratch_pool: Mutex<Vec<AnyScratch>>,
    /// 1 for the model loaded at start, one more for each successful reload.
    pub(super) generation: u64,
    /// When the file was loaded.
    pub(super) loaded_at: SystemTime,
}

impl LoadedModel {
    pub(super) fn new(classifier: AnyModel, generation: u64) -> Self {
        LoadedModel {
            classifier,
            scratch_pool: Mutex::new(Vec::new()),
            generation,
            loaded_at: SystemTime::now(),
        }
    }

    /// Runs `f` with a scratch buffer from the pool (a new one if empty).
    pub(super) fn with_scratch<R>(&self, f: impl FnOnce(&AnyModel, &mut AnyScratch) -> R) -> R {
        let taken = lock(&self.scratch_pool).pop();
        let mut scratch = taken.unwrap_or_else(|| self.classifier.scratch());
        let result = f(&self.classifier, &mut scratch);
        lock(&self.scratch_pool).push(scratch);
        result
    }
}

/// Settings and shared state of the service.
pub(super) struct AppState {
    /// The model in service; see the module documentation.
    pub(super) model: ArcSwap<LoadedModel>,
    /// The file a reload reads again.
    pub(super) model_path: PathBuf,
    /// Held by the reload in progress, so that two reloads never interleave.
    reload_lock: Mutex<()>,
    pub(super) fallback_threshold: Option<f32>,
    pub(super) ambiguity_threshold: Option<f32>,
    pub(super) max_text_chars: usize,
    pub(super) max_batch: usize,
    /// The shared token, when `--token-file` is given.
    pub(super) token: Option<String>,
    /// The key that signs accepted JWTs, when `--jwt-secret` is given.
    pub(super) jwt_secret: Option<String>,
    /// Largest request body in bytes (`--max-body-bytes`).
    pub(super) max_body_bytes: usize,
    /// Longest the upload of a request body may take (`--body-read-timeout-ms`).
    pub(super) body_read_timeout: Duration,
    /// Most classification requests answered at once (`--max-concurrency`).
    pub(super) max_concurrency: usize,
    /// Longest a classification request may take (`--request-timeout-ms`).
    pub(super) request_timeout: Duration,
    /// Whether the test-only `X-Debug-Delay-Ms` header is honoured.
    pub(super) debug_delays: bool,
    pub(super) metrics: Metrics,
}

/// The settings of [`AppState`] that come from the command line.
pub(super) struct Settings {
    pub(super) model_path: PathBuf,
    pub(super) fallback_threshold: Option<f32>,
    pub(super) ambiguity_threshold: Option<f32>,
    pub(super) max_text_chars: usize,
    pub(super) max_batch: usize,
    pub(super) token: Option<String>,
    pub(super) jwt_secret: Option<String>,
    pub(super) max_body_bytes: usize,
    pub(super) body_read_timeout: Duration,
    pub(super) max_concurrency: usize,
    pub(super) request_timeout: Duration,
    pub(super) debug_delays: bool,
}

impl AppState {
    /// The state serving `classifier` as generation 1.
    pub(super) fn new(classifier: AnyModel, settings: Settings) -> Self {
        let metrics = Metrics::default();
        let model = LoadedModel::new(classifier, 1);
        metrics.model_loaded(model.generation, model.loaded_at);
        AppState {
            model: ArcSwap::from_pointee(model),
            model_path: settings.model_path,
            reload_lock: Mutex::new(()),
            fallback_threshold: settings.fallback_threshold,
            ambiguity_threshold: settings.ambiguity_threshold,
            max_text_chars: settings.max_text_chars,
            max_batch: settings.max_batch,
            token: settings.token,
            jwt_secret: settings.jwt_secret,
            max_body_bytes: settings.max_body_bytes,
            body_read_timeout: settings.body_read_timeout,
            max_concurrency: settings.max_concurrency,
            request_timeout: settings.request_timeout,
            debug_delays: settings.debug_delays,
            metrics,
        }
    }

    /// Whether requests must authenticate (`--token-file` or `--jwt-secret`).
    pub(super) fn auth_enabled(&self) -> bool {
        self.token.is_some() || self.jwt_secret.is_some()
    }

    /// The model in service now; the caller keeps it for the whole request.
    pub(super) fn snapshot(&self) -> Arc<LoadedModel> {
        self.model.load_full()
    }

    /// Loads and verifies the model file again and, if it passes, puts it
    /// in service; logs and counts the outcome. `trigger` (`SIGHUP`,
    /// `POST /admin/reload`) goes into the log. On error the old model
    /// keeps serving and the error names the file and the problem.
    pub(super) async fn reload(
        self: &Arc<Self>,
        trigger: &'static str,
    ) -> anyhow::Result<Arc<LoadedModel>> {
        let state = Arc::clone(self);
        // Reading and verifying a large model takes a while: off the workers.
        let result = tokio::task::spawn_blocking(move || state.reload_blocking())
            .await
            .unwrap_or_else(|e| Err(anyhow::anyhow!("the reload task failed: {e}")));
        let path = self.model_path.display();
        match &result {
            Ok(model) => {
                self.metrics
                    .reload_succeeded(model.generation, model.loaded_at);
                tracing::info!(
                    trigger,
                    model = %path,
                    generation = model.generation,
                    labels = model.classifier.labels().len(),
                    "reloaded the model"
                );
            }
            Err(e) => {
                self.metrics.reload_failed();
                tracing::error!(
                    trigger,
                    model = %path,
                    generation = self.model.load().generation,
                    error = %format!("{e:#}"),
                    "reload refused; still serving the previous model"
                );
            }
        }
        result
    }

    fn reload_blocking(&self) -> anyhow::Result<Arc<LoadedModel>> {
        let _one_at_a_time = lock(&self.reload_lock);
        let classifier = AnyModel::load(&self.model_path)?;
        let generation = self.model.load().generation + 1;
        let model = Arc::new(LoadedModel::new(classifier, generation));
        self.model.store(Arc::clone(&model));
        Ok(model)
    }
}

/// Locks `mutex`, ignoring poisoning: the data behind our mutexes (a pool of
/// buffers, a unit) stays valid even if a holder panicked.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
