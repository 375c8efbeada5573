"""Ship the rule pack inside the package.

`rules/` and `narratives/` stay at the top of the repository, where leads edit them;
every built wheel (and so `pip install .`) carries a copy in `bot/_pack/`, with the
guides of `docs/` that messages point at, which
`bot/shipped.py` finds first. An editable install copies nothing: there the pack is
read from the repository itself, so an edit shows without installing again. Everything
else about the build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PACK = ("rules", "narratives", "docs")  # docs: the guides messages point at


class BuildWithPack(build_py):
    """build_py, then the pack copied into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in PACK:
            target = Path(self.build_lib) / "bot" / "_pack" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(
                HERE / name, target, ignore=shutil.ignore_patterns(".*", "__pycache__", "*.py[co]")
            )


setup(cmdclass={"build_py": BuildWithPack})
