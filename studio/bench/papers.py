"""The papers' own result tables, taken from the digests in shared/papers/notes/.

`python -m studio.bench.papers --notes ../shared/papers/notes` extracts every markdown table
(with the line that captions it) into `assets/paper_tables.json`, which the Benchmarks tab
shows beside our measured tables. The studio itself never reads shared/ at run time.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from studio.paths import ASSETS

PAPER_TABLES = ASSETS / "paper_tables.json"
PAPERS = {
    "000": "JEAN",
    "001": "SPEAK / IRFD",
    "002": "Rhythmic Head Motion",
    "003": "AE-NeRF",
    "004": "Disentangling Head NeRF",
}
RESULT_WORDS = re.compile(r"PSNR|SSIM|LSE|Sync|LMD|CSIM|FID|Exp-Diff|ACD|M-LMD|accuracy", re.I)


def unpack_cells(body: str, caption: str) -> str:
    """A digest may pack several metrics into one cell ("0.73 29.33 3.36" under "MEAD") and
    name them in the caption ("(SSIM↑ PSNR↑ F-LMD↓; MEAD | HDTF)"). When every value cell
    holds as many tokens as the caption names metrics, give each metric its own column
    ("MEAD SSIM↑", ...); any other table comes back as it was."""
    named = re.search(r"\(([^;()]+)[;)]", caption)
    metrics = named[1].split() if named else []
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in body.splitlines()]
    if len(metrics) < 2 or len(rows) < 3:
        return body
    head, values = rows[0], rows[2:]
    if any(len(r) != len(head) for r in values) or not all(
        len(cell.split()) == len(metrics) for r in values for cell in r[1:]
    ):
        return body
    columns = [head[0]] + [f"{col} {m}" for col in head[1:] for m in metrics]
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for r in values:
        lines.append("| " + " | ".join([r[0]] + [v for cell in r[1:] for v in cell.split()]) + " |")
    return "\n".join(lines)


NUMBER = r"-?\d+(?:\.\d+)?"


def _split_metrics(spec: str) -> tuple[list[str], list[str]]:
    """ "LMD↓ CSIM↑ SSIM↑ FID↓, LRW | VoxCeleb2" → metrics, datasets."""
    metrics_part, _, datasets_part = spec.partition(",")
    datasets = [d.strip() for d in datasets_part.split("|") if d.strip()]
    return metrics_part.split(), datasets or [""]


def _markdown(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def listed_table(caption: str, items: list[str]) -> str:
    """A table given as a caption naming its metrics and datasets ("Table 1 (…). LMD↓ CSIM↑,
    LRW | VoxCeleb2:") and list items ("- Chung [8]: 3.15 0.44 | 5.4 0.29"), as markdown;
    "" when the items do not fit the caption."""
    spec = re.search(r"\.\s*([^.]*?):\s*$", caption)
    if not spec or not items:
        return ""
    metrics, datasets = _split_metrics(spec[1])
    columns = ["Method"] + [f"{d} {m}".strip() for d in datasets for m in metrics]
    rows = []
    for item in items:
        name, _, values = item.lstrip("-* ").partition(":")
        cells = [v for part in values.split("|") for v in part.split()]
        if len(cells) != len(columns) - 1:
            return ""
        rows.append([name.strip()] + cells)
    return _markdown(columns, rows)


def prose_table(caption: str) -> str:
    """A table written as one sentence ("Table 3 ablation (VoxCeleb2; CSIM SSIM FID): Baseline
    0.19 0.67 112; Full 0.44 0.71 40.8; …"), as markdown; "" when it is not one. A value
    broken by the text dump ("0. 73") is joined back."""
    head = re.match(r"^\**Table \d+[^(]*\(([^;()]*);([^()]*)\):(.*)$", caption)
    if not head:
        return ""
    metrics, body = head[2].split(), re.sub(r'"(\d+)\. (\d+)"', r"\1.\2", head[3])
    row = re.compile(rf"^\s*(.+?)\s+((?:{NUMBER}\s+){{{len(metrics) - 1}}}{NUMBER})(?:\.|$)")
    rows = []
    for chunk in body.split(";"):
        m = row.match(chunk)
        if not m:
            break
        rows.append([m[1]] + m[2].split())
    if len(rows) < 2:
        return ""
    return _markdown(["Variant"] + [f"{head[1].strip()} {m}" for m in metrics], rows)


def extract_tables(text: str) -> list[dict[str, str]]:
    """Markdown tables of results (those naming a metric), each with its caption line."""
    tables, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|"):
            start = i
            while i < len(lines) and lines[i].startswith("|"):
                i += 1
            body = "\n".join(lines[start:i])
            caption = next(
                (
                    lines[j].strip()
                    for j in range(start - 1, max(start - 4, -1), -1)
                    if lines[j].strip()
                ),
                "",
            )
            caption = re.sub(r"^[-*]\s+", "", caption)  # a list item's marker is not its text
            if RESULT_WORDS.search(lines[start]) or RESULT_WORDS.search(caption):
                tables.append({"caption": caption, "markdown": unpack_cells(body, caption)})
        else:
            # Some digests give a table as a list or as prose ("Table 1 (...): A 0.1 0.2; B ...")
            if (
                re.match(r"^\**Table \d", lines[i])
                and not (i + 1 < len(lines) and lines[i + 1].startswith("|"))
                and RESULT_WORDS.search(lines[i])
            ):
                caption, items = lines[i].strip(), []
                while i + 1 < len(lines) and lines[i + 1].startswith("- "):
                    i += 1
                    items.append(lines[i])
                markdown = listed_table(caption, items)
                if not markdown and (markdown := prose_table(caption)):
                    caption = caption.split(":")[0]  # the rest is now the table
                tables.append({"caption": caption, "markdown": markdown})
            i += 1
    return tables


def name_ours(markdown: str, paper: str) -> str:
    """The paper's own rows ("Ours", "**Ours**", "Ours K=8") named after the paper, so that they
    are not read as this studio's numbers."""
    return re.sub(
        r"^\| (\**)Ours\b([^|]*)\|",
        lambda m: f"| {m[1]}{paper} (the paper's own){m[2]}|",
        markdown,
        flags=re.M,
    )


def build(notes: Path, out: Path = PAPER_TABLES) -> dict:
    result = {}
    for path in sorted(notes.glob("*.md")):
        name = PAPERS.get(path.name[:3], path.stem)
        tables = extract_tables(path.read_text())
        result[name] = [{**t, "markdown": name_ours(t["markdown"], name)} for t in tables]
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def load_paper_tables() -> dict[str, list[dict[str, str]]]:
    return json.loads(PAPER_TABLES.read_text()) if PAPER_TABLES.exists() else {}


def column_metric(header: str) -> str:
    """The metric a paper's column measures: "MEAD SSIM↑" → "SSIM", "Sync A" → "SYNC"."""
    tokens = re.sub(r"[↑↓*]", "", header).split()
    known = [t.upper() for t in tokens if re.fullmatch(r"[A-Za-z][A-Za-z-]*", t)]
    names = [t for t in known if RESULT_WORDS.fullmatch(t) or t in ("LPIPS", "F-LMD")]
    return names[-1] if names else (known[-1] if known else "")


def with_our_rows(
    markdown: str, columns: dict[str, str], rows: list[tuple[str, dict[str, float]]]
) -> str | None:
    """The paper's table with our rows added in the columns whose metric we measure
    (`columns`: paper metric → our metric name; the first dataset's column when a table has
    several); None when no column is one of ours, or the table has no rows to add to."""
    lines = [line for line in markdown.splitlines() if line.strip()]
    if len(lines) < 3:
        return None
    header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    filled: dict[int, str] = {}
    for i, cell in enumerate(header[1:], 1):
        metric = columns.get(column_metric(cell))
        if metric and metric not in filled.values():
            filled[i] = metric
    ours = []
    for label, values in rows:
        cells = [f"**{label}**"] + ["—"] * (len(header) - 1)
        for i, metric in filled.items():
            if isinstance(values.get(metric), int | float):
                cells[i] = f"**{values[metric]:.4g}**"
        ours.append("| " + " | ".join(cells) + " |")
    if not any("**" in c for line in ours for c in line.split("|")[2:]):
        return None
    return "\n".join(lines + ours)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m studio.bench.papers")
    parser.add_argument("--notes", default="../shared/papers/notes")
    args = parser.parse_args()
    built = build(Path(args.notes))
    print({k: len(v) for k, v in built.items()})
