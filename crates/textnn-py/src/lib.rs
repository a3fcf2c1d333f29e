//! `textnn._native`: the Rust side of the `textnn` Python package.
//!
//! The Python modules (`python/textnn/`) shape arguments and results
//! (NumPy arrays, scikit-learn's and fastText's conventions); this module
//! trains, loads, saves and predicts through the library's public API.
//! Every call that does real work releases the GIL (`Python::detach`), and
//! batch calls spread the texts over threads. Arrays cross the boundary as
//! little-endian `bytes` that Python views with `numpy.frombuffer`, so the
//! extension depends on no NumPy version (1.x and 2.x both work).
//!
//! Library errors become Python exceptions carrying the library's message:
//! `ValueError` for settings, `textnn.DataError` (a `ValueError`, with
//! `path` and `line`) for bad data, `textnn.ModelError` (a `ValueError`)
//! for a file that is not a valid model, `OSError` and its subclasses for
//! files, `textnn.TrainingError` (a `RuntimeError`) for diverged training,
//! and `KeyboardInterrupt` when Ctrl-C stops training.

mod engine;
mod settings;

use pyo3::create_exception;
use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyPermissionError, PyRuntimeError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyBytes;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;
use textnn::data::{DataFormat, Example, ReadOptions};
use textnn::metrics::Evaluator;
use textnn::nn::Workspace;
use textnn::{Classifier, Error};

create_exception!(
    textnn,
    DataError,
    PyValueError,
    "A line of training or test data is malformed: `path` and `line` say where (`line` is None for a whole-file problem)."
);
create_exception!(
    textnn,
    ModelError,
    PyValueError,
    "Bytes or a file that are not a valid textnn model (damaged, truncated, another format)."
);
create_exception!(
    textnn,
    TrainingError,
    PyRuntimeError,
    "Training diverged (a NaN or infinite loss or weight); the message says which epoch and what to change."
);

/// The Python exception for a library error, with the library's message.
fn to_py(py: Python<'_>, error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::InvalidConfig(_) => PyValueError::new_err(message),
        Error::Data { path, line, .. } => data_error(py, message, path, Some(line)),
        Error::Input { path, .. } => data_error(py, message, path, None),
        Error::Io { cause, .. } => match cause.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            _ => PyOSError::new_err(message),
        },
        Error::BadModel { .. } => ModelError::new_err(message),
        Error::Diverged { .. } => TrainingError::new_err(message),
        Error::Interrupted { .. } | Error::InterruptedChoosingEpochs { .. } => {
            PyKeyboardInterrupt::new_err(message)
        }
    }
}

/// A `DataError` whose `path` and `line` attributes say where.
fn data_error(py: Python<'_>, message: String, path: String, line: Option<usize>) -> PyErr {
    let error = DataError::new_err(message);
    let value = error.value(py);
    // Setting an attribute on a fresh exception instance cannot fail but
    // for lack of memory, which Python reports on its own.
    let _ = value.setattr("path", path);
    let _ = value.setattr("line", line);
    error
}

/// Runs `work` on a thread of its own with the GIL released, checking for
/// Ctrl-C (Python's signal handlers) every 100 ms meanwhile: a signal
/// sets the stop flag `work` receives, and once it has returned, the
/// signal's exception is raised.
fn interruptible<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&AtomicBool) -> textnn::Result<T> + Send,
) -> PyResult<T> {
    let stop = AtomicBool::new(false);
    let (result, signal) = py.detach(|| {
        std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel();
            let stop = &stop;
            let worker = scope.spawn(move || {
                let result = work(stop);
                // The receiver lives until the worker is joined.
                let _ = done.send(());
                result
            });
            let mut signal = None;
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                finished.recv_timeout(Duration::from_millis(100))
            {
                if signal.is_none() {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        stop.store(true, Ordering::Relaxed);
                        signal = Some(e);
                    }
                }
            }
            (worker.join(), signal)
        })
    });
    if let Some(signal) = signal {
        return Err(signal);
    }
    match result {
        Ok(result) => result.map_err(|e| to_py(py, e)),
        Err(_) => Err(PyRuntimeError::new_err(
            "textnn: training panicked (a bug: please report it)",
        )),
    }
}

/// Threads to use: `threads`, or every core when 0.
fn thread_count(threads: usize) -> usize {
    if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    }
}

