//! The list of temporary files being written: a save in progress is on
//! it, removing them all takes the file off the disk (the save then fails
//! without touching its target), and a finished save leaves the list.
//! One test in its own binary: the list is process-wide.

use textnn::format::write_atomically_by;
use textnn::in_flight;

#[test]
fn a_save_in_progress_is_listed_and_removing_it_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.textnn");

    write_atomically_by(&model, |file| {
        use std::io::Write;
        let listed = in_flight::paths();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert!(listed[0].starts_with(dir.path()), "{listed:?}");
        assert!(listed[0].exists());
        file.write_all(b"whole")
    })
    .unwrap();
    assert!(
        in_flight::paths().is_empty(),
        "a finished save is still listed"
    );
    assert_eq!(std::fs::read(&model).unwrap(), b"whole");

    // What a second Ctrl-C does while a save is writing.
    let result = write_atomically_by(&model, |file| {
        use std::io::Write;
        file.write_all(b"half")?;
        assert_eq!(in_flight::remove_all(), 1);
        Ok(())
    });
    assert!(
        result.is_err(),
        "the save went on after its file was removed"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("model.textnn")]);
    assert_eq!(std::fs::read(&model).unwrap(), b"whole");
    assert!(in_flight::paths().is_empty());
    assert_eq!(in_flight::remove_all(), 0);
}
