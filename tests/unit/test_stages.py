"""Per-stage timing of the pipeline (skucut bench --stages)."""

import time

from skucut.pipeline import RemoveOptions, remove_bytes
from skucut.stages import collect_stages, stage
from tests.conftest import disc_image, png_bytes


def test_nested_stages_are_exclusive_and_nothing_is_kept_without_a_collector():
    with stage("outside"):  # no collector: nothing happens, nothing fails
        pass
    with collect_stages() as times:
        start = time.perf_counter()
        with stage("outer"):
            time.sleep(0.02)
            with stage("inner"):
                time.sleep(0.05)
        total = time.perf_counter() - start
    assert set(times) == {"outer", "inner"}
    assert times["inner"][0] >= 0.05 and times["outer"][0] >= 0.02
    # The inner time is not counted twice: the two add up to the whole.
    assert abs(times["outer"][0] + times["inner"][0] - total) < 0.005


def test_every_stage_of_a_cutout_is_timed(tiny_model):
    from PIL import Image

    image, _ = disc_image(96)
    data = png_bytes(Image.fromarray(image))
    with collect_stages() as times:
        remove_bytes(data, RemoveOptions(model=str(tiny_model), bg_color=(255, 255, 255)))
    expected = {"decode", "model", "refine", "cleanup", "decontaminate", "compose", "encode"}
    assert expected <= set(times)
    assert all(wall >= 0 and cpu >= 0 for wall, cpu in times.values())
