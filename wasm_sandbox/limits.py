"""The sandbox limits: declared once, here. `deepmath-sandbox`'s flags, `deepmath-mcp`'s
`ServerConfig` (which extends this model) and the tool descriptions all derive from these fields,
so the same value is validated by the same rule everywhere.

The memory budget bounds the *sum* over every instance the sandbox holds (live sessions, the warm
pool, running calls): a running call is charged its full cap (it may grow to it), an idle one its
current linear memory. By default it is half of the machine's physical memory.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .policy import Profile

MIB = 1 << 20


def machine_memory_mb() -> int:
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // MIB


def default_budget_mb() -> int:
    """Half the machine's memory: the other half is the host's (its model, its other processes)."""
    return machine_memory_mb() // 2


class Limits(BaseModel):
    """Per-sandbox limits; every field has a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_s: float = Field(default=5.0, gt=0, le=3600, description="default and maximum wall time per snippet (s)")
    memory_mb: int = Field(default=512, ge=64, description="linear-memory cap of one sandbox instance (MiB; the snapshot itself needs ~40)")
    max_output_chars: int = Field(default=20_000, ge=256, description="characters kept per output stream (the middle is cut)")
    max_code_chars: int = Field(default=256_000, ge=1, description="longer snippets are refused without running")
    max_sessions: int = Field(default=64, ge=1, description="live sessions kept; the least recently used is evicted")
    session_idle_s: float = Field(default=600.0, gt=0, description="a session idle this long is dropped (s)")
    pool_size: int = Field(default=2, ge=0, description="pre-instantiated instances kept warm")
    modules: Profile = Field(
        default="math", description="import policy profile: math (DeepMath's allow-list) or plot (adds "
        "matplotlib, pandas, networkx, Pillow; open figures come back as PNG images)")
    max_figures: int = Field(default=4, ge=0, le=64, description="plot profile: figures kept per call (more are refused)")
    max_figure_bytes: int = Field(default=1 << 20, ge=1024, le=16 << 20, description="plot profile: largest PNG kept (bytes)")
    max_figure_px: int = Field(default=2048, ge=16, le=8192, description="plot profile: largest PNG width or height kept (pixels)")
    memory_budget_mb: int | None = Field(
        default=None, ge=64,
        description="memory all instances together may use (MiB); default half the machine's memory")

    @property
    def budget_bytes(self) -> int:
        return (self.memory_budget_mb or default_budget_mb()) * MIB

    def check_fits(self, running: int) -> None:
        """Raise ValueError unless `running` calls at their cap plus the warm pool fit the budget."""
        need = (running + self.pool_size) * self.memory_mb
        if need * MIB > self.budget_bytes:
            raise ValueError(
                f"the memory budget ({self.budget_bytes // MIB} MiB) cannot hold {running} running "
                f"snippet(s) and {self.pool_size} pooled instance(s) of {self.memory_mb} MiB each "
                f"({need} MiB): raise the budget or lower memory_mb / the concurrency / pool_size")

    @model_validator(mode="after")
    def _one_call_fits(self) -> "Limits":
        self.check_fits(running=1)
        return self
