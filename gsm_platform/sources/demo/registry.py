"""The registry and editions files the generator writes: for "award" scales a 2020-shaped
registry (real names of the default registry where it has them, numbered synthetic ones
where not) and its one edition; for a cut of the default registry, the first institutions of
each cluster in turn."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

from gsm_platform import registry as registry_module
from gsm_platform.registry import Registry, load_registry

AWARD_CLUSTERS = {"kementerian": 34, "lembaga": 50, "pemprov": 34, "bumn": 131}  # 249 institutions
AWARD_PLATFORMS = ("facebook", "instagram", "x", "youtube")
AWARD_EDITION: dict[str, Any] = {
    "id": "2020",
    "name": "GSM Award 2020",
    "start": "2019-10-01",
    "end": "2020-10-01",
    "clusters": ["kementerian", "lembaga", "pemprov", "bumn"],
    "platforms": list(AWARD_PLATFORMS),
    "methodology": "v1",
}
# The demo's earlier edition (gsm generate --scale quick --outlook-demo): not an edition of the
# shipped editions file, data of its own (its own seed and post ids), so that the GSM Outlook's
# --compare has an earlier edition to compare on the demo. Its window ends early enough that its
# last pull (37 days after its end) comes a month before the latest edition's first (14 days
# before its start): no fetch month holds both, and the latest edition's rankings stay the same.
# The 2024 cabinet change (October 2024) comes after it: only the ministries before it post in it.
EARLIER_EDITION: dict[str, Any] = {
    "id": "2024",
    "name": "GSM Award 2024 (demo edition)",
    "start": "2023-07-01",
    "end": "2024-07-01",
    # the four platforms of the 2020 edition: TikTok joins in 2025 (and ~15% fewer files to land)
    "platforms": ["facebook", "instagram", "x", "youtube"],
    "methodology": "v1",
}
# The demo's merger (gsm generate --outlook-demo): the shipped registry, real, has no merger inside
# the latest edition's window, and the GSM Outlook's churn lists the registry's mergers. A
# synthetic agency with no account, merged into BPS: it gives the churn its `merged` event and
# changes no ranking and no generated file (no account: nothing to post, nothing to score).
DEMO_MERGER: dict[str, Any] = {
    "id": "demo-badan-statistik-sintetis",
    "name": "Badan Statistik Sintetis (demo)",
    "cluster": "lembaga",
    "date": "2025-03-03",
    "into": "bps",
}
ACCOUNT_IDS_NOTE = (
    "The account ids and handles in this file are the demo generator's synthetic ids "
    "(gsm generate), not the institutions' real accounts."
)
SYNTHETIC_NAMES = {
    "kementerian": "Kementerian Sintetis {:02d}",
    "lembaga": "Lembaga Sintetis {:02d}",
    "pemprov": "Provinsi Sintetis {:02d}",
    "ptn": "Universitas Sintetis {:02d}",
    "bumn": "BUMN Sintetis {:03d}",
}


def _yaml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _award_registry(max_institutions: int | None) -> tuple[str, Registry]:
    """The 2020-shaped registry: real names of the default registry where it has them."""
    by_cluster: dict[str, list] = {c: [] for c in AWARD_CLUSTERS}
    default = registry_module.DEFAULT_REGISTRY
    if default.exists():
        edition_start = dt.date(2019, 10, 1)
        edition_end = dt.date(2020, 10, 1)
        for inst in load_registry(default).institutions:
            if inst.cluster not in by_cluster:
                continue
            existed = all(
                not (ev.event == "created" and ev.date > edition_start)
                and not (ev.event in ("retired", "merged") and ev.date < edition_end)
                for ev in inst.lifecycle
            )
            by_cluster[inst.cluster].append((0 if existed else 1, len(by_cluster[inst.cluster]), inst))
    sizes = dict(AWARD_CLUSTERS)
    if max_institutions is not None and max_institutions < sum(sizes.values()):
        total = sum(sizes.values())
        m = max(len(sizes), int(max_institutions))
        sizes = {c: max(1, (n * m) // total) for c, n in AWARD_CLUSTERS.items()}
        for c in sorted(AWARD_CLUSTERS, key=lambda c: -AWARD_CLUSTERS[c]):
            if sum(sizes.values()) >= m:
                break
            sizes[c] += 1
    institutions: list[tuple[str, str, str, dict[str, str]]] = []  # id, name, cluster, handles
    used: set[str] = set()
    for cluster, size in sizes.items():
        real = [inst for _, _, inst in sorted(by_cluster[cluster], key=lambda r: (r[0], r[1]))][:size]
        for inst in real:
            handles = {}
            for acc in inst.accounts:
                if acc.platform in AWARD_PLATFORMS and acc.handle and acc.platform not in handles:
                    handles[acc.platform] = acc.handle
            institutions.append((inst.id, inst.name, cluster, handles))
            used.add(inst.id)
        k = 0
        while len(real) + k < size:
            k += 1
            name = SYNTHETIC_NAMES[cluster].format(len(real) + k)
            iid = name.lower().replace(" ", "-")
            if iid in used:
                continue
            used.add(iid)
            institutions.append((iid, name, cluster, {}))
    lines = [
        "# Demo registry written by the demo generator (gsm generate), shaped like the 2020 edition:",
        f"# {len(institutions)} institutions, each with a facebook, instagram, x and youtube account.",
        "# Institution names are real where the default registry has them, numbered synthetic otherwise.",
        f"# {ACCOUNT_IDS_NOTE}",
        "",
        'version: "demo-award"',
        "",
        "institutions:",
    ]
    for n, (iid, name, cluster, handles) in enumerate(institutions, start=1):
        base = iid.replace("-", "")[:24]
        ids = {
            "facebook": f"1000645{n:08d}",
            "instagram": f"178414{n:011d}",
            "x": str(1_100_000_000 + n * 3571),
            "youtube": "UC"
            + base64.urlsafe_b64encode(hashlib.blake2b(f"yt|{iid}".encode(), digest_size=16).digest()).decode()[:22],
        }
        lines += [f"  - id: {iid}", f"    name: {_yaml_str(name)}", f"    cluster: {cluster}", "    accounts:"]
        for platform in AWARD_PLATFORMS:
            handle = handles.get(platform, base if platform != "x" else base[:15])
            lines.append(
                f"      - {{platform: {platform}, account_id: {_yaml_str(ids[platform])}, handle: {_yaml_str(handle)}}}"
            )
    text = "\n".join(lines) + "\n"
    return text, Registry.model_validate(_yaml_load(text))


def _yaml_load(text: str) -> object:
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _award_editions() -> str:
    e = AWARD_EDITION
    return (
        "\n".join(
            [
                "# Demo editions written by the demo generator (gsm generate): the 2020 edition's shape.",
                "# The window is [start, end), dates at 00:00 Asia/Jakarta.",
                "",
                "editions:",
                f'  - id: "{e["id"]}"',
                f"    name: {_yaml_str(e['name'])}",
                f"    start: {e['start']}",
                f"    end: {e['end']}",
                f"    clusters: [{', '.join(e['clusters'])}]",
                f"    platforms: [{', '.join(e['platforms'])}]",
                f"    methodology: {e['methodology']}",
            ]
        )
        + "\n"
    )


def _trimmed_registry_text(reg: Registry, max_institutions: int) -> tuple[str, Registry]:
    """The first institutions of each cluster, taken in turn, so a cut registry keeps every cluster."""
    data = reg.model_dump(mode="json", exclude_defaults=True)
    by_cluster: dict[str, list[dict]] = {}
    for inst in data["institutions"]:
        by_cluster.setdefault(inst["cluster"], []).append(inst)
    queues = list(by_cluster.values())
    kept: list[dict] = []
    while len(kept) < max_institutions and any(queues):
        for queue in queues:
            if queue and len(kept) < max_institutions:
                kept.append(queue.pop(0))
    data["institutions"] = kept
    header = (
        f"# The default registry cut by the demo generator to {max_institutions} institutions "
        "(the first of each cluster in turn).\n"
    )
    text = header + json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    return text, Registry.model_validate(data)


def _earlier_edition_text(latest_clusters: list[str]) -> str:
    """The editions file entry of the demo's earlier edition (the latest edition's clusters),
    appended to the copied editions file."""
    e = EARLIER_EDITION
    return (
        "\n".join(
            [
                "",
                "  # Written by the demo generator (gsm generate --outlook-demo), not a real edition: synthetic",
                "  # data of its own, so that `gsm outlook --compare` has an earlier edition on the demo.",
                f'  - id: "{e["id"]}"',
                f"    name: {_yaml_str(e['name'])}",
                f"    start: {e['start']}",
                f"    end: {e['end']}",
                f"    clusters: [{', '.join(latest_clusters)}]",
                f"    platforms: [{', '.join(e['platforms'])}]",
                f"    methodology: {e['methodology']}",
            ]
        )
        + "\n"
    )


def _demo_merger_text() -> str:
    """The registry entry of the demo's merger, appended to the copied registry (its last list)."""
    m = DEMO_MERGER
    note = "synthetic, written by the demo generator: the demo's merger (no account, so it ranks nowhere)"
    return (
        "\n".join(
            [
                "",
                "  # Written by the demo generator (gsm generate --outlook-demo), not a real institution.",
                f"  - id: {m['id']}",
                f"    name: {_yaml_str(m['name'])}",
                f"    cluster: {m['cluster']}",
                "    lifecycle:",
                f"      - {{date: {m['date']}, event: merged, into: {m['into']}, note: {_yaml_str(note)}}}",
            ]
        )
        + "\n"
    )
