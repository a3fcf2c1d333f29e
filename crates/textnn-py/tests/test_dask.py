"""The Dask path: a LocalCluster of 2 worker processes classifies a
partitioned text column, loading the model once per worker, with the
predictions of `textnn predict`."""

import subprocess

import numpy as np
import pytest

import textnn
from conftest import HA_TEST, parse_fasttext
from textnn.batch import ShippedModel, load_count, predict_partition

distributed = pytest.importorskip("distributed")
db = pytest.importorskip("dask.bag")


def test_dask_local_cluster_gives_the_cli_predictions(cli, ha_small, tmp_path):
    model = textnn.train_file(ha_small, preset="fasttext", epochs=5, threads=1)
    path = tmp_path / "m.textnn"
    model.save(path)
    texts, _ = parse_fasttext(HA_TEST)
    expected = subprocess.run(
        [cli, "predict", str(path), str(HA_TEST), "--k", "2"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    assert len(expected) == len(texts)

    shipped = ShippedModel(textnn.load(path))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_workers = client.scatter(shipped, broadcast=True)
        bag = db.from_sequence(texts, npartitions=8)
        ranked = bag.map_partitions(predict_partition, on_workers, k=2).compute()
        loads = client.run(load_count)
    assert len(loads) == 2
    # One load per worker, not per partition or row (8 partitions, 988 rows).
    assert sum(loads.values()) <= 2 and all(n <= 1 for n in loads.values())
    assert len(ranked) == len(texts)
    for line, ranking in zip(expected, ranked):
        fields = line.split()
        assert fields[0::2] == [label for label, _ in ranking]
        # The CLI prints each f32 in its shortest exact form.
        assert [np.float32(p) for p in fields[1::2]] == [np.float32(p) for _, p in ranking]


def test_a_shipped_model_pickles_as_bytes_and_loads_once(ha_small):
    import pickle

    model = textnn.train_file(ha_small, preset="fasttext", epochs=1, threads=1)
    shipped = ShippedModel(model)
    before = load_count()
    copies = [pickle.loads(pickle.dumps(shipped)) for _ in range(5)]
    assert all(c.digest == shipped.digest for c in copies)
    results = [predict_partition(["turn on the light"], c) for c in copies]
    assert load_count() - before == 1
    assert results[0] == model.predict(["turn on the light"])
    damaged = bytearray(shipped.data)
    damaged[-1] ^= 1
    with pytest.raises(textnn.ModelError):
        ShippedModel(bytes(damaged)).model()