/// `work` over consecutive slices of `texts` on up to `threads` threads,
/// results concatenated in input order. Each slice gets its own `state`.
fn in_parallel<S, T: Send>(
    texts: &[PyBackedStr],
    threads: usize,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&str, &mut S, &mut Vec<T>) + Sync,
) -> Vec<T> {
    // Below a few hundred texts a thread costs more than it saves.
    let threads = thread_count(threads).min(texts.len().div_ceil(256)).max(1);
    let chunk = texts.len().div_ceil(threads).max(1);
    let run = |slice: &[PyBackedStr]| {
        let mut state = state();
        let mut out = Vec::new();
        for text in slice {
            work(text, &mut state, &mut out);
        }
        out
    };
    if threads == 1 {
        return run(texts);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .chunks(chunk)
            .map(|slice| scope.spawn(move || run(slice)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("prediction does not panic"))
            .collect()
    })
}

/// Little-endian bytes of `values` as a Python `bytes` object.
fn le_bytes<'py, T: Copy>(
    py: Python<'py>,
    values: &[T],
    to_le: impl Fn(T) -> [u8; 4],
) -> Bound<'py, PyBytes> {
    let mut bytes = Vec::with_capacity(values.len() * 4);
    for &v in values {
        bytes.extend_from_slice(&to_le(v));
    }
    PyBytes::new(py, &bytes)
}

/// A trained textnn model (immutable; safe to share between threads).
#[pyclass(frozen, module = "textnn._native")]
struct Model {
    classifier: Classifier,
}

#[pymethods]
impl Model {
    /// Verifies and loads a model from its bytes (a model file's content).
    #[staticmethod]
    #[pyo3(signature = (data, source = "<bytes>"))]
    fn from_bytes(py: Python<'_>, data: &[u8], source: &str) -> PyResult<Model> {
        let classifier = py
            .detach(|| Classifier::from_bytes(source, data))
            .map_err(|e| to_py(py, e))?;
        Ok(Model { classifier })
    }

