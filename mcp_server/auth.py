"""Bearer-token authentication for the HTTP transport, through the MCP SDK's own auth hooks.

Why: over HTTP any process that can reach the port can run code (locally: every user and every
browser tab's fetch to 127.0.0.1). With a token configured, the SDK's `BearerAuthBackend` and
`RequireAuthMiddleware` answer every request to the MCP endpoint that lacks the right
`Authorization: Bearer <token>` with 401 before it reaches a session; our `TokenVerifier` only
compares the token, in constant time (`hmac.compare_digest`), so the comparison leaks no prefix.

The token comes from a file (`--auth-token-file`, first line) or the environment
(`DEEPMATH_MCP_TOKEN`); never from the command line, where `ps` shows it to every user. A server
bound to a non-loopback address refuses to start without one unless told
`--allow-unauthenticated`.

Not covered: OAuth (there is no authorization server; the token is a shared secret), TLS (put a
TLS-terminating proxy in front when the network is not trusted), per-user tokens (every holder of
the token is the same principal; clients are still kept apart by their MCP session).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from pathlib import Path

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

TOKEN_ENV = "DEEPMATH_MCP_TOKEN"
MIN_TOKEN_CHARS = 16
PRINCIPAL = "bearer-token"  # the one principal a shared token stands for


class AuthConfigError(ValueError):
    """The token settings are unusable (missing file, short token, public host without a token)."""


class StaticTokenVerifier:
    """The SDK `TokenVerifier` for one shared secret."""

    def __init__(self, token: str):
        self._expected = token.encode("utf-8")

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = token.encode("utf-8", errors="surrogateescape")
        if not hmac.compare_digest(presented, self._expected):
            return None
        return AccessToken(token=token, client_id=PRINCIPAL, scopes=[])


def load_token(token_file: Path | None, flag: str = "--auth-token-file") -> str | None:
    """The configured token: the first line of `token_file`, else `$DEEPMATH_MCP_TOKEN`, else None.
    `flag` names the file's option in error messages (the server's, or a client's)."""
    if token_file is not None:
        try:
            lines = token_file.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise AuthConfigError(f"cannot read {flag} {token_file}: {e.strerror or e}") from e
        token, source = (lines[0].strip() if lines else ""), f"{flag} {token_file}"
    elif os.environ.get(TOKEN_ENV) is not None:
        token, source = os.environ[TOKEN_ENV].strip(), f"${TOKEN_ENV}"
    else:
        return None
    if len(token) < MIN_TOKEN_CHARS:
        raise AuthConfigError(
            f"the token from {source} has {len(token)} characters; use at least {MIN_TOKEN_CHARS} "
            "random ones, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return token


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def check_exposure(host: str, token: str | None, allow_unauthenticated: bool) -> None:
    """Refuse to serve code execution on a reachable address without a token."""
    if token is None and not allow_unauthenticated and not is_loopback(host):
        raise AuthConfigError(
            f"--host {host} is reachable from other machines and no token is configured: set "
            f"${TOKEN_ENV} or --auth-token-file, or pass --allow-unauthenticated to accept the risk"
        )


def auth_settings(host: str, port: int) -> AuthSettings:
    """The SDK's settings for a resource server that checks tokens itself (no OAuth endpoints)."""
    return AuthSettings(issuer_url=f"http://{host}:{port}", resource_server_url=None)
