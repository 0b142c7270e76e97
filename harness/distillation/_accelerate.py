"""`stillhouse distill` on several processes: data parallel through Hugging Face `accelerate`.

    accelerate launch --multi_gpu --num_processes 8 -m harness distill PROJECT     # 8 GPUs
    accelerate launch --multi_gpu --num_processes 2 -m harness distill PROJECT     # 2 CPU processes (gloo)

(`--multi_gpu` is accelerate's name for its torchrun launcher; on a machine without GPUs its
processes train on the CPU over gloo. `--cpu` alone runs one process.)

Every process runs the same recipe on the same data: the same seed, so the same student to
start from and the same batches in the same order. Each global batch is split between the
processes (rows k, k+P, k+2P, ... to process k); each runs forward and backward on its part,
and `DistributedDataParallel` (set up by `Accelerator.prepare_model`) averages the gradients,
so every step is the one-process step on the whole batch: the same optimiser, schedule and
loss, the sums in another order. A batch that does not split evenly is topped up with its
own first rows, as accelerate's `even_batches` does (at most P - 1 rows an epoch count
twice). The epoch's figures are summed over the processes. The main process writes the
student and the one training record, which says how many processes trained it; the others
wait for it and return what it wrote.

Outside `accelerate launch` (or torchrun) nothing here runs and accelerate is not imported.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from typing import Any

from .._errors import InputError


def data_parallel() -> DataParallel | None:
    """This process's place among several started by `accelerate launch`, or None alone."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        world = 1
    return DataParallel() if world > 1 else None


class DataParallel:
    """One process of a data-parallel training run (an `accelerate.Accelerator`)."""

    def __init__(self) -> None:
        try:
            from accelerate import Accelerator
        except ImportError:
            raise InputError("several training processes need accelerate (in the `models` extra): "
                             "pip install 'stillhouse[models]'") from None
        import torch.distributed

        # Without GPUs, accelerate starts its processes' group (gloo) only when told to use the CPU.
        self.accelerator = Accelerator(cpu=not torch.cuda.is_available())
        self.rank = int(self.accelerator.process_index)
        self.processes = int(self.accelerator.num_processes)
        self.is_main = bool(self.accelerator.is_main_process)
        self.device = self.accelerator.device
        self.backend = str(torch.distributed.get_backend()) if torch.distributed.is_initialized() else "none"

    def describe(self) -> dict[str, Any]:
        """For the training record."""
        return {"processes": self.processes, "backend": self.backend, "device": self.device.type,
                "launcher": "accelerate", "split": "each batch's rows shared out in turn; gradients averaged"}

    def wrap(self, model: Any, extra: Any = None) -> Any:
        """The student as every process trains it: in `DistributedDataParallel`, on this
        process's device. ``extra``: trainable modules outside the student (the layer-wise
        projections), which these processes would not keep in step: refused."""
        if extra is not None:
            raise InputError("distillation.classification.layerwise: its projections are trained beside the "
                             "student and would drift apart across processes; train with layer-wise terms in "
                             "one process (without accelerate launch)")
        wrapped = self.accelerator.prepare_model(model)
        if self.device.type != "cpu":
            wrapped = _LogitsOnCpu(wrapped)
        return wrapped

    def share(self, rows: list[int]) -> list[int]:
        """This process's part of one global batch of row indices."""
        p = self.processes
        whole = -(-len(rows) // p) * p  # topped up to a multiple of p with the batch's own first rows
        return [rows[i % len(rows)] for i in range(whole)][self.rank::p]

    def total(self, sums: dict[str, float]) -> dict[str, float]:
        """``sums`` added up over every process (the same result in each)."""
        import torch

        keys = sorted(sums)
        t = torch.tensor([float(sums[k]) for k in keys], dtype=torch.float64, device=self.device)
        t = self.accelerator.reduce(t, reduction="sum")
        return dict(zip(keys, t.cpu().tolist()))

    def main_first(self) -> AbstractContextManager[Any]:
        """The main process runs the block first (e.g. fills a cache), the others after it."""
        return self.accelerator.main_process_first()  # type: ignore[no-any-return]

    def wait(self) -> None:
        """Every process waits here until all have arrived."""
        self.accelerator.wait_for_everyone()

    def tag(self) -> str:
        """A suffix for what each process must keep to itself (its scratch folder)."""
        return "" if self.is_main else f"-{self.rank}"


def _logits_on_cpu_module() -> Any:
    import torch

    class LogitsOnCpu(torch.nn.Module):
        """The student on a GPU, its logits handed back on the CPU, where the recipe keeps
        the teacher's soft labels and the gold labels ((B, C): little to copy)."""

        def __init__(self, inner: Any):
            super().__init__()
            self.inner = inner

        def forward(self, **batch: Any) -> Any:
            out = self.inner(**batch)  # DistributedDataParallel moves the batch to the GPU
            out.logits = out.logits.float().cpu()
            return out

    return LogitsOnCpu


def _LogitsOnCpu(inner: Any) -> Any:  # noqa: N802 - reads as the class it makes
    return _logits_on_cpu_module()(inner)
