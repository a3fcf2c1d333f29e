//! The one place that calls the library's training entry points beyond
//! its root re-exports: training from memory or from a file, choosing the
//! number of epochs as `textnn train` does, stoppable from another thread.
//!
//! Kept apart so that a move inside `textnn::train` touches this file only.

use crate::settings::Plan;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use textnn::data::{Example, ReadOptions, ReadReport};
use textnn::train::auto_epochs::{train_choosing, AutoEpochs, AutoEvent};
use textnn::train::{train_from, Examples, RunOptions, TrainEvent};
use textnn::{Classifier, Result};

/// Where the training examples come from.
pub enum Source<'a> {
    /// Examples built from Python lists.
    Memory(&'a [Example]),
    /// A labelled file, read a block at a time as `textnn train` reads it.
    File(&'a Path, &'a ReadOptions),
}

/// What a training run gives back besides the model.
pub struct Trained {
    /// The model.
    pub model: Classifier,
    /// What reading the file skipped or repaired (clean for memory).
    pub report: ReadReport,
}

/// Trains as `textnn train` does with the same settings: the number of
/// epochs chosen on a validation slice when the plan says so, the final
/// run otherwise. `verbose` prints one line per epoch on stderr; `stop`
/// set from another thread stops training at the next segment boundary
/// ([`textnn::Error::Interrupted`]).
pub fn train(plan: &Plan, source: Source, verbose: bool, stop: &AtomicBool) -> Result<Trained> {
    let examples = match source {
        Source::Memory(examples) => Examples::Memory(examples),
        Source::File(path, options) => Examples::file(path, options),
    };
    let run = RunOptions {
        stop: Some(stop),
        ..RunOptions::default()
    };
    let mut report = ReadReport::default();
    let mut on_event = |event: &TrainEvent| {
        if let TrainEvent::Read { report: read, .. } = event {
            report = read.clone();
        }
        if verbose {
            print_event("", event);
        }
    };
    let auto = AutoEpochs::default();
    // As `textnn train`: the default preset chooses its representation
    // (with or without epochs given) and, without epochs, its epochs.
    let model = if plan.choose_epochs || plan.config.representations.is_some() {
        train_choosing(
            &plan.config,
            &examples,
            plan.choose_epochs.then_some(&auto),
            &run,
            &mut |event| match event {
                AutoEvent::Final(event) => on_event(event),
                AutoEvent::Probe(event) if verbose => print_event("choosing epochs: ", event),
                AutoEvent::RepresentationChosen(record) if verbose => eprintln!(
                    "chose the representation {} ({}) on a {:.0}% validation slice",
                    record.chosen,
                    record.chosen.describe(),
                    100.0 * record.fraction
                ),
                AutoEvent::Chosen(choice) if verbose => eprintln!(
                    "chose {} epochs on a {:.0}% validation slice (valid accuracy {:.4})",
                    choice.chosen.epoch,
                    100.0 * auto.fraction,
                    choice.chosen.valid_accuracy
                ),
                // The rest (no slice, multi-label data, a resumed choice, and
                // any event a later library adds) only narrate.
                _ => {}
            },
        )?
        .0
    } else {
        train_from(&plan.config, &examples, &run, &mut on_event)?
    };
    Ok(Trained { model, report })
}

/// One line per epoch, as `textnn train` prints them.
fn print_event(prefix: &str, event: &TrainEvent) {
    if let TrainEvent::Epoch(s) = event {
        let valid = match (s.valid_loss, s.valid_accuracy) {
            (Some(l), Some(a)) => format!("  valid loss {l:.6}  valid accuracy {a:.4}"),
            _ => String::new(),
        };
        eprintln!(
            "{prefix}epoch {}/{}  loss {:.6}  lr {:.6}  {:.0} examples/s{valid}",
            s.epoch, s.epochs, s.mean_loss, s.learning_rate, s.examples_per_second
        );
    }
}
