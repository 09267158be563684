"""DeepMath: mcp_server."""
