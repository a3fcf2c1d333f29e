//! One race on a validation slice chooses the representation and the
//! number of epochs: successive halving over the candidates, then the
//! winner's own run goes on until its validation accuracy has peaked.
//!
//! ```text
//! examples ─▶ stratified, seeded split: 90 % fit │ 10 % validation
//!          ─▶ every candidate (words, symbols, chars) starts its run on
//!             the 90 %, measured on the 10 % after every epoch
//!          ─▶ round k: each runner goes on to epoch 2·2^(k-1), then pauses;
//!             the better half (rounded up) goes on, less any runner more
//!             than two standard errors behind the leader; the others stop
//!          ─▶ the last runner goes on until its smoothed validation
//!             accuracy has peaked (or the probe's most epochs)
//!          ─▶ epochs = its curve's best point (`auto_epochs::choose`)
//! ```
//!
//! A runner is paused, not restarted: each run lives on a thread of its
//! own and waits in [`RunOptions::after_epoch`] for the word to go on, and
//! only one thread trains at a time. So the winner's first epochs are its
//! trial's, no epoch is trained twice, and the race costs about what the
//! winner's probe alone would, plus a few epochs of each loser. Every run
//! is the same as it would be alone (its own seed, data and schedule; the
//! inverse schedule's rate at epoch `e` does not depend on the run's
//! length), so the same data, settings, seed and threads give the same
//! choice. Paused runs keep their prepared data and weights in memory:
//! the race holds up to one model per candidate at once.
//!
//! Ranking a round: the mean validation accuracy of each runner's last two
//! epochs. A later candidate (symbols, then chars: more features, slower
//! to converge) displaces an earlier one only when it is ahead by more
//! than the standard error of the earlier one's accuracy on the slice,
//! `sqrt(p(1 − p)/n)`: on a slice of a few hundred texts one or two
//! texts are noise, not evidence (spamassassin's 470-text slice chose
//! chars by one text, and lost 0.5 points on test).

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

use super::auto_epochs::{smoothed_from, AutoEpochs, EpochPoint};
use super::{train_from, EpochStats, Examples, RunOptions, TrainConfig, TrainEvent};
use crate::config::{CandidateScore, Representation};
use crate::{Error, Result};

/// How the race runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RaceSettings {
    /// Fraction of the training examples held out (stratified by first
    /// label, drawn with the training seed).
    pub fraction: f32,
    /// Epochs of the first round; each later round doubles them.
    pub first_round: usize,
}

impl Default for RaceSettings {
    /// 10 % held out (the epoch probe's slice), a first round of 2 epochs
    /// (a character n-gram epoch costs up to ten of words on long texts).
    fn default() -> Self {
        RaceSettings {
            fraction: 0.1,
            first_round: 2,
        }
    }
}

/// One round's standings, as [`RaceEvent::Round`] reports them.
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    /// Epochs every runner had trained (fewer if its run was shorter).
    pub epochs: usize,
    /// Each runner's score, in the candidates' order.
    pub scores: Vec<CandidateScore>,
    /// The runners that go on.
    pub kept: Vec<Representation>,
}

