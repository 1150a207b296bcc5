"""A bench record's metrics in the groups a reader looks for: the bars first, then ablations and
baselines, then other variants, then the remaining diagnostics.

Records name a variant's metrics `family[variant].metric` or `family_variant.metric` (e.g.
`ablation[full JEAN].knn5_emotion`, `baseline_still.style_own_identity`, `ring.yaw+20.psnr`);
each family becomes one table with a row per variant and a column per metric, so that the same
metric of every variant sits in one column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

VARIANT = re.compile(r"^(?P<prefix>.+)\.(?P<metric>[A-Za-z_][\w±+\-]*)$")
FIRST_FAMILIES = ("ablation", "baseline")  # shown before other variants


@dataclass
class Family:
    """One table: rows = variants, columns = metrics (in the order the record lists them)."""

    name: str
    rows: dict[str, dict[str, float | int | str]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows.values():
            seen.update(dict.fromkeys(row))
        return list(seen)


@dataclass
class Grouped:
    barred: dict[str, float | int]
    families: list[Family]
    plain: dict[str, float | int | str]


def group_metrics(metrics: dict, barred: set[str]) -> Grouped:
    """Split a record's metrics (dict values, per-item details, are left to the JSON file)."""
    out = Grouped({}, [], {})
    families: dict[str, Family] = {}
    for name, value in metrics.items():
        if isinstance(value, dict):
            continue
        if name in barred:
            out.barred[name] = value
            continue
        if name.partition(" (bar ")[0] in barred:  # a suite's own verdict on a bar shown above
            continue
        m = VARIANT.match(name)
        if m is None:
            out.plain[name] = value
            continue
        family, variant = family_of(m["prefix"])
        families.setdefault(family, Family(family)).rows.setdefault(variant, {})[m["metric"]] = (
            value
        )
    order = sorted(families.values(), key=lambda f: f.name not in FIRST_FAMILIES)
    out.families = order
    return out


def family_of(prefix: str) -> tuple[str, str]:
    """(family, variant) of a metric's prefix: `ablation[full JEAN]` → (ablation, full JEAN),
    `ring.yaw+20` → (ring, yaw+20), `baseline_still` → (baseline, still)."""
    if prefix.endswith("]") and "[" in prefix:
        family, _, variant = prefix[:-1].partition("[")
        return family, variant
    for sep in (".", "_"):
        if sep in prefix:
            family, _, variant = prefix.partition(sep)
            return family, variant
    return prefix, prefix


SHORT_TEXT = 60  # a longer value (a curve, a list of examples) is left to the JSON record


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    if len(text) > SHORT_TEXT:  # it would squeeze the metric names into broken words
        n = f"{len(value)} entries, " if isinstance(value, list | tuple | dict) else ""
        return f"({n}in the JSON record)"
    return text.replace("|", "\\|")


def family_markdown(family: Family) -> str:
    cols = family.columns
    lines = [
        f"| {family.name} | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for variant, row in family.rows.items():
        cells = [_shown(row[c]) if c in row else "" for c in cols]
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plain_markdown(metrics: dict) -> str:
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {name} | {_shown(value)} |" for name, value in metrics.items()]
    return "\n".join(lines)
