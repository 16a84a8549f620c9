"""Where training runs: the `tf.distribute` strategy that `train.strategy` names, which worker writes
the outputs, and what the workers of a multi-worker run must agree on.

In:  `train.strategy`; for `multi_worker`, the `TF_CONFIG` environment variable (the cluster's
     `host:port` list and this process's place in it), set on every worker.
Out: `make_strategy(name)`, created before any other TensorFlow work (MultiWorkerMirroredStrategy
     refuses to start once TensorFlow is initialised); `is_chief(strategy)`; `worker_paths(...)`: the
     real output directories for the chief, a temporary directory for every other worker (deleted
     after, so only the chief writes `models/`, `checkpoints/`, `dvclive/`); `following_chief(...)`
     and `share_state(...)`: the chief's resume position and weights (with optimizer state) on every
     worker, so a resumed multi-worker run needs the chief's checkpoint only; `shard_by_data`:
     every worker reads all windows and keeps its share of each batch (the window stage writes one
     shard per split, too few for sharding by file; the cost is that each worker parses every record).

Keras 3 does not support MultiWorkerMirroredStrategy in `fit` (keras-team/keras#20585: it reduces
per-replica data batches and scalar metrics in ways that fail across workers); `_fix_keras_for_workers`
replaces those two reductions, and only when a multi-worker strategy is made. They are private, so
`keras_internals_problem()` checks at import that each exists with the parameters the fix uses, and a
multi-worker run on a Keras where they changed stops at once naming the versions that work
(`UnsupportedKeras`), instead of training wrongly. Why not a public API: a custom training loop with
`strategy.run` would work across workers, but would replace `fit` and every callback this stage uses
(checkpoints, DVCLive, samples, the guards) for one strategy only; two fenced replacements are less.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import socket
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import keras
import tensorflow as tf

from pipeline.train.checkpoint import Resume, random_state_variables
from pipeline.train.paths import TrainPaths

TESTED_KERAS = "Keras 3.15 (tested with 3.15.1; pyproject.toml pins keras>=3.15,<3.16)"


class UnsupportedKeras(RuntimeError):
    """The Keras internals `_fix_keras_for_workers` replaces are not what it was written for."""


def keras_internals_problem(trainer=None, tree=None) -> str | None:
    """What is missing or changed among the private Keras symbols the multi-worker fix reads or
    replaces (None: all there, with the parameters it calls them with). Checked at import."""
    if trainer is None or tree is None:
        try:
            from keras.src import tree
            from keras.src.backend.tensorflow import trainer
        except ImportError as error:
            return f"keras.src.tree or keras.src.backend.tensorflow.trainer cannot be imported ({error})"
    expected = {"reduce_per_replica": ("values", "strategy", "reduction"),
                "_collective_all_reduce_multi_worker": ("strategy",),
                "TensorFlowTrainer._maybe_symbolic_build": ("self", "iterator", "data_batch"),
                "TensorFlowTrainer._symbolic_build": ("self",)}
    for name, parameters in expected.items():
        function = trainer
        for part in name.split("."):
            function = getattr(function, part, None)
        if not callable(function):
            return f"keras.src.backend.tensorflow.trainer.{name} is missing"
        found = tuple(inspect.signature(function).parameters)
        if found[:len(parameters)] != parameters:
            return f"keras.src.backend.tensorflow.trainer.{name} takes {found}, not {parameters}"
    if not callable(getattr(tree, "map_structure", None)):
        return "keras.src.tree.map_structure is missing"
    return None


KERAS_PROBLEM = keras_internals_problem()


def make_strategy(name: str) -> tf.distribute.Strategy:
    """auto: all GPUs if there are several, else the default device; the others as named."""
    if name == "multi_worker":  # first: listing devices below would initialise TensorFlow
        if KERAS_PROBLEM:
            raise UnsupportedKeras(f"train.strategy multi_worker needs a fix of Keras internals that this Keras "
                                   f"({keras.__version__}) does not have: {KERAS_PROBLEM}. It works with "
                                   f"{TESTED_KERAS}: install that, or use another train.strategy.")
        if not os.environ.get("TF_CONFIG"):
            print("train: train.strategy is multi_worker but TF_CONFIG is not set: training as a single worker "
                  "(README: GPUs, mixed precision and several machines).", file=sys.stderr, flush=True)
        strategy = tf.distribute.MultiWorkerMirroredStrategy()  # the cluster comes from TF_CONFIG
        _fix_keras_for_workers()
        return strategy
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored" or (name == "auto" and len(gpus) > 1):
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    return tf.distribute.get_strategy()


def workers(strategy: tf.distribute.Strategy) -> int:
    """How many processes train together (1 but for a multi-worker cluster)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return 1
    spec = resolver.cluster_spec()
    return max(1, sum(spec.num_tasks(job) for job in ("chief", "worker") if job in spec.jobs))


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """The one worker that writes (TensorFlow's own choice: the chief task, else worker 0)."""
    return strategy.extended.should_checkpoint