/// What the race reports.
#[derive(Clone, Debug, PartialEq)]
pub enum RaceEvent<'a> {
    /// An event of a candidate's run while more than one runs.
    Trial(Representation, &'a TrainEvent),
    /// A round ended.
    Round(&'a Round),
    /// An event of the last runner's run (the probe), once it runs alone.
    Probe(&'a TrainEvent),
}

/// What the race found.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceResult {
    /// The winning candidate (`None` when the race had a single runner
    /// with no representation of its own).
    pub winner: Option<Representation>,
    /// Every candidate's score in its last round, in the candidates'
    /// order (empty with a single runner).
    pub scores: Vec<CandidateScore>,
    /// The winner's validation curve, one point per epoch.
    pub curve: Vec<EpochPoint>,
    /// Validation examples in the slice.
    pub slice: usize,
}

/// Races `config` with each of `candidates` applied (or `config` alone
/// when there are none) on all but a `settings.fraction` slice of
/// `examples`, each run lasting at most `max_epochs` epochs. With `auto`,
/// the winner goes on until its validation accuracy has peaked
/// ([`peaked`]); without, it stops when the rounds end. `None` when
/// nothing could be held out (one example per label). The runs take only
/// `run`'s stop flag, cache folder and execution.
#[allow(clippy::too_many_arguments)]
pub fn race(
    config: &TrainConfig,
    candidates: &[Representation],
    examples: &Examples,
    settings: &RaceSettings,
    auto: Option<&AutoEpochs>,
    max_epochs: usize,
    run: &RunOptions,
    observer: &mut dyn FnMut(RaceEvent),
) -> Result<Option<RaceResult>> {
    let base = TrainConfig {
        epochs: max_epochs,
        valid_split: Some(settings.fraction),
        early_stopping: None,
        epochs_chosen: None,
        representations: None,
        representation_chosen: None,
        ..config.clone()
    };
    let runners: Vec<(Option<Representation>, TrainConfig)> = if candidates.is_empty() {
        vec![(None, base)]
    } else {
        candidates
            .iter()
            .map(|&c| {
                let mut runner_config = base.clone();
                c.apply(&mut runner_config);
                (Some(c), runner_config)
            })
            .collect()
    };
    let (reports, inbox) = channel();
    std::thread::scope(|scope| {
        let mut lanes = Vec::with_capacity(runners.len());
        for (i, (_, runner_config)) in runners.iter().enumerate() {
            let (go, wait) = channel();
            let reports = reports.clone();
            scope.spawn(move || run_lane(i, runner_config, examples, run, reports, wait));
            lanes.push(Lane::new(go));
        }
        drop(reports);
        let mut referee = Referee {
            runners: &runners,
            lanes,
            inbox,
            observer,
            alone: runners.len() == 1,
        };
        let result = referee.run(settings, auto);
        // Whatever happened, no run waits for an answer that never comes.
        referee.stop_all();
        result
    })
}

/// Whether the probe can stop, its validation slice holding `slice`
/// texts. Its peak is the first epoch (from `auto.min_epochs` on) whose
/// smoothed accuracy is within half a standard error of the best so far,
/// `0.5·sqrt(p(1 − p)/n)`: gains smaller than that are a text or two on
/// the slice, and a curve that creeps up by them (debian_sections' did
/// for 34 epochs after its peak) would otherwise never stop. The probe
/// stops once the peak is at least `auto.patience` epochs back, and at
/// least as many epochs back as it took to reach it (a curve still
/// rising at epoch 12 gets until epoch 24).
pub fn peaked(curve: &[EpochPoint], auto: &AutoEpochs, slice: usize) -> bool {
    let Some(last) = curve.last() else {
        return false;
    };
    if last.epoch < auto.min_epochs {
        return false;
    }
    let smoothed = smoothed_from(curve, auto.window, auto.min_epochs);
    let best = smoothed
        .iter()
        .map(|&(_, a, _)| a)
        .fold(f64::NEG_INFINITY, f64::max);
    if !best.is_finite() {
        return false;
    }
    let p = best.clamp(0.0, 1.0);
    let tolerance = 0.5 * (p * (1.0 - p) / slice.max(1) as f64).sqrt();
    smoothed
        .iter()
        .find(|&&(_, a, _)| a >= best - tolerance - 1e-12)
        .is_some_and(|&(i, _, _)| {
            let peak = curve[i].epoch;
            last.epoch >= (peak + auto.patience).max(2 * peak)
        })
}

/// Messages from a runner's thread.
enum Report {
    Event(usize, TrainEvent),
    Epoch(usize, EpochStats),
    Done(usize, Result<()>),
}

/// One runner's thread: waits for the word to start, trains, and after
/// every epoch reports and waits for the word to go on (`false` or a
/// closed channel ends the run).
fn run_lane(
    i: usize,
    config: &TrainConfig,
    examples: &Examples,
    run: &RunOptions,
    reports: Sender<Report>,
    wait: Receiver<bool>,
) {
    if wait.recv() != Ok(true) {
        return;
    }
    let wait = Mutex::new(wait);
    let epoch_reports = Mutex::new(reports.clone());
    let go_on = |stats: &EpochStats| {
        let sent = epoch_reports
            .lock()
            .map(|r| r.send(Report::Epoch(i, stats.clone())).is_ok())
            .unwrap_or(false);
        sent && wait.lock().map(|w| w.recv() == Ok(true)).unwrap_or(false)
    };
    let lane_run = RunOptions {
        stop: run.stop,
        cache_dir: run.cache_dir,
        execution: run.execution,
        after_epoch: Some(&go_on),
        ..RunOptions::default()
    };
    let outcome = train_from(config, examples, &lane_run, &mut |event| {
        let _ = reports.send(Report::Event(i, event.clone()));
    });
    let _ = reports.send(Report::Done(i, outcome.map(|_| ())));
}

/// The referee's view of one runner.
struct Lane {
    go: Sender<bool>,
    curve: Vec<EpochPoint>,
    read: usize,
    trained_on: usize,
    started: bool,
    /// Waiting in `after_epoch` for an answer.
    paused: bool,
    finished: bool,
}

impl Lane {
    fn new(go: Sender<bool>) -> Self {
        Lane {
            go,
            curve: Vec::new(),
            read: 0,
            trained_on: 0,
            started: false,
            paused: false,
            finished: false,
        }
    }

    /// Validation examples: those read less those trained on.
    fn slice(&self) -> usize {
        self.read.saturating_sub(self.trained_on)
    }

    /// The round's score: accuracy and loss averaged over the last two
    /// epochs (one, after one).
    fn score(&self, representation: Representation) -> CandidateScore {
        let last = &self.curve[self.curve.len().saturating_sub(2)..];
        let n = last.len().max(1) as f64;
        CandidateScore {
            representation,
            valid_accuracy: last.iter().map(|p| p.valid_accuracy).sum::<f64>() / n,
            valid_loss: last.iter().map(|p| p.valid_loss).sum::<f64>() / n,
            epochs: self.curve.last().map_or(0, |p| p.epoch),
        }
    }
}

/// Runs the rounds: starts, pauses and stops the runners one at a time.
struct Referee<'r, 'o> {
    runners: &'r [(Option<Representation>, TrainConfig)],
    lanes: Vec<Lane>,
    inbox: Receiver<Report>,
    observer: &'o mut dyn FnMut(RaceEvent),
    /// One runner left: its events are the probe's.
    alone: bool,
}

impl Referee<'_, '_> {
    fn run(
        &mut self,
        settings: &RaceSettings,
        auto: Option<&AutoEpochs>,
    ) -> Result<Option<RaceResult>> {
        let mut alive: Vec<usize> = (0..self.runners.len()).collect();
        let mut scores: Vec<Option<CandidateScore>> = vec![None; self.runners.len()];
        let mut target = settings.first_round.max(1);
        while alive.len() > 1 {
            for &i in &alive {
                self.advance(i, &|curve, _| curve.len() >= target)?;
            }
            if alive.iter().any(|&i| self.lanes[i].curve.is_empty()) {
                return Ok(None); // nothing held out
            }
            let standings: Vec<CandidateScore> = alive
                .iter()
                .map(|&i| self.lanes[i].score(self.representation(i)))
                .collect();
            let slice = self.lanes[alive[0]].slice();
            let order = rank(&standings, slice);
            let leader = &standings[order[0]];
            let kept: Vec<usize> = order[..alive.len().div_ceil(2)]
                .iter()
                .filter(|&&k| !clearly_behind(&standings[k], leader, slice))
                .map(|&k| alive[k])
                .collect();
            for (k, &i) in alive.iter().enumerate() {
                scores[i] = Some(standings[k]);
                if !kept.contains(&i) {
                    self.stop(i)?;
                }
            }
            let round = Round {
                epochs: target,
                scores: standings,
                kept: kept.iter().map(|&i| self.representation(i)).collect(),
            };
            (self.observer)(RaceEvent::Round(&round));
            alive.retain(|i| kept.contains(i));
            target *= 2;
        }
        let winner = alive[0];
        self.alone = true;
        match auto {
            Some(auto) => self.advance(winner, &|curve, slice| peaked(curve, auto, slice))?,
            None => self.advance(winner, &|curve, _| !curve.is_empty())?,
        }
        let lane = &self.lanes[winner];
        if lane.curve.is_empty() {
            return Ok(None);
        }
        Ok(Some(RaceResult {
            winner: self.runners[winner].0,
            scores: scores.into_iter().flatten().collect(),
            curve: lane.curve.clone(),
            slice: lane.slice(),
        }))
    }

    fn representation(&self, i: usize) -> Representation {
        self.runners[i].0.unwrap_or(Representation::Words)
    }

    /// Lets runner `i` train until `enough` says its curve (on a slice of
    /// the given size) is long enough, or its run ends; then leaves it
    /// paused.
    fn advance(&mut self, i: usize, enough: &dyn Fn(&[EpochPoint], usize) -> bool) -> Result<()> {
        let lane = &mut self.lanes[i];
        if lane.finished || (lane.started && enough(&lane.curve, lane.slice())) {
            return Ok(());
        }
        lane.started = true;
        lane.paused = false;
        lane.go.send(true).map_err(|_| lost_runner())?;
        loop {
            match self.inbox.recv().map_err(|_| lost_runner())? {
                Report::Event(j, event) => self.forward(j, &event),
                Report::Epoch(j, stats) => {
                    let lane = &mut self.lanes[j];
                    if let (Some(valid_loss), Some(valid_accuracy)) =
                        (stats.valid_loss, stats.valid_accuracy)
                    {
                        lane.curve.push(EpochPoint {
                            epoch: stats.epoch,
                            valid_loss,
                            valid_accuracy,
                        });
                    }
                    // Nothing held out: no curve will ever say enough.
                    if lane.curve.is_empty() || enough(&lane.curve, lane.slice()) {
                        lane.paused = true;
                        return Ok(());
                    }
                    lane.go.send(true).map_err(|_| lost_runner())?;
                }
                Report::Done(j, outcome) => {
                    self.lanes[j].finished = true;
                    return outcome;
                }
            }
        }
    }

    /// Sends the events of runner `j` on, and notes what it read.
    fn forward(&mut self, j: usize, event: &TrainEvent) {
        match event {
            TrainEvent::Read { examples, .. } => self.lanes[j].read = *examples,
            TrainEvent::Prepared { examples, .. } => self.lanes[j].trained_on = *examples,
            _ => {}
        }
        if self.alone {
            (self.observer)(RaceEvent::Probe(event));
        } else {
            let representation = self.representation(j);
            (self.observer)(RaceEvent::Trial(representation, event));
        }
    }

    /// Ends paused runner `i`'s run and waits until it has.
    fn stop(&mut self, i: usize) -> Result<()> {
        let lane = &mut self.lanes[i];
        if !lane.paused || lane.finished {
            return Ok(());
        }
        lane.paused = false;
        if lane.go.send(false).is_err() {
            return Ok(());
        }
        loop {
            match self.inbox.recv() {
                Ok(Report::Done(j, outcome)) if j == i => {
                    self.lanes[i].finished = true;
                    return outcome;
                }
                Ok(_) => {}
                Err(_) => return Ok(()),
            }
        }
    }

    /// Stops every paused runner and tells the unstarted ones not to start.
    fn stop_all(&mut self) {
        for i in 0..self.lanes.len() {
            if self.lanes[i].paused {
                let _ = self.stop(i);
            } else if !self.lanes[i].started {
                let _ = self.lanes[i].go.send(false);
            }
        }
    }
}

fn lost_runner() -> Error {
    Error::InvalidConfig("a candidate's training run ended without reporting".into())
}

/// The order in which `standings` (in the candidates' order) finish:
/// repeatedly, the first candidate that no later one beats by more than
/// the standard error of its accuracy on a slice of `slice` texts.
pub fn rank(standings: &[CandidateScore], slice: usize) -> Vec<usize> {
    let mut left: Vec<usize> = (0..standings.len()).collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let mut champion = 0;
        for k in 1..left.len() {
            if beats(&standings[left[k]], &standings[left[champion]], slice) {
                champion = k;
            }
        }
        order.push(left.remove(champion));
    }
    order
}

