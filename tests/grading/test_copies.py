import io
from itertools import combinations

import numpy as np

from cgan.course.tags import read_testing_tags
from cgan.data.synth_faces import draw_face
from cgan.evaluation.layouts import course_canvas, find_tiles
from cgan.evaluation.sources import grid_tiles
from cgan.grading.copies import GRID_MATCH, file_fingerprints, find_copies, grid_matches, tile_hashes

from conftest import ROOT, shared

TAGS = read_testing_tags(ROOT / "hw3" / "testing_tags.txt")


def _faces(offset: int) -> np.ndarray:
    return np.stack([draw_face(t.hair, t.eyes, np.random.RandomState(int(t.id) + offset)) for t in TAGS])


def test_grids_match_through_layouts_and_shuffles_but_not_across_students():
    a = _faces(0)
    ha = tile_hashes(a)
    assert grid_matches(ha, tile_hashes(a[::-1])) == 25  # the same tiles in another order
    assert grid_matches(ha, tile_hashes(find_tiles(course_canvas(a))[0])) == 25  # re-saved on the course canvas
    # Procedural faces share one template (the hash alone would match them); the colours tell them apart.
    assert max(grid_matches(ha, tile_hashes(_faces(k * 1000))) for k in range(1, 6)) <= 2 < GRID_MATCH
    blank = np.zeros_like(a)
    assert grid_matches(tile_hashes(blank), tile_hashes(blank)) == 0  # two blank grids are no copy


def _student(root, name, files: dict[str, bytes]):
    for rel, data in files.items():
        p = root / name / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return file_fingerprints(root / name)


def test_large_files_and_code_shared_but_not_the_handout(tmp_path):
    rng = np.random.RandomState(0)
    ckpt = rng.bytes(2 * 2**20)
    handout = ("import numpy as np\n" + "# the course's baseline\n" * 20 + "x = 1\n").encode()
    own = lambda k: (f"def train_{k}():\n" + f"    return {k}\n" * 60).encode()  # noqa: E731
    prints = {
        "ann": _student(tmp_path, "ann", {"model.pt": ckpt, "baseline.py": handout, "train.py": own(1),
                                          "run_cgan.sh": b"python gen.py $1\n"}),
        "bob": _student(tmp_path, "bob", {"weights/g.bin": ckpt, "baseline.py": handout, "train.py": own(2),
                                          "run_cgan.sh": b"python gen.py $1\n"}),
        "cid": _student(tmp_path, "cid", {"baseline.py": handout, "train.py": own(1), "model.pt": rng.bytes(2**21)}),
        "dan": _student(tmp_path, "dan", {"baseline.py": handout, "train.py": own(4)}),
    }
    pairs = {(p["a"], p["b"]): p for p in find_copies({}, prints)}
    assert set(pairs) == {("ann", "bob"), ("ann", "cid")}
    assert pairs[("ann", "bob")]["files"] == ["model.pt = weights/g.bin"] and pairs[("ann", "bob")]["code"] == []
    assert pairs[("ann", "cid")]["code"] == ["train.py"] and pairs[("ann", "cid")]["files"] == []


def test_no_two_teams_of_2018_share_a_grid():
    """The 20 teams' committed grids (real_grids): no pair comes near the flagging threshold."""
    root = shared("real_grids")
    grids = {}
    for p in sorted(root.glob("*/*.png")):
        tiles, _, _ = grid_tiles(io.BytesIO(p.read_bytes()), 25)
        grids[p] = tile_hashes(tiles)
    assert len(grids) >= 40
    best = max(grid_matches(grids[a], grids[b]) for a, b in combinations(grids, 2) if a.parent != b.parent)
    print(f"{len(grids)} grids of {len({p.parent for p in grids})} teams: at most {best} of 25 tiles matched")
    assert best < GRID_MATCH // 2
