"""`cgan eval`'s figures as lines of text."""

from __future__ import annotations

import math


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def summary_lines(res: dict) -> list[str]:
    """The figures a person reads first, one per line."""
    lines = [f"images: {res['images']}"]
    h = res["classifier"].get("heldout", {})
    if h:
        lines.append(f"classifier: {res['classifier']['path']} (held-out hair {_pct(h.get('hair'))}, "
                     f"eyes {_pct(h.get('eyes'))}, both {_pct(h.get('both'))} on {h.get('n')} held-out images)")
    if "tag_accuracy" in res:
        a = res["tag_accuracy"]
        lines.append(f"tag accuracy: hair {_pct(a['hair'])}, eyes {_pct(a['eyes'])}, both {_pct(a['both'])}")
    d = res["diversity"]
    flag = "COLLAPSE" if d["collapse"] else "ok"
    lines.append(f"diversity: feature ratio {d['feature_ratio']:.2f}, pixel ratio {d['pixel_ratio']:.2f} "
                 f"(vs real images of the same tag; collapse under {d['threshold']}), "
                 f"near-duplicate pairs {d['near_duplicates']}: {flag}")
    if d["collapsed_tags"]:
        lines.append(f"collapsed tags: {', '.join(d['collapsed_tags'])}")
    if "fd_tagnet" in res:
        f = res["fd_tagnet"]
        lines.append(f"fd_tagnet: {f['value']:.2f} (N={f['n']} vs {f['reference_n']} real; classifier features, "
                     "not Inception FID)")
    if "faces" in res:
        f = res["faces"]
        where = ", ".join(f"{k.replace('_', ' ')} {f[k]}" for k in ("submitted", "course_canvas", "tight_grid") if k in f)
        if res["images"] == 25:
            lines.append(f"course faces: {where}; on the {f['judged_on'].replace('_', ' ')}: >= 20 "
                         f"{'pass' if f['pass_ge_20'] else 'FAIL'}, > 20 {'pass' if f['pass_gt_20'] else 'FAIL'}")
        else:  # the course's pass mark counts faces among 25 images
            lines.append(f"course faces: {where} of {res['images']} images (the course's pass mark, 20, is for 25)")
    elif "faces_error" in res:
        lines.append(f"course faces: not counted ({res['faces_error']})")
    if "inception" in res:
        i = res["inception"]
        lines.append(f"Inception FID {i['fid']:.1f}, KID {i['kid'] * 1000:.2f} x 1e-3 (+- {i['kid_std'] * 1000:.2f}) "
                     f"at N={i['n']} vs {i['reference']['n']} real images of {i['reference']['data']}")
    return lines
