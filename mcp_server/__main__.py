"""`python -m mcp_server` is `deepmath-mcp` (handy when the console script is not on PATH)."""

from .cli import main

main()
