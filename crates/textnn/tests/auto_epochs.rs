//! Models written before the number of epochs could be chosen on a
//! validation slice (issue 4, item 1) still load, and say none was chosen.

use std::path::Path;
use textnn::Classifier;

#[test]
fn models_of_earlier_versions_load_without_a_choice_of_epochs() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in ["model-v1.textnn", "model-v2.textnn"] {
        let model = Classifier::load(&fixtures.join(name)).unwrap();
        let settings = model.settings();
        assert_eq!(settings.epochs_chosen, None, "{name}");
        assert!(settings.epochs > 0, "{name}");
    }
}