    /// Verifies and loads a model file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Model> {
        let classifier = py
            .detach(|| Classifier::load(&path))
            .map_err(|e| to_py(py, e))?;
        Ok(Model { classifier })
    }

    /// The model file's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| self.classifier.to_bytes());
        PyBytes::new(py, &bytes)
    }

    /// Saves the model file atomically.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.classifier.save(&path))
            .map_err(|e| to_py(py, e))
    }

    /// Label names by label id (most frequent in training first).
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.classifier.labels().names().to_vec()
    }

    /// Training count of each label, by label id.
    #[getter]
    fn label_counts(&self) -> Vec<u64> {
        self.classifier.labels().counts().to_vec()
    }

    /// The vocabulary (most frequent first).
    #[getter]
    fn words(&self) -> Vec<String> {
        self.classifier.vocabulary().names().to_vec()
    }

    /// Training count of each word, by word id.
    #[getter]
    fn word_counts(&self) -> Vec<u64> {
        self.classifier.vocabulary().counts().to_vec()
    }

    /// Width of the text vectors ([`Model::sentence_vectors`]).
    #[getter]
    fn dim(&self) -> usize {
        self.classifier.network().config().dim
    }

    /// The network in one line, as `textnn info` prints it.
    fn describe(&self) -> String {
        self.classifier.network().config().describe()
    }

    /// `{"settings": …, "network": …}`: the training settings and the
    /// network's shape, as the model file records them (JSON).
    fn settings_json(&self) -> PyResult<String> {
        let value = serde_json::json!({
            "settings": self.classifier.settings(),
            "network": self.classifier.network().config(),
        });
        Ok(value.to_string())
    }

    /// The tokens the model sees in `text`.
    fn tokenize(&self, text: &str) -> Vec<String> {
        self.classifier.pipeline().tokenize(text)
    }

    /// For each text, its `k` most probable labels (all when `k` is 0)
    /// with probability at least `threshold` (the model's own when None):
    /// `(counts, label_ids, probabilities)`, the counts as u32, the ids as
    /// u32 and the probabilities as f32, all little-endian bytes, the
    /// texts' rankings one after another.
    #[pyo3(signature = (texts, k = 1, threshold = None, threads = 0))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        k: usize,
        threshold: Option<f32>,
        threads: usize,
    ) -> PyResult<(
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
    )> {
        let threshold = threshold.unwrap_or(self.classifier.settings().threshold);
        let model = &self.classifier;
        // Each text gives its count, then (id, probability) per kept label.
        let ranked: Vec<(u32, f32)> = py.detach(|| {
            in_parallel(
                &texts,
                threads,
                || (model.scratch(), Vec::new()),
                |text, (scratch, top), out| {
                    let probs = model.probabilities_with(text, scratch);
                    textnn::model::top_k(probs, k, threshold, top);
                    out.push((top.len() as u32, 0.0));
                    out.extend(top.iter().map(|&(id, p)| (id as u32, p)));
                },
            )
        });
        let (mut counts, mut ids, mut probs) = (Vec::new(), Vec::new(), Vec::new());
        let mut rest = &ranked[..];
        while let Some((&(count, _), tail)) = rest.split_first() {
            let (kept, after) = tail.split_at(count as usize);
            counts.push(count);
            ids.extend(kept.iter().map(|&(id, _)| id));
            probs.extend(kept.iter().map(|&(_, p)| p));
            rest = after;
        }
        Ok((
            le_bytes(py, &counts, u32::to_le_bytes),
            le_bytes(py, &ids, u32::to_le_bytes),
            le_bytes(py, &probs, f32::to_le_bytes),
        ))
    }

    /// Every label's probability for each text: f32 little-endian bytes,
    /// texts × labels, labels by id.
    #[pyo3(signature = (texts, threads = 0))]
    fn probabilities<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        threads: usize,
    ) -> Bound<'py, PyBytes> {
        let model = &self.classifier;
        let values: Vec<f32> = py.detach(|| {
            in_parallel(
                &texts,
                threads,
                || model.scratch(),
                |text, scratch, out| out.extend_from_slice(model.probabilities_with(text, scratch)),
            )
        });
        le_bytes(py, &values, f32::to_le_bytes)
    }

    /// The output layer's scores before the output activation (one per
    /// label; for hierarchical softmax, one per tree node) for each text:
    /// f32 little-endian bytes, texts × scores.
    #[pyo3(signature = (texts, threads = 0))]
    fn logits<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        threads: usize,
    ) -> Bound<'py, PyBytes> {
        let values = self.forward_values(py, &texts, threads, |ws| ws.logits());
        le_bytes(py, &values, f32::to_le_bytes)
    }

    /// The embedding bag's output (after its activation) for each text:
    /// f32 little-endian bytes, texts × dim.
    #[pyo3(signature = (texts, threads = 0))]
    fn sentence_vectors<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        threads: usize,
    ) -> Bound<'py, PyBytes> {
        let values = self.forward_values(py, &texts, threads, |ws| ws.embedding_output());
        le_bytes(py, &values, f32::to_le_bytes)
    }

    /// `textnn test`'s report (JSON) on labelled texts in memory.
    #[pyo3(signature = (texts, labels, k = 1, threshold = None))]
    fn evaluate(
        &self,
        py: Python<'_>,
        texts: Vec<PyBackedStr>,
        labels: Vec<Vec<PyBackedStr>>,
        k: usize,
        threshold: Option<f32>,
    ) -> PyResult<String> {
        if texts.len() != labels.len() {
            return Err(PyValueError::new_err(format!(
                "{} texts but {} label lists",
                texts.len(),
                labels.len()
            )));
        }
        let examples: Vec<Example> = texts
            .iter()
            .zip(&labels)
            .enumerate()
            .map(|(i, (text, labels))| Example {
                text: text.to_string(),
                labels: labels.iter().map(|l| l.to_string()).collect(),
                line: i + 1,
            })
            .collect();
        Ok(py.detach(|| self.report(&examples, k, threshold)))
    }

    /// `textnn test`'s report (JSON) on a labelled file.
    #[pyo3(signature = (path, k = 1, threshold = None, format = None, label_prefix = "__label__", text_column = "text", label_column = "label", lossy = false))]
    #[allow(clippy::too_many_arguments)]
    fn test_file(
        &self,
        py: Python<'_>,
        path: PathBuf,
        k: usize,
        threshold: Option<f32>,
        format: Option<&str>,
        label_prefix: &str,
        text_column: &str,
        label_column: &str,
        lossy: bool,
    ) -> PyResult<String> {
        let options = read_options(format, label_prefix, text_column, label_column, lossy)?;
        py.detach(|| {
            let examples = textnn::data::read_file(&path, &options)?;
            Ok(self.report(&examples, k, threshold))
        })
        .map_err(|e| to_py(py, e))
    }

    /// Pickling: the model's bytes, verified again when unpickled.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let from_bytes = slf.get_type().getattr("from_bytes")?;
        Ok((from_bytes, (slf.get().to_bytes(py),)))
    }

    fn __repr__(&self) -> String {
        format!("<textnn model: {}>", self.describe())
    }
}

impl Model {
    /// One forward pass per text, keeping what `pick` selects of each.
    fn forward_values(
        &self,
        py: Python<'_>,
        texts: &[PyBackedStr],
        threads: usize,
        pick: impl Fn(&Workspace) -> &[f32] + Sync,
    ) -> Vec<f32> {
        let model = &self.classifier;
        let network = model.network();
        py.detach(|| {
            in_parallel(
                texts,
                threads,
                || Workspace::new(network),
                |text, workspace, out| {
                    network.forward_eval(&model.feature_ids(text), workspace);
                    out.extend_from_slice(pick(workspace));
                },
            )
        })
    }

