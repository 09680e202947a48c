"""Pack the offered models into the package, so `pip install .` or a wheel removes backgrounds.

Everything else about the build is declared in pyproject.toml. The models live in the
checkout's models/ (with training weights and retired models beside them); only the folders
named in ``skucut.catalog.OFFERED_MODELS``, and in them only what inference reads, go into the
sdist and into the wheel's ``skucut/_models/``. An editable install needs none of this: the
catalog finds the checkout's models/ itself.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
MODEL_FILES = ("model.onnx", "card.json", "MODEL_CARD.md")  # not weights.pt (training only)


def offered_models() -> tuple[str, ...]:
    """The OFFERED_MODELS literal of catalog.py, read without importing skucut (its
    dependencies are not installed while building)."""
    tree = ast.parse((ROOT / "src/skucut/catalog.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "OFFERED_MODELS" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise RuntimeError("src/skucut/catalog.py defines no OFFERED_MODELS")


def model_files() -> list[Path]:
    """The offered models' files, relative to the root; a missing model.onnx stops the build
    rather than making a wheel that cannot remove a background."""
    files = []
    for name in offered_models():
        folder = Path("models") / name
        if not (ROOT / folder / "model.onnx").is_file():
            raise RuntimeError(f"offered model {name} has no {folder}/model.onnx")
        files += [folder / f for f in MODEL_FILES if (ROOT / folder / f).is_file()]
    return files


class build_py_with_models(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        for source in model_files():
            target = Path(self.build_lib) / "skucut" / "_models" / source.relative_to("models")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / source, target)

    def get_source_files(self):
        # What the sdist carries: the package sources plus the offered models.
        return [*super().get_source_files(), *(str(f) for f in model_files())]


setup(cmdclass={"build_py": build_py_with_models})
