"""DeepMath: eval."""
