"""Issue many `generate` calls at once, as concurrent trajectories do."""

from __future__ import annotations

import anyio


async def concurrently(backend, requests):
    """Run every (prompt, kwargs) request at once on `backend`; the results in request order."""
    out = [None] * len(requests)

    async def one(i, prompt, kw):
        out[i] = await backend.generate(prompt, **kw)

    async with anyio.create_task_group() as tg:
        for i, (prompt, kw) in enumerate(requests):
            tg.start_soon(one, i, prompt, kw)
    return out