    /// The metrics of `textnn test` on `examples`, as JSON.
    fn report(&self, examples: &[Example], k: usize, threshold: Option<f32>) -> String {
        let model = &self.classifier;
        let threshold = threshold.unwrap_or(model.settings().threshold);
        let mut evaluator = Evaluator::new(model.labels().names().to_vec(), k);
        let mut scratch = model.scratch();
        let (mut gold, mut unseen) = (Vec::new(), Vec::new());
        for example in examples {
            model
                .labels()
                .split_known(&example.labels, &mut gold, &mut unseen);
            // The loss is defined against known labels only.
            let loss =
                (!gold.is_empty()).then(|| model.loss_with(&example.text, &gold, &mut scratch));
            let predicted = model.predict_with(&example.text, k, threshold, &mut scratch);
            evaluator.add(&gold, &unseen, &predicted, loss);
        }
        serde_json::to_string(&evaluator.finish()).expect("a report serializes")
    }
}

/// Reading options of a data file, as `textnn train`'s `--format`,
/// `--label-prefix`, `--text-column`, `--label-column` and `--lossy`.
fn read_options(
    format: Option<&str>,
    label_prefix: &str,
    text_column: &str,
    label_column: &str,
    lossy: bool,
) -> PyResult<ReadOptions> {
    let format = match format {
        Some(name) => Some(
            name.parse::<DataFormat>()
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
        ),
        None => None,
    };
    Ok(ReadOptions {
        format,
        label_prefix: label_prefix.to_string(),
        text_column: text_column.to_string(),
        label_column: label_column.to_string(),
        require_labels: true,
        lossy,
    })
}

/// Trains on texts and their labels in memory with `preset`'s settings
/// changed by `settings_json`; returns the model and a warning ("" when
/// none).
#[pyfunction]
#[pyo3(signature = (texts, labels, preset = "default", settings_json = "{}", verbose = false))]
fn train(
    py: Python<'_>,
    texts: Vec<PyBackedStr>,
    labels: Vec<Vec<PyBackedStr>>,
    preset: &str,
    settings_json: &str,
    verbose: bool,
) -> PyResult<(Model, String)> {
    if texts.len() != labels.len() {
        return Err(PyValueError::new_err(format!(
            "{} texts but {} label lists: give one list of labels per text",
            texts.len(),
            labels.len()
        )));
    }
    let plan = settings::plan(preset, settings_json).map_err(|e| to_py(py, e))?;
    let examples: Vec<Example> = texts
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (text, labels))| Example {
            text: text.to_string(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            line: i + 1,
        })
        .collect();
    drop((texts, labels));
    let trained = interruptible(py, |stop| {
        engine::train(&plan, engine::Source::Memory(&examples), verbose, stop)
    })?;
    Ok((
        Model {
            classifier: trained.model,
        },
        String::new(),
    ))
}

/// Trains on a labelled file (read a block at a time, as `textnn train`
/// reads it); returns the model and a warning about skipped or repaired
/// lines ("" when none).
#[pyfunction]
#[pyo3(signature = (path, preset = "default", settings_json = "{}", verbose = false, format = None, label_prefix = "__label__", text_column = "text", label_column = "label", lossy = false))]
#[allow(clippy::too_many_arguments)]
fn train_file(
    py: Python<'_>,
    path: PathBuf,
    preset: &str,
    settings_json: &str,
    verbose: bool,
    format: Option<&str>,
    label_prefix: &str,
    text_column: &str,
    label_column: &str,
    lossy: bool,
) -> PyResult<(Model, String)> {
    let plan = settings::plan(preset, settings_json).map_err(|e| to_py(py, e))?;
    let options = read_options(format, label_prefix, text_column, label_column, lossy)?;
    let trained = interruptible(py, |stop| {
        engine::train(&plan, engine::Source::File(&path, &options), verbose, stop)
    })?;
    let warning = if trained.report.is_clean() {
        String::new()
    } else {
        format!("{}: {}", path.display(), trained.report)
    };
    Ok((
        Model {
            classifier: trained.model,
        },
        warning,
    ))
}

/// The settings `train` accepts, in `textnn train --help`'s order.
#[pyfunction]
fn setting_names() -> Vec<&'static str> {
    settings::SETTINGS.to_vec()
}

/// The settings of a preset with `settings_json` applied, validated, as
/// the model file would record them (JSON).
#[pyfunction]
#[pyo3(signature = (preset = "default", settings_json = "{}"))]
fn resolve_settings(py: Python<'_>, preset: &str, settings_json: &str) -> PyResult<String> {
    let plan = settings::plan(preset, settings_json).map_err(|e| to_py(py, e))?;
    serde_json::to_string(&plan.config).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The module `textnn._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(train_file, m)?)?;
    m.add_function(wrap_pyfunction!(setting_names, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_settings, m)?)?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("TrainingError", py.get_type::<TrainingError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