/// Whether `runner` is behind `leader` by more than twice the standard
/// error of `leader`'s accuracy: it stops at once, whatever the halving
/// would keep (a character n-gram epoch can cost ten of words on long
/// texts, and debian_sections' chars trailed by 3 standard errors).
fn clearly_behind(runner: &CandidateScore, leader: &CandidateScore, slice: usize) -> bool {
    let p = leader.valid_accuracy.clamp(0.0, 1.0);
    let standard_error = (p * (1.0 - p) / slice.max(1) as f64).sqrt();
    runner.valid_accuracy.is_nan()
        || runner.valid_accuracy < leader.valid_accuracy - 2.0 * standard_error
}

/// Whether `challenger` (a later candidate) is ahead of `holder` by more
/// than the standard error of `holder`'s accuracy, `sqrt(p(1 − p)/n)`.
/// A non-finite score never wins.
fn beats(challenger: &CandidateScore, holder: &CandidateScore, slice: usize) -> bool {
    let finite = |s: &CandidateScore| s.valid_accuracy.is_finite() && s.valid_loss.is_finite();
    if !finite(challenger) {
        return false;
    }
    if !finite(holder) {
        return true;
    }
    let p = holder.valid_accuracy.clamp(0.0, 1.0);
    let standard_error = (p * (1.0 - p) / slice.max(1) as f64).sqrt();
    challenger.valid_accuracy > holder.valid_accuracy + standard_error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(representation: Representation, accuracy: f64) -> CandidateScore {
        CandidateScore {
            representation,
            valid_accuracy: accuracy,
            valid_loss: 0.5,
            epochs: 3,
        }
    }

    #[test]
    fn a_runner_two_standard_errors_behind_is_clearly_behind() {
        use Representation::*;
        // 4,878 texts at 0.81: one standard error is 0.0056.
        let leader = score(Symbols, 0.8126);
        assert!(clearly_behind(&score(Chars, 0.7955), &leader, 4878));
        assert!(!clearly_behind(&score(Chars, 0.8030), &leader, 4878));
        assert!(clearly_behind(&score(Chars, f64::NAN), &leader, 4878));
    }

    #[test]
    fn a_later_candidate_must_lead_by_more_than_the_standard_error() {
        use Representation::*;
        // 470 texts at 0.99: one standard error is 0.0046 (about 2 texts).
        let close = [score(Words, 0.9894), score(Chars, 0.9915)];
        assert_eq!(rank(&close, 470), vec![0, 1]);
        let clear = [score(Words, 0.9894), score(Chars, 0.9979)];
        assert_eq!(rank(&clear, 470), vec![1, 0]);
        // 4,878 texts at 0.82: 0.0055; symbols' 0.67-point lead counts.
        let sections = [
            score(Words, 0.8221),
            score(Symbols, 0.8288),
            score(Chars, 0.7780),
        ];
        assert_eq!(rank(&sections, 4878), vec![1, 0, 2]);
        // A non-finite score finishes last.
        let diverged = [score(Words, f64::NAN), score(Symbols, 0.5)];
        assert_eq!(rank(&diverged, 100), vec![1, 0]);
    }

    fn point(epoch: usize, valid_accuracy: f64) -> EpochPoint {
        EpochPoint {
            epoch,
            valid_loss: 0.5,
            valid_accuracy,
        }
    }

    #[test]
    fn the_probe_stops_once_the_peak_is_far_enough_behind() {
        let auto = AutoEpochs {
            window: 1,
            ..AutoEpochs::default()
        };
        let rising_then_flat = |len: usize, peak: usize| -> Vec<EpochPoint> {
            (1..=len)
                .map(|e| point(e, 0.5 + 0.01 * e.min(peak) as f64))
                .collect()
        };
        let n = 100_000; // a slice so large that every gain counts
                         // Peak at 6: patience 5 and "as long again" say stop at 12.
        assert!(!peaked(&rising_then_flat(11, 6), &auto, n));
        assert!(peaked(&rising_then_flat(12, 6), &auto, n));
        // Peak at 3, before the fewest epochs (5): counted from 5, stop at 10.
        assert!(!peaked(&rising_then_flat(9, 3), &auto, n));
        assert!(peaked(&rising_then_flat(10, 3), &auto, n));
        // Still rising: never.
        assert!(!peaked(&rising_then_flat(30, 30), &auto, n));
        assert!(!peaked(&[], &auto, n));
        // Creeping up by less than half a standard error counts as flat:
        // at 0.83 on 4,878 texts that is 0.0027; +0.0001 an epoch after 6.
        let creeping: Vec<EpochPoint> = (1..=12)
            .map(|e| {
                point(
                    e,
                    0.80 + 0.005 * e.min(6) as f64 + 0.0001 * e.saturating_sub(6) as f64,
                )
            })
            .collect();
        assert!(peaked(&creeping, &auto, 4878));
        assert!(!peaked(&creeping, &auto, n));
    }
}
