//! Faults during training: a loss that becomes NaN or infinite stops the
//! run with the epoch and what to change, exit code 1, and no model file
//! written (a previous model at the same path stays as it was).

mod common;

use common::{data, failure, run};

#[test]
fn diverging_training_names_the_epoch_and_suggests_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.textnn");
    std::fs::write(&model, b"the previous model").unwrap();
    // The threaded trainer (default), the general one (batches of 2) and
    // hierarchical softmax, each with an absurd learning rate.
    for extra in [&[][..], &["--batch", "2"], &["--loss", "hs"]] {
        let mut args = vec![
            "train".to_string(),
            data("train.txt").to_str().unwrap().to_string(),
            "-o".to_string(),
            model.to_str().unwrap().to_string(),
            "--lr".to_string(),
            "1e30".to_string(),
            // Decayed linearly, the rate of the first epoch's last steps
            // is 9.…e29 (9.9e29 over the epoch probe's 40 epochs, 9.7e29
            // over a representation trial's 3, which diverges first).
            "--schedule".to_string(),
            "linear".to_string(),
            "--quiet".to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let message = failure(
            &run(&args),
            1,
            &[
                "training diverged at epoch 1",
                "lower the learning rate, currently 9.",
                "--clip-grad",
            ],
        );
        assert!(!message.contains("panicked"), "{message}");
        assert_eq!(
            std::fs::read(&model).unwrap(),
            b"the previous model",
            "{extra:?}: the previous file changed"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "model.textnn")
            .collect();
        assert!(leftovers.is_empty(), "{extra:?}: left {leftovers:?}");
    }
}