@contextmanager
def worker_paths(strategy: tf.distribute.Strategy, paths: TrainPaths):
    """The paths as given on the chief; on any other worker, the outputs under the same names in a
    temporary directory that is deleted when the run ends, however it ends."""
    if is_chief(strategy):
        yield paths
        return
    scratch = Path(tempfile.mkdtemp(prefix="scriptlm-worker-"))
    try:
        yield paths.outputs_in(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _chief_values(strategy: tf.distribute.Strategy, values: list[tf.Tensor]) -> list[tf.Tensor]:
    """The chief's `values` on every worker: their sums over workers, every worker but the chief passing
    zeros. One traced function, one all-reduce per dtype (TensorFlow packs a reduction's tensors
    together), not one of each per variable."""
    local = [value if is_chief(strategy) else tf.zeros_like(value) for value in values]
    groups: dict = {}
    for index, value in enumerate(local):
        groups.setdefault(value.dtype, []).append(index)

    def reduce():
        context = tf.distribute.get_replica_context()
        return [context.all_reduce("SUM", [local[i] for i in indices]) for indices in groups.values()]

    result = [None] * len(local)
    for indices, summed in zip(groups.values(), strategy.run(tf.function(reduce))):
        for index, value in zip(indices, summed):
            result[index] = strategy.experimental_local_results(value)[0]
    return result


def following_chief(strategy: tf.distribute.Strategy, resume: Resume) -> Resume:
    """The chief's resume position on every worker (`resume` as it is without several workers, or
    where they agree)."""
    if workers(strategy) < 2:
        return resume
    mine = [resume.epochs_done, resume.batches_done]
    position = [int(v) for v in _chief_values(strategy, [tf.constant(mine, tf.int64)])[0].numpy()]
    if position == mine:
        return resume
    return Resume(*position, f"following the chief, from epoch {position[0]}, batch {position[1]}")


def share_state(strategy: tf.distribute.Strategy, model, source=None) -> None:
    """Give every worker's `model` (built fresh on each, so that all create the same variables in the
    same order, as the strategy requires) the weights and optimizer state of `source`, the model the
    chief resumed from its checkpoint (None on the others: on other machines their checkpoints/ is
    not the chief's)."""
    if not model.optimizer.built:  # compile_model builds it; a LossScaleOptimizer's build is not idempotent
        with strategy.scope():
            model.optimizer.build(model.trainable_variables)
    targets = [*model.weights, *random_state_variables(model), *model.optimizer.variables]
    sources = ([*source.weights, *random_state_variables(source), *source.optimizer.variables]
               if source is not None else targets)
    if len(sources) != len(targets):
        raise RuntimeError(f"the checkpoint has {len(sources)} variables where the model has {len(targets)}")
    for target, value in zip(targets, _chief_values(strategy, [tf.convert_to_tensor(v.value) for v in sources])):
        target.assign(value)


def weights_digest(model) -> str:
    """sha256 of the model's weights, in order, as float32 bytes: equal on workers that agree."""
    digest = hashlib.sha256()
    for weights in model.get_weights():
        digest.update(weights.astype("float32").tobytes())
    return digest.hexdigest()


def say_done(strategy: tf.distribute.Strategy, model) -> None:
    """On a multi-worker run, which worker is done, and its weights' digest (equal on workers that agree)."""
    if workers(strategy) > 1:
        print(f"train: worker {strategy.cluster_resolver.task_type} {strategy.cluster_resolver.task_id} of "
              f"{workers(strategy)}{' (the chief)' if is_chief(strategy) else ', whose outputs are not kept'} "
              f"done; weights sha256 {weights_digest(model)}", flush=True)


def shard_by_data(dataset: tf.data.Dataset) -> tf.data.Dataset:
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _fix_keras_for_workers() -> None:
    """Keras 3's TensorFlow trainer, made to work across workers (see the module docstring): the
    symbolic build gets this worker's part of the first batch, and step outputs (scalar metrics)
    are averaged over workers without an axis."""
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer, "_scriptlm_fixed", False):
        return
    reduce_per_replica = trainer.reduce_per_replica

    def reduce_across_workers(values, strategy, reduction="auto"):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            return tree.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
        return reduce_per_replica(values, strategy, reduction)

    def symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = next(batches)
                break
        strategy = self.distribute_strategy
        data_batch = tree.map_structure(lambda x: strategy.experimental_local_results(x)[0]
                                        if isinstance(x, tf.distribute.DistributedValues) else x, data_batch)
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    trainer.reduce_per_replica = reduce_across_workers
    trainer.TensorFlowTrainer._maybe_symbolic_build = symbolic_build
    trainer._scriptlm_fixed = True


def tf_config(addresses: list[str], index: int) -> str:
    """The TF_CONFIG of worker `index` of a cluster of workers at `addresses` ("host:port"); worker 0
    is the chief."""
    return json.dumps({"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}})


def local_addresses(count: int) -> list[str]:
    """`count` free 127.0.0.1 ports, for a cluster of workers on this machine (tests, benchmarks)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [f"127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
