"""The Benchmarks tab: our measured tables (docs/benchmarks/*.json) beside the papers' own."""

from __future__ import annotations

import gradio as gr
import plotly.graph_objects as go

from studio.bench.grouping import FIRST_FAMILIES, family_markdown, group_metrics, plain_markdown
from studio.bench.papers import load_paper_tables, with_our_rows
from studio.bench.records import available_suites, load_record
from studio.bench.suites import suite_of_record


def _suite_bars(record: str) -> tuple:
    suite = suite_of_record(record)
    return suite.bars if suite is not None else ()


def _suite_papers(record: str) -> tuple[str, ...]:
    suite = suite_of_record(record)
    return suite.papers if suite is not None else ()


def suite_markdown(suite: str) -> str:
    """The suite's latest record as a table, with its bars and whether each is met."""
    record = load_record(suite)
    if record is None:
        return (
            f"No record for '{suite}' yet: run `python -m studio.bench "
            f"{suite.replace('_', '-')} --json docs/benchmarks/{suite.replace('-', '_')}.json`."
        )
    bars = {bar.metric: bar for bar in _suite_bars(suite)}
    grouped = group_metrics(record["metrics"], set(bars))
    lines = [
        f"**{suite}** — measured {record['started']} on {record['machine']}, commit "
        f"`{record['commit']}`, in {record['seconds']} s: `{record['command']}`",
    ]
    if grouped.barred:
        lines += ["", "**Bars**", "", "| metric | value | bar | met |", "|---|---|---|---|"]
        for name, value in grouped.barred.items():
            bar = bars[name]
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            met = "yes" if bar.met(value) else "**no**"
            if value != value:  # NaN: the suite could not measure it (its record says why)
                shown, met = "not measurable", "**no**"
            meaning = bar.meaning.replace("|", "\\|")  # a "|x − 1|" must not split the row
            lines.append(f"| {name} | {shown} | {bar.op} {bar.threshold:g} ({meaning}) | {met} |")
    first = [f for f in grouped.families if f.name in FIRST_FAMILIES]
    for title, families in (
        ("Ablations and baselines", first),
        ("Variants", [f for f in grouped.families if f.name not in FIRST_FAMILIES]),
    ):
        if families:
            lines += ["", f"**{title}**"]
            for family in families:
                lines += ["", family_markdown(family)]
    if grouped.plain:
        lines += ["", "**Diagnostics**", "", plain_markdown(grouped.plain)]
    return "\n".join(lines)


RATIO_CAP = 3.0  # the axis stops here: a bar far past it (or a ≤ bar met at ≤ 0) reads "≥ 3×"


def bar_ratio(value: float, op: str, threshold: float) -> float:
    """How far a measured value is from its bar, as a ratio where 1 is exactly on it and more
    is better: value ÷ bar for ≥ bars, bar ÷ value for ≤ bars (inf when a ≤ bar is met at or
    below 0, e.g. a leakage probe at or under chance)."""
    if op == ">=":
        return value / threshold if threshold else float("inf")
    return threshold / value if value > 0 else float("inf")


def bars_figure(suite: str) -> go.Figure | None:
    """Measured value over bar threshold for each barred metric (1 = exactly on the bar),
    capped at RATIO_CAP so that one bar met by a mile does not flatten the others; each bar
    is labelled with its measured value and threshold."""
    record = load_record(suite)
    bars = _suite_bars(suite)
    if record is None or not bars:
        return None
    names, ratios, colours, labels = [], [], [], []
    for bar in bars:
        value = record["metrics"].get(bar.metric)
        if value is None or value != value:  # absent, or NaN: not measurable, no bar to draw
            continue
        ratio = bar_ratio(value, bar.op, bar.threshold)
        names.append(bar.metric)
        ratios.append(min(ratio, RATIO_CAP))
        colours.append("#54a24b" if bar.met(value) else "#e45756")
        shown = f"{ratio:.2f}×" if ratio < RATIO_CAP else f"≥ {RATIO_CAP:g}×"
        labels.append(f"{value:.3g} (bar {bar.op} {bar.threshold:g}): {shown}")
    fig = go.Figure(
        go.Bar(
            x=ratios,
            y=names,
            orientation="h",
            marker_color=colours,
            text=labels,
            textposition="outside",  # beside the bar, never squeezed inside a short one
            textfont=dict(size=12),
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.add_vline(x=1.0, line_dash="dash", line_color="gray")
    fig.update_layout(
        title=f"{suite}: measured ÷ bar (≥ 1 meets it; capped at {RATIO_CAP:g}×)",
        height=max(240, 60 + 34 * len(names)),
        template="plotly_white",
        margin=dict(l=20, r=20, t=40, b=40),
        xaxis=dict(range=[0, RATIO_CAP * 1.75], tickvals=[0, 0.5, 1, 1.5, 2, 2.5, 3]),
        yaxis=dict(automargin=True, tickfont=dict(size=12)),
        uniformtext=dict(minsize=11, mode="show"),
    )
    return fig


def papers_markdown(suite: str) -> str:
    """The papers' tables that share a metric with this suite's record, with our numbers as
    bold rows in those columns (the papers' own rows are named after the paper)."""
    spec = suite_of_record(suite)
    record = load_record(suite)
    if spec is None or record is None or not spec.paper_columns:
        return (
            "No paper table shares a metric with this suite (its papers measure rendered "
            "video on real corpora; this suite measures something else)."
        )
    tables = load_paper_tables()
    metrics = record["metrics"]
    columns = dict(spec.paper_columns)
    rows = [
        (label, {m: metrics.get(prefix + m) for m in columns.values()})
        for label, prefix in spec.paper_rows
    ]
    chunks = []
    for paper in spec.papers:
        for table in tables.get(paper, []):
            joined = with_our_rows(table["markdown"], columns, rows)
            if joined is not None:
                chunks.append(f"**{paper}** — {table['caption']}\n\n{joined}")
    if not chunks:
        return "No paper table shares a metric with this suite."
    note = (
        "Bold rows: this studio on SynthTalk (`" + record["command"] + "`) — another world, "
        "other units where a column says so in the suite's record (e.g. LMD), so read them "
        "for orientation, not as a ranking."
    )
    return "\n\n".join([note, *chunks])


def build_benchmarks_tab() -> None:
    suites = available_suites() or ["foundation"]
    gr.Markdown(
        "The measured records in `docs/benchmarks/`: each names the command, machine, commit "
        "and date it came from (`python -m studio.bench <suite>` measures one here); SynthTalk "
        "numbers are not comparable with the papers' numbers on real corpora, which "
        "are shown for orientation."
    )
    suite = gr.Dropdown(suites, value=suites[0], label="Suite", elem_id="bench-suite")
    table = gr.Markdown(suite_markdown(suites[0]), elem_id="bench-table")
    first = bars_figure(suites[0])
    plot = gr.Plot(first, label="Bars", elem_id="bench-plot", visible=first is not None)
    with gr.Accordion("The papers' own tables (from the digests)", open=False):
        papers = gr.Markdown(papers_markdown(suites[0]))

    def show(s: str):
        fig = bars_figure(s)  # suites without bars: no empty plot box
        return suite_markdown(s), gr.Plot(fig, visible=fig is not None), papers_markdown(s)

    suite.change(
        show,
        [suite],
        [table, plot, papers],
    )
