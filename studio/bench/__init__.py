"""`python -m studio.bench <suite>`: measured numbers, printed as a markdown table and JSON.

A suite is a function `run(quick: bool) -> dict[str, float | str]` registered in `SUITES`.
Speed figures are medians after warm-up, measured side by side in one run.
"""
