"""`python -m studio.bench <suite>`: measured numbers, printed as a markdown table and JSON.

A suite is a `Suite` (studio.nn.spec): `run(quick: bool) -> dict[str, float | str]` declared
by a paper folder's spec or listed in `studio.bench.suites.CORE`.
Speed figures are medians after warm-up, measured side by side in one run.
"""
