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
            # Some digests give a table as prose ("Table 1 (...): A 0.1 0.2; B ..."): keep it.
            if (
                re.match(r"^\**Table \d", lines[i])
                and not (i + 1 < len(lines) and lines[i + 1].startswith("|"))
                and RESULT_WORDS.search(lines[i])
            ):
                tables.append({"caption": lines[i].strip(), "markdown": ""})
            i += 1
    return tables


def build(notes: Path, out: Path = PAPER_TABLES) -> dict:
    result = {}
    for path in sorted(notes.glob("*.md")):
        name = PAPERS.get(path.name[:3], path.stem)
        result[name] = extract_tables(path.read_text())
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def load_paper_tables() -> dict[str, list[dict[str, str]]]:
    return json.loads(PAPER_TABLES.read_text()) if PAPER_TABLES.exists() else {}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m studio.bench.papers")
    parser.add_argument("--notes", default="../shared/papers/notes")
    args = parser.parse_args()
    built = build(Path(args.notes))
    print({k: len(v) for k, v in built.items()})
