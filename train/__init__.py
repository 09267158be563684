"""DeepMath: train."""
