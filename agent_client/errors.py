"""The one exception type for infrastructure failures.

Why a dedicated type: a dead model endpoint or a dead MCP server must never turn into a plausible
looking trajectory (a canned answer, an empty completion). Callers — eval, train, the CLI — catch
`AgentError` to count or report the failure; snippet errors and timeouts are *not* AgentErrors,
they go back to the model as output text.
"""

from __future__ import annotations


class AgentError(RuntimeError):
    """The model endpoint or the tool server failed; the trajectory cannot continue."""
