"""Batch classification on a distributed engine (Dask, Spark, Ray, …).

A :class:`ShippedModel` is a model as its file's bytes: cheap to send to
workers (it pickles as the bytes), verified when a worker first uses it,
and loaded once per worker process, not per row or per partition (the
loaded model is kept by the bytes' SHA-256). :func:`predict_partition`
classifies one partition of a text column::

    import dask.bag as db
    from dask.distributed import Client, LocalCluster
    from textnn.batch import ShippedModel, predict_partition

    shipped = ShippedModel(textnn.load("ha.textnn"))
    with LocalCluster(n_workers=2) as cluster, Client(cluster) as client:
        on_workers = client.scatter(shipped, broadcast=True)   # sent once per worker
        texts = db.from_sequence(column, npartitions=8)
        ranked = texts.map_partitions(predict_partition, on_workers, k=2).compute()

Each result is one text's ``[(label, probability), …]``, as
:meth:`textnn.Model.predict` and ``textnn predict`` give them.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ._core import Model

__all__ = ["ShippedModel", "load_count", "predict_partition"]

# Models loaded in this process, by the SHA-256 of their bytes.
_LOADED: Dict[str, Model] = {}
_LOCK = threading.Lock()
_LOADS = 0


def load_count() -> int:
    """How many models this process has loaded from shipped bytes (once per distinct model)."""
    return _LOADS


class ShippedModel:
    """A model travelling as its verified bytes; :meth:`model` loads it
    once per process."""

    __slots__ = ("data", "digest")

    def __init__(self, model: Any) -> None:
        data = model.to_bytes() if isinstance(model, Model) else bytes(model)
        self.data: bytes = data
        self.digest: str = hashlib.sha256(data).hexdigest()

    def __reduce__(self) -> Tuple[Any, Tuple[bytes]]:
        return (ShippedModel, (self.data,))

    def model(self) -> Model:
        """The model, loaded (and fully verified) on this process's first call."""
        global _LOADS
        with _LOCK:
            loaded = _LOADED.get(self.digest)
            if loaded is None:
                loaded = Model.from_bytes(self.data)
                _LOADED[self.digest] = loaded
                _LOADS += 1
            return loaded


def predict_partition(
    texts: Iterable[str],
    shipped: ShippedModel,
    k: int = 1,
    threshold: Optional[float] = None,
) -> List[List[Tuple[str, float]]]:
    """Classifies one partition: each text's ``k`` most probable labels
    with their probabilities, in the partition's order."""
    return shipped.model().predict(list(texts), k=k, threshold=threshold)
