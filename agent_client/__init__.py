"""DeepMath: agent_client."""
