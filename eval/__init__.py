"""DeepMath evaluation: benchmark runs through the agent, math-verify grading, metrics and reports.

Import submodules explicitly (`from eval.grading import grade`): the package is named after the
`eval` builtin, so nothing is re-exported here to keep `import eval` cheap for `train`'s reward.
See docs/eval.md.
"""
